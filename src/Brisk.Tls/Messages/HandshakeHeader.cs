using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// The 4-byte Handshake header (RFC 8446 §4, RFC 5246 §7.4): msg_type(1) and a uint24 body length.
/// Message types' <c>Write</c> methods write this header themselves; parsers take the body only.
/// </summary>
public static class HandshakeHeader
{
    public const int Length = 4;

    /// <summary>The largest body a uint24 length can describe. Callers impose their own, smaller limit.</summary>
    public const int MaxBodyLength = 0xFFFFFF;

    /// <summary>
    /// Reads the header at the start of <paramref name="data"/>. Returns false when fewer than four bytes are
    /// available (the record layer must wait for more); never throws.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> data, out HandshakeType type, out int bodyLength)
    {
        if (data.Length < Length)
        {
            type = default;
            bodyLength = 0;
            return false;
        }

        type = (HandshakeType)data[0];
        bodyLength = (data[1] << 16) | (data[2] << 8) | data[3];
        return true;
    }

    /// <summary>Writes msg_type and reserves the uint24 length; close with <see cref="TlsWriter.EndVector"/>.</summary>
    public static int Begin(TlsWriter writer, HandshakeType type)
    {
        writer.WriteUInt8((byte)type);
        return writer.BeginVector(3);
    }

    /// <summary>Convenience for messages with an empty body (ServerHelloDone, EndOfEarlyData).</summary>
    public static void WriteEmpty(TlsWriter writer, HandshakeType type)
    {
        writer.WriteUInt8((byte)type);
        writer.WriteUInt24(0);
    }
}
