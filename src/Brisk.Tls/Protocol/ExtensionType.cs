namespace Brisk.Tls.Protocol;

/// <summary>ExtensionType code points (IANA "TLS ExtensionType Values"; RFC 8446 §4.2 and the RFCs cited).</summary>
public enum ExtensionType : ushort
{
    ServerName = 0,                  // RFC 6066 §3
    MaxFragmentLength = 1,           // RFC 6066 §4
    StatusRequest = 5,               // RFC 6066 §8
    SupportedGroups = 10,            // RFC 8422 §5.1.1, RFC 8446 §4.2.7
    EcPointFormats = 11,             // RFC 8422 §5.1.2
    SignatureAlgorithms = 13,        // RFC 5246 §7.4.1.4.1, RFC 8446 §4.2.3
    UseSrtp = 14,
    Heartbeat = 15,
    ApplicationLayerProtocolNegotiation = 16, // RFC 7301 §3.1
    SignedCertificateTimestamp = 18, // RFC 6962
    ClientCertificateType = 19,
    ServerCertificateType = 20,
    Padding = 21,                    // RFC 7685
    EncryptThenMac = 22,             // RFC 7366
    ExtendedMasterSecret = 23,       // RFC 7627 §5.1
    CompressCertificate = 27,        // RFC 8879
    RecordSizeLimit = 28,            // RFC 8449
    SessionTicket = 35,              // RFC 5077 §3.2 (was SessionTicket TLS)
    PreSharedKey = 41,               // RFC 8446 §4.2.11
    EarlyData = 42,                  // RFC 8446 §4.2.10
    SupportedVersions = 43,          // RFC 8446 §4.2.1
    Cookie = 44,                     // RFC 8446 §4.2.2
    PskKeyExchangeModes = 45,        // RFC 8446 §4.2.9
    CertificateAuthorities = 47,     // RFC 8446 §4.2.4
    OidFilters = 48,                 // RFC 8446 §4.2.5
    PostHandshakeAuth = 49,          // RFC 8446 §4.2.6
    SignatureAlgorithmsCert = 50,    // RFC 8446 §4.2.3
    KeyShare = 51,                   // RFC 8446 §4.2.8
    RenegotiationInfo = 0xFF01,      // RFC 5746 §3.2
}
