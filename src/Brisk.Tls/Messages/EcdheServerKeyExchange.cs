using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// TLS 1.2 ServerKeyExchange for ECDHE (RFC 8422 §5.4): ServerECDHParams { curve_type named_curve(3);
/// NamedCurve; opaque point&lt;1..2^8-1&gt; } followed by DigitallySigned { SignatureAndHashAlgorithm;
/// opaque signature&lt;0..2^16-1&gt; } (RFC 5246 §4.7, §7.4.3). The signature covers
/// client_random + server_random + params; see <see cref="WriteSignedData"/>.
/// </summary>
public sealed class EcdheServerKeyExchange
{
    /// <summary>ECCurveType named_curve (RFC 8422 §5.4); explicit curves are deprecated and refused.</summary>
    public const byte NamedCurveType = 3;

    /// <summary>NamedGroup as a raw value (compare with <c>(ushort)NamedGroup.X25519</c>).</summary>
    public required ushort NamedGroup { get; init; }

    /// <summary>The server's ephemeral public key in wire form (X25519: 32 bytes; NIST: uncompressed point).</summary>
    public required byte[] PublicKey { get; init; }

    public required SignatureScheme SignatureScheme { get; init; }

    public required byte[] Signature { get; init; }

    public static EcdheServerKeyExchange Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        byte curveType = reader.ReadUInt8();
        if (curveType != NamedCurveType)
        {
            // RFC 8422 §5.4 only leaves named_curve; explicit_prime/char2 (1, 2) are deprecated.
            TlsProtocolException.ThrowIllegalParameter($"ServerKeyExchange: curve_type {curveType} is not named_curve");
        }

        ushort group = reader.ReadUInt16();
        byte[] point = reader.ReadVector8(minLength: 1).ToArray();
        var scheme = (SignatureScheme)reader.ReadUInt16();
        byte[] signature = reader.ReadVector16().ToArray();
        reader.ExpectEnd("ServerKeyExchange");
        return new EcdheServerKeyExchange { NamedGroup = group, PublicKey = point, SignatureScheme = scheme, Signature = signature };
    }

    /// <summary>Writes ServerECDHParams: curve_type, named group, point (RFC 8422 §5.4).</summary>
    public static void WriteParams(TlsWriter writer, ushort namedGroup, ReadOnlySpan<byte> publicKey)
    {
        if (publicKey.Length is 0 or > 255)
        {
            throw new ArgumentException("ECPoint is opaque<1..2^8-1>", nameof(publicKey));
        }

        writer.WriteUInt8(NamedCurveType);
        writer.WriteUInt16(namedGroup);
        writer.WriteVector8(publicKey);
    }

    /// <summary>
    /// Writes what the server signs: ClientHello.random + ServerHello.random + ServerECDHParams
    /// (RFC 8422 §5.4, "signed_params").
    /// </summary>
    public static void WriteSignedData(TlsWriter writer, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, ushort namedGroup, ReadOnlySpan<byte> publicKey)
    {
        writer.WriteBytes(clientRandom);
        writer.WriteBytes(serverRandom);
        WriteParams(writer, namedGroup, publicKey);
    }

    /// <summary>Instance form of <see cref="WriteSignedData(TlsWriter, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ushort, ReadOnlySpan{byte})"/>, for a client checking the signature.</summary>
    public void WriteSignedData(TlsWriter writer, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom) =>
        WriteSignedData(writer, clientRandom, serverRandom, NamedGroup, PublicKey);

    public void Write(TlsWriter writer) => Write(writer, NamedGroup, PublicKey, SignatureScheme, Signature);

    /// <summary>Writes the full message straight from spans (no message object needed on the server's hot path).</summary>
    public static void Write(TlsWriter writer, ushort namedGroup, ReadOnlySpan<byte> publicKey, SignatureScheme signatureScheme, ReadOnlySpan<byte> signature)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.ServerKeyExchange);
        WriteParams(writer, namedGroup, publicKey);
        writer.WriteUInt16((ushort)signatureScheme);
        writer.WriteVector16(signature);
        writer.EndVector(message);
    }
}
