using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// TLS 1.2 CertificateRequest (RFC 5246 §7.4.4): ClientCertificateType certificate_types&lt;1..2^8-1&gt;;
/// SignatureAndHashAlgorithm supported_signature_algorithms&lt;2..2^16-2&gt;;
/// DistinguishedName certificate_authorities&lt;0..2^16-1&gt; with DistinguishedName opaque&lt;1..2^16-1&gt;.
/// </summary>
public sealed class CertificateRequestTls12
{
    public required ClientCertificateType[] CertificateTypes { get; init; }

    public required SignatureScheme[] SupportedSignatureAlgorithms { get; init; }

    /// <summary>DER-encoded DistinguishedNames (owned copies).</summary>
    public byte[][] CertificateAuthorities { get; init; } = [];

    public static CertificateRequestTls12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        ReadOnlySpan<byte> types = reader.ReadVector8(minLength: 1);
        var certificateTypes = new ClientCertificateType[types.Length];
        for (int i = 0; i < types.Length; i++)
        {
            certificateTypes[i] = (ClientCertificateType)types[i];
        }

        SignatureScheme[] schemes = ExtensionCodec.ReadSignatureSchemes(ref reader, "supported_signature_algorithms");
        byte[][] authorities = ReadDistinguishedNames(ref reader, minLength: 0);
        reader.ExpectEnd("CertificateRequest");
        return new CertificateRequestTls12 { CertificateTypes = certificateTypes, SupportedSignatureAlgorithms = schemes, CertificateAuthorities = authorities };
    }

    internal static byte[][] ReadDistinguishedNames(ref TlsReader reader, int minLength)
    {
        TlsReader list = reader.ReadVectorReader16(minLength);
        var names = new List<byte[]>();
        while (!list.IsEmpty)
        {
            names.Add(list.ReadVector16(minLength: 1).ToArray());
        }

        return names.ToArray();
    }

    internal static void WriteDistinguishedNames(TlsWriter writer, byte[][] names)
    {
        int list = writer.BeginVector(2);
        foreach (byte[] name in names)
        {
            writer.WriteVector16(name);
        }

        writer.EndVector(list);
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.CertificateRequest);
        int types = writer.BeginVector(1);
        foreach (ClientCertificateType type in CertificateTypes)
        {
            writer.WriteUInt8((byte)type);
        }

        writer.EndVector(types);
        ExtensionCodec.WriteSignatureSchemes(writer, SupportedSignatureAlgorithms);
        WriteDistinguishedNames(writer, CertificateAuthorities);
        writer.EndVector(message);
    }
}

/// <summary>
/// TLS 1.3 CertificateRequest (RFC 8446 §4.3.2): opaque certificate_request_context&lt;0..2^8-1&gt;;
/// Extension extensions&lt;2..2^16-1&gt;. signature_algorithms "MUST be specified" (missing_extension);
/// unknown extensions are ignored.
/// </summary>
public sealed class CertificateRequestTls13
{
    public byte[] CertificateRequestContext { get; init; } = [];

    public required SignatureScheme[] SignatureAlgorithms { get; init; }

    public SignatureScheme[]? SignatureAlgorithmsCert { get; init; }

    /// <summary>certificate_authorities (RFC 8446 §4.2.4): DER DistinguishedNames.</summary>
    public byte[][]? CertificateAuthorities { get; init; }

    public static CertificateRequestTls13 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        byte[] context = reader.ReadVector8().ToArray();
        TlsReader extensions = reader.ReadVectorReader16(minLength: 2);
        reader.ExpectEnd("CertificateRequest");

        SignatureScheme[]? signatureAlgorithms = null, signatureAlgorithmsCert = null;
        byte[][]? authorities = null;
        var seen = new ExtensionTypeSet();
        while (!extensions.IsEmpty)
        {
            var type = (ExtensionType)extensions.ReadUInt16();
            TlsReader data = extensions.ReadVectorReader16();
            seen.Add(type);
            switch (type)
            {
                case ExtensionType.SignatureAlgorithms:
                    // RFC 8446 §4.2.3
                    signatureAlgorithms = ExtensionCodec.ReadSignatureSchemes(ref data, "signature_algorithms");
                    break;
                case ExtensionType.SignatureAlgorithmsCert:
                    // RFC 8446 §4.2.3
                    signatureAlgorithmsCert = ExtensionCodec.ReadSignatureSchemes(ref data, "signature_algorithms_cert");
                    break;
                case ExtensionType.CertificateAuthorities:
                    // RFC 8446 §4.2.4: DistinguishedName authorities<3..2^16-1>
                    authorities = CertificateRequestTls12.ReadDistinguishedNames(ref data, minLength: 3);
                    break;
                default:
                    // RFC 8446 §4.3.2: "Clients MUST ignore unrecognized extensions."
                    data.ReadBytes(data.Remaining);
                    break;
            }

            ExtensionCodec.ExpectEnd(ref data, type);
        }

        if (signatureAlgorithms is null)
        {
            TlsProtocolException.Throw(AlertDescription.MissingExtension, "CertificateRequest without signature_algorithms");
        }

        return new CertificateRequestTls13
        {
            CertificateRequestContext = context,
            SignatureAlgorithms = signatureAlgorithms,
            SignatureAlgorithmsCert = signatureAlgorithmsCert,
            CertificateAuthorities = authorities,
        };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.CertificateRequest);
        writer.WriteVector8(CertificateRequestContext);
        int extensions = writer.BeginVector(2);
        int ext = TlsExtension.Begin(writer, ExtensionType.SignatureAlgorithms);
        ExtensionCodec.WriteSignatureSchemes(writer, SignatureAlgorithms);
        writer.EndVector(ext);
        if (SignatureAlgorithmsCert is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SignatureAlgorithmsCert);
            ExtensionCodec.WriteSignatureSchemes(writer, SignatureAlgorithmsCert);
            writer.EndVector(ext);
        }

        if (CertificateAuthorities is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.CertificateAuthorities);
            CertificateRequestTls12.WriteDistinguishedNames(writer, CertificateAuthorities);
            writer.EndVector(ext);
        }

        writer.EndVector(extensions);
        writer.EndVector(message);
    }
}
