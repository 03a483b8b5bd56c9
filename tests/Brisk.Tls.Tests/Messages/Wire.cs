using Brisk.Tls.Codec;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Messages;

public delegate void BodyParser(ReadOnlySpan<byte> body);

/// <summary>Shared helpers for codec tests: encode through TlsWriter, split handshake headers, assert rejection.</summary>
internal static class Wire
{
    public static byte[] Hex(string hex) => Convert.FromHexString(string.Concat(hex.Where(Uri.IsHexDigit)));

    public static byte[] Encode(Action<TlsWriter> write)
    {
        using var writer = new TlsWriter(16); // small on purpose: exercises growth
        write(writer);
        return writer.ToArray();
    }

    /// <summary>Checks the 4-byte header against the expected type and the real body length, returns the body.</summary>
    public static byte[] Body(byte[] message, HandshakeType expectedType)
    {
        Assert.True(HandshakeHeader.TryRead(message, out HandshakeType type, out int length));
        Assert.Equal(expectedType, type);
        Assert.Equal(message.Length - HandshakeHeader.Length, length);
        return message[HandshakeHeader.Length..];
    }

    public static TlsProtocolException Rejects(BodyParser parse, byte[] body, AlertDescription alert)
    {
        var exception = Assert.Throws<TlsProtocolException>(() => parse(body));
        Assert.Equal(alert, exception.Alert);
        return exception;
    }

    /// <summary>
    /// Go's handshake_messages_test habit: no proper prefix of an encoding may parse. <paramref name="validPrefixLengths"/>
    /// lists prefixes that are themselves complete encodings (a hello cut right after compression_methods is
    /// a valid extension-less hello, RFC 5246 §7.4.1.2).
    /// </summary>
    public static void AssertEveryProperPrefixRejected(byte[] body, BodyParser parse, params int[] validPrefixLengths)
    {
        for (int length = 0; length < body.Length; length++)
        {
            if (validPrefixLengths.Contains(length))
            {
                continue;
            }

            byte[] prefix = body[..length];
            var exception = Record.Exception(() => parse(prefix));
            Assert.True(exception is TlsProtocolException, $"prefix of {length}/{body.Length} bytes: {exception?.GetType().Name ?? "parsed"}");
        }
    }

    public static void AssertTrailingBytesRejected(byte[] body, BodyParser parse)
    {
        byte[] extended = [.. body, 0x00];
        Rejects(parse, extended, AlertDescription.DecodeError);
    }

    /// <summary>Encodes one extension: type, uint16 length, data.</summary>
    public static byte[] Extension(ExtensionType type, params byte[] data) =>
        Encode(w =>
        {
            w.WriteUInt16((ushort)type);
            w.WriteVector16(data);
        });

    /// <summary>Encodes an extensions block from already-encoded extensions.</summary>
    public static void WriteExtensionsBlock(TlsWriter writer, params byte[][] extensions)
    {
        int token = writer.BeginVector(2);
        foreach (byte[] extension in extensions)
        {
            writer.WriteBytes(extension);
        }

        writer.EndVector(token);
    }
}
