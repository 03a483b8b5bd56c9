using Brisk.Crypto.Hashing;

namespace Brisk.Tls.KeySchedule;

/// <summary>
/// TLS 1.3 transcript rules that are not plain concatenation (RFC 8446 §4.4.1): after a HelloRetryRequest the
/// first ClientHello is replaced by a synthetic message_hash handshake message carrying its hash.
/// </summary>
public static class Tls13Transcript
{
    /// <summary>HandshakeType message_hash (254), RFC 8446 §4 / §4.4.1.</summary>
    public const byte MessageHashType = 254;

    /// <summary>Length of the synthetic message for <paramref name="hash"/>: 4-byte header + Hash.length.</summary>
    public static int MessageHashLength(HashKind hash) => 4 + hash.HashLength();

    /// <summary>
    /// Writes the synthetic message <c>message_hash(254) || 00 00 Hash.length || Hash(ClientHello1)</c> (RFC 8446 §4.4.1)
    /// and returns its length.
    /// </summary>
    public static int MessageHash(HashKind hash, ReadOnlySpan<byte> clientHello1Hash, Span<byte> destination)
    {
        Tls13KeyDerivation.RequireHashLength(hash, clientHello1Hash, nameof(clientHello1Hash));
        int length = MessageHashLength(hash);
        if (destination.Length < length)
            throw new ArgumentException($"The message_hash message needs {length} bytes.", nameof(destination));
        destination[0] = MessageHashType;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = (byte)clientHello1Hash.Length;
        clientHello1Hash.CopyTo(destination[4..]);
        return length;
    }

    /// <summary>
    /// Starts the transcript that continues after a HelloRetryRequest: a new <see cref="TranscriptHash"/> holding only
    /// the message_hash of ClientHello1. The caller then appends the HelloRetryRequest, ClientHello2 and so on, and
    /// owns (disposes) both the old transcript and the returned one.
    /// </summary>
    public static TranscriptHash StartAfterHelloRetryRequest(HashKind hash, ReadOnlySpan<byte> clientHello1Hash)
    {
        Span<byte> message = stackalloc byte[4 + HashKindInfo.MaxHashLength];
        int length = MessageHash(hash, clientHello1Hash, message);
        var transcript = new TranscriptHash(hash);
        transcript.Append(message[..length]);
        return transcript;
    }
}
