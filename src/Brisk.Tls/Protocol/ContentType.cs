namespace Brisk.Tls.Protocol;

/// <summary>TLSPlaintext.type (RFC 5246 §6.2.1, RFC 8446 §5.1).</summary>
public enum ContentType : byte
{
    Invalid = 0,
    ChangeCipherSpec = 20,
    Alert = 21,
    Handshake = 22,
    ApplicationData = 23,
    Heartbeat = 24, // RFC 6520; Brisk never negotiates it.
}
