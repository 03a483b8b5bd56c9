using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>CertificateVerify (RFC 5246 §7.4.8 digitally-signed, RFC 8446 §4.4.3): algorithm, then signature&lt;0..2^16-1&gt;.</summary>
public sealed record CertificateVerify(SignatureScheme Scheme, byte[] Signature)
{
    public static CertificateVerify Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var scheme = (SignatureScheme)reader.ReadUInt16();
        var signature = reader.ReadVector16().ToArray();
        reader.ExpectEnd("CertificateVerify");
        return new CertificateVerify(scheme, signature);
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.CertificateVerify);
        writer.WriteUInt16((ushort)Scheme);
        writer.WriteVector16(Signature);
        writer.EndVector(message);
    }
}
