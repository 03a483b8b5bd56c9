using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>CertificateVerify (RFC 8446 §4.4.3; RFC 5246 §7.4.8 with DigitallySigned): scheme + opaque signature&lt;0..2^16-1&gt;.</summary>
public sealed class CertificateVerify
{
    public required SignatureScheme SignatureScheme { get; init; }

    public required byte[] Signature { get; init; }

    public static CertificateVerify Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var scheme = (SignatureScheme)reader.ReadUInt16();
        byte[] signature = reader.ReadVector16().ToArray();
        reader.ExpectEnd("CertificateVerify");
        return new CertificateVerify { SignatureScheme = scheme, Signature = signature };
    }

    public void Write(TlsWriter writer) => Write(writer, SignatureScheme, Signature);

    /// <summary>Writes the full message straight from a span.</summary>
    public static void Write(TlsWriter writer, SignatureScheme signatureScheme, ReadOnlySpan<byte> signature)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.CertificateVerify);
        writer.WriteUInt16((ushort)signatureScheme);
        writer.WriteVector16(signature);
        writer.EndVector(message);
    }
}
