namespace Brisk.Tls.Protocol;

/// <summary>ProtocolVersion wire values (RFC 5246 §6.2.1, RFC 8446 §4.2.1). Kept as ushort constants because peers send arbitrary (GREASE) values.</summary>
public static class ProtocolVersion
{
    public const ushort Ssl30 = 0x0300;
    public const ushort Tls10 = 0x0301;
    public const ushort Tls11 = 0x0302;
    public const ushort Tls12 = 0x0303;
    public const ushort Tls13 = 0x0304;
}

/// <summary>GREASE (RFC 8701 §2): reserved cipher suite, group, extension and version values of the form 0x?A?A (both bytes equal).</summary>
public static class Grease
{
    public static bool IsGrease(ushort value) => (value & 0x0F0F) == 0x0A0A && (value >> 8) == (value & 0xFF);
}

/// <summary>PskKeyExchangeMode (RFC 8446 §4.2.9).</summary>
public enum PskKeyExchangeMode : byte
{
    PskKe = 0,
    PskDheKe = 1,
}

/// <summary>ECPointFormat (RFC 8422 §5.1.2).</summary>
public enum EcPointFormat : byte
{
    Uncompressed = 0,
    AnsiX962CompressedPrime = 1,   // deprecated
    AnsiX962CompressedChar2 = 2,   // deprecated
}

/// <summary>KeyUpdateRequest (RFC 8446 §4.6.3).</summary>
public enum KeyUpdateRequest : byte
{
    UpdateNotRequested = 0,
    UpdateRequested = 1,
}

/// <summary>ClientCertificateType (RFC 5246 §7.4.4, RFC 8422 §5.5).</summary>
public enum ClientCertificateType : byte
{
    RsaSign = 1,
    DssSign = 2,
    EcdsaSign = 64,
}
