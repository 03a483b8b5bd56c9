namespace Brisk.Tls.Protocol;

/// <summary>AlertLevel (RFC 5246 §7.2). In TLS 1.3 the level is ignored except for close_notify/user_canceled.</summary>
public enum AlertLevel : byte
{
    Warning = 1,
    Fatal = 2,
}

/// <summary>AlertDescription: the union of RFC 5246 §7.2 and RFC 8446 §6 (plus RFC 6066, 7301 code points).</summary>
public enum AlertDescription : byte
{
    CloseNotify = 0,
    UnexpectedMessage = 10,
    BadRecordMac = 20,
    DecryptionFailedReserved = 21, // RFC 5246: MUST NOT be sent
    RecordOverflow = 22,
    DecompressionFailureReserved = 30,
    HandshakeFailure = 40,
    NoCertificateReserved = 41,    // SSL 3.0 only
    BadCertificate = 42,
    UnsupportedCertificate = 43,
    CertificateRevoked = 44,
    CertificateExpired = 45,
    CertificateUnknown = 46,
    IllegalParameter = 47,
    UnknownCa = 48,
    AccessDenied = 49,
    DecodeError = 50,
    DecryptError = 51,
    ExportRestrictionReserved = 60,
    ProtocolVersion = 70,
    InsufficientSecurity = 71,
    InternalError = 80,
    InappropriateFallback = 86,    // RFC 7507
    UserCanceled = 90,
    NoRenegotiation = 100,         // RFC 5246; TLS 1.2 only
    MissingExtension = 109,
    UnsupportedExtension = 110,
    CertificateUnobtainable = 111, // RFC 6066
    UnrecognizedName = 112,        // RFC 6066 §3
    BadCertificateStatusResponse = 113,
    BadCertificateHashValue = 114, // RFC 6066
    UnknownPskIdentity = 115,
    CertificateRequired = 116,
    NoApplicationProtocol = 120,   // RFC 7301 §3.2
}
