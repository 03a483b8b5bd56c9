using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>ServerECDHParams (RFC 8422 §5.4): curve_type named_curve(3), the group, and the public point opaque&lt;1..255&gt;.</summary>
public sealed record EcdheServerParameters(ushort Group, byte[] PublicKey)
{
    public const byte NamedCurve = 3;

    public int EncodedLength => 1 + 2 + 1 + PublicKey.Length;

    /// <summary>Writes the params exactly as they are signed (client_random + server_random + params).</summary>
    public void WriteTo(Span<byte> destination)
    {
        destination[0] = NamedCurve;
        destination[1] = (byte)(Group >> 8);
        destination[2] = (byte)Group;
        destination[3] = checked((byte)PublicKey.Length);
        PublicKey.CopyTo(destination[4..]);
    }

    internal static EcdheServerParameters Read(ref TlsReader reader)
    {
        if (reader.ReadUInt8() != NamedCurve)
            TlsProtocolException.ThrowIllegalParameter("ServerKeyExchange curve_type is not named_curve");
        ushort group = reader.ReadUInt16();
        var point = reader.ReadVector8(minLength: 1).ToArray();
        return new EcdheServerParameters(group, point);
    }
}

/// <summary>ServerKeyExchange for ECDHE (RFC 8422 §5.4, RFC 5246 §7.4.3): params, then a digitally-signed struct.</summary>
public sealed record ServerKeyExchange(EcdheServerParameters Parameters, SignatureScheme Scheme, byte[] Signature)
{
    public static ServerKeyExchange Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var parameters = EcdheServerParameters.Read(ref reader);
        var scheme = (SignatureScheme)reader.ReadUInt16();
        var signature = reader.ReadVector16().ToArray();
        reader.ExpectEnd("ServerKeyExchange");
        return new ServerKeyExchange(parameters, scheme, signature);
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.ServerKeyExchange);
        var parameters = writer.GetSpan(Parameters.EncodedLength);
        Parameters.WriteTo(parameters);
        writer.Advance(Parameters.EncodedLength);
        writer.WriteUInt16((ushort)Scheme);
        writer.WriteVector16(Signature);
        writer.EndVector(message);
    }
}
