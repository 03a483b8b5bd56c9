namespace Brisk.Tls.Protocol;

/// <summary>Handshake.msg_type (RFC 5246 §7.4, RFC 8446 §4).</summary>
public enum HandshakeType : byte
{
    HelloRequest = 0,            // TLS 1.2 only
    ClientHello = 1,
    ServerHello = 2,
    HelloVerifyRequest = 3,      // DTLS only (RFC 6347); never valid in TLS
    NewSessionTicket = 4,        // RFC 5077 §3.3, RFC 8446 §4.6.1
    EndOfEarlyData = 5,          // TLS 1.3
    HelloRetryRequest = 6,       // reserved: TLS 1.3 sends HRR as a ServerHello (RFC 8446 §4.1.3)
    EncryptedExtensions = 8,     // TLS 1.3
    Certificate = 11,
    ServerKeyExchange = 12,      // TLS 1.2 only
    CertificateRequest = 13,
    ServerHelloDone = 14,        // TLS 1.2 only
    CertificateVerify = 15,
    ClientKeyExchange = 16,      // TLS 1.2 only
    Finished = 20,
    CertificateUrl = 21,         // RFC 6066, not supported
    CertificateStatus = 22,      // RFC 6066 §8, TLS 1.2 OCSP stapling
    KeyUpdate = 24,              // TLS 1.3
    CompressedCertificate = 25,  // RFC 8879, not supported
    MessageHash = 254,           // synthetic transcript entry after HRR (RFC 8446 §4.4.1)
}
