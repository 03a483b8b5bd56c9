using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>TLS 1.2 Certificate (RFC 5246 §7.4.2): certificate_list&lt;0..2^24-1&gt; of ASN.1Cert&lt;1..2^24-1&gt;, sender's certificate first.</summary>
public sealed class CertificateMessage12(IReadOnlyList<byte[]> certificates)
{
    public IReadOnlyList<byte[]> Certificates { get; } = certificates;

    public static CertificateMessage12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var list = reader.ReadVectorReader24();
        reader.ExpectEnd("Certificate");
        var certificates = new List<byte[]>();
        while (!list.IsEmpty)
            certificates.Add(list.ReadVector24(minLength: 1).ToArray());
        return new CertificateMessage12(certificates);
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.Certificate);
        int list = writer.BeginVector(3);
        foreach (var certificate in Certificates)
            writer.WriteVector24(certificate);
        writer.EndVector(list);
        writer.EndVector(message);
    }
}
