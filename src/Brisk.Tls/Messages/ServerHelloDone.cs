using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>ServerHelloDone (RFC 5246 §7.4.5): an empty body.</summary>
public sealed class ServerHelloDone
{
    public static readonly ServerHelloDone Instance = new();

    public static ServerHelloDone Parse(ReadOnlySpan<byte> body)
    {
        new TlsReader(body).ExpectEnd("ServerHelloDone");
        return Instance;
    }

    public void Write(TlsWriter writer) => HandshakeHeader.WriteEmpty(writer, HandshakeType.ServerHelloDone);
}

/// <summary>EndOfEarlyData (RFC 8446 §4.5): an empty body.</summary>
public sealed class EndOfEarlyData
{
    public static readonly EndOfEarlyData Instance = new();

    public static EndOfEarlyData Parse(ReadOnlySpan<byte> body)
    {
        new TlsReader(body).ExpectEnd("EndOfEarlyData");
        return Instance;
    }

    public void Write(TlsWriter writer) => HandshakeHeader.WriteEmpty(writer, HandshakeType.EndOfEarlyData);
}
