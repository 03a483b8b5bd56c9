namespace Brisk.Tls.Protocol;

/// <summary>
/// CipherSuite code points with their IANA names ("TLS Cipher Suites" registry). Values a peer offers
/// that are not listed here (GREASE, legacy suites) are still carried through the codec as raw values.
/// </summary>
#pragma warning disable CA1707 // IANA names on purpose, so the code greps like the RFCs
public enum CipherSuite : ushort
{
    TLS_NULL_WITH_NULL_NULL = 0x0000,

    // TLS 1.2, RSA key transport (RFC 5288 §3)
    TLS_RSA_WITH_AES_128_GCM_SHA256 = 0x009C,
    TLS_RSA_WITH_AES_256_GCM_SHA384 = 0x009D,

    // Signalling values
    TLS_EMPTY_RENEGOTIATION_INFO_SCSV = 0x00FF, // RFC 5746 §3.3
    TLS_FALLBACK_SCSV = 0x5600,                 // RFC 7507 §2

    // TLS 1.3 (RFC 8446 §B.4)
    TLS_AES_128_GCM_SHA256 = 0x1301,
    TLS_AES_256_GCM_SHA384 = 0x1302,
    TLS_CHACHA20_POLY1305_SHA256 = 0x1303,
    TLS_AES_128_CCM_SHA256 = 0x1304,
    TLS_AES_128_CCM_8_SHA256 = 0x1305,

    // TLS 1.2 ECDHE with AEAD (RFC 5289 §3.2, RFC 7905 §2)
    TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xC02B,
    TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 = 0xC02C,
    TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 = 0xC02F,
    TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 = 0xC030,
    TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA8,
    TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 = 0xCCA9,

    // Legacy CBC suites common in real ClientHellos; listed only so logs and tests read well.
    TLS_RSA_WITH_AES_128_CBC_SHA = 0x002F,
    TLS_RSA_WITH_AES_256_CBC_SHA = 0x0035,
    TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA = 0xC009,
    TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA = 0xC00A,
    TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA = 0xC013,
    TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA = 0xC014,
}
#pragma warning restore CA1707
