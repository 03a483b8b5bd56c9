using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// The synthetic message_hash handshake message that replaces ClientHello1 in the transcript after a
/// HelloRetryRequest (RFC 8446 §4.4.1): msg_type 254, uint24 length Hash.length, then Hash(ClientHello1).
/// It is never sent; only hashed.
/// </summary>
public static class MessageHash
{
    public static void Write(TlsWriter writer, ReadOnlySpan<byte> clientHello1Hash)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.MessageHash);
        writer.WriteBytes(clientHello1Hash);
        writer.EndVector(message);
    }

    /// <summary>Span form: writes 4 + hash length bytes into <paramref name="destination"/> and returns the count.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> clientHello1Hash)
    {
        destination[0] = (byte)HandshakeType.MessageHash;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = checked((byte)clientHello1Hash.Length);
        clientHello1Hash.CopyTo(destination[4..]);
        return 4 + clientHello1Hash.Length;
    }
}
