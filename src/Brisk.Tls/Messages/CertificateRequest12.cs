using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// TLS 1.2 CertificateRequest (RFC 5246 §7.4.4): certificate_types&lt;1..2^8-1&gt;,
/// supported_signature_algorithms&lt;2..2^16-2&gt;, certificate_authorities&lt;0..2^16-1&gt; of
/// DistinguishedName&lt;1..2^16-1&gt; (DER X.501 names).
/// </summary>
public sealed record CertificateRequest12(
    IReadOnlyList<ClientCertificateType> CertificateTypes,
    IReadOnlyList<SignatureScheme> SignatureAlgorithms,
    IReadOnlyList<byte[]> CertificateAuthorities)
{
    public static CertificateRequest12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var types = reader.ReadVector8(minLength: 1).ToArray().Select(t => (ClientCertificateType)t).ToList();
        var schemes = ExtensionCodec.ReadSignatureSchemes(ref reader, "CertificateRequest");
        var authoritiesReader = reader.ReadVectorReader16();
        var authorities = new List<byte[]>();
        while (!authoritiesReader.IsEmpty)
            authorities.Add(authoritiesReader.ReadVector16(minLength: 1).ToArray());
        reader.ExpectEnd("CertificateRequest");
        return new CertificateRequest12(types, schemes, authorities);
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.CertificateRequest);
        int types = writer.BeginVector(1);
        foreach (var type in CertificateTypes)
            writer.WriteUInt8((byte)type);
        writer.EndVector(types);
        ExtensionCodec.WriteSignatureSchemes(writer, SignatureAlgorithms.ToArray());
        int authorities = writer.BeginVector(2);
        foreach (var name in CertificateAuthorities)
            writer.WriteVector16(name);
        writer.EndVector(authorities);
        writer.EndVector(message);
    }
}
