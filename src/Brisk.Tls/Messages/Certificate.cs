using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// TLS 1.2 Certificate (RFC 5246 §7.4.2): ASN.1Cert certificate_list&lt;0..2^24-1&gt;, each
/// opaque ASN.1Cert&lt;1..2^24-1&gt;, sender's certificate first. An empty list is a client with no certificate.
/// The DER blobs are copied (they outlive the receive buffer).
/// </summary>
public sealed class CertificateTls12
{
    public required byte[][] CertificateList { get; init; }

    public static CertificateTls12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        TlsReader list = reader.ReadVectorReader24();
        reader.ExpectEnd("Certificate");
        var certificates = new List<byte[]>(3);
        while (!list.IsEmpty)
        {
            certificates.Add(list.ReadVector24(minLength: 1).ToArray());
        }

        return new CertificateTls12 { CertificateList = certificates.ToArray() };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.Certificate);
        int list = writer.BeginVector(3);
        foreach (byte[] certificate in CertificateList)
        {
            writer.WriteVector24(certificate);
        }

        writer.EndVector(list);
        writer.EndVector(message);
    }
}

/// <summary>
/// CertificateEntry (RFC 8446 §4.4.2): opaque cert_data&lt;1..2^24-1&gt; (X.509 DER) and its extensions
/// (status_request / signed_certificate_timestamp responses), kept raw.
/// </summary>
public sealed record CertificateEntry(byte[] CertData, IReadOnlyList<TlsExtension> Extensions)
{
    public CertificateEntry(byte[] certData)
        : this(certData, [])
    {
    }
}

/// <summary>
/// TLS 1.3 Certificate (RFC 8446 §4.4.2): opaque certificate_request_context&lt;0..2^8-1&gt;;
/// CertificateEntry certificate_list&lt;0..2^24-1&gt;. Parsed bytes are owned copies.
/// </summary>
public sealed class CertificateTls13
{
    public byte[] CertificateRequestContext { get; init; } = [];

    public required IReadOnlyList<CertificateEntry> CertificateList { get; init; }

    public static CertificateTls13 Parse(ReadOnlySpan<byte> body)
    {
        byte[] encodedBody = body.ToArray(); // owned copy; entry extensions slice into it
        var reader = new TlsReader(encodedBody);
        byte[] context = reader.ReadVector8().ToArray();
        TlsReader list = reader.ReadVectorReader24();
        reader.ExpectEnd("Certificate");
        var entries = new List<CertificateEntry>(3);
        while (!list.IsEmpty)
        {
            byte[] certData = list.ReadVector24(minLength: 1).ToArray();
            // Extension extensions<0..2^16-1>; RFC 8446 §4.2 forbids duplicates in any extension block.
            TlsReader extensions = list.ReadVectorReader16();
            var seen = new ExtensionTypeSet();
            var raw = new List<TlsExtension>();
            while (!extensions.IsEmpty)
            {
                var type = (ExtensionType)extensions.ReadUInt16();
                int dataOffset = extensions.AbsolutePosition + 2;
                ReadOnlySpan<byte> data = extensions.ReadVector16();
                seen.Add(type);
                raw.Add(new TlsExtension(type, encodedBody.AsMemory(dataOffset, data.Length)));
            }

            entries.Add(new CertificateEntry(certData, raw.ToArray()));
        }

        return new CertificateTls13 { CertificateRequestContext = context, CertificateList = entries.ToArray() };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.Certificate);
        writer.WriteVector8(CertificateRequestContext);
        int list = writer.BeginVector(3);
        foreach (CertificateEntry entry in CertificateList)
        {
            writer.WriteVector24(entry.CertData);
            int extensions = writer.BeginVector(2);
            foreach (TlsExtension extension in entry.Extensions)
            {
                writer.WriteUInt16((ushort)extension.Type);
                writer.WriteVector16(extension.Data.Span);
            }

            writer.EndVector(extensions);
        }

        writer.EndVector(list);
        writer.EndVector(message);
    }
}
