namespace Brisk.Crypto.Rsa;

/// <summary>
/// EME-PKCS1-v1_5 decoding (RFC 8017 §7.2.2 step 3) in constant time: no branch, early exit or memory
/// index depends on the encoded message. The generic decoder exists for tests against Wycheproof and for
/// non-TLS callers; TLS 1.2 RSA key exchange must use <see cref="TlsPremasterSecret"/>, which never reveals
/// whether the padding was valid (Bleichenbacher, CRYPTO '98; RFC 5246 §7.4.7.1).
/// </summary>
public static class Pkcs1V15Encryption
{
    /// <summary>Smallest encoding: 0x00 0x02, 8 bytes of PS, 0x00 (RFC 8017 §7.2.1 step 1: mLen ≤ k − 11).</summary>
    public const int MinimumOverhead = 11;

    /// <summary>
    /// Decodes <paramref name="encodedMessage"/> (the k-byte raw private-key result). Returns all ones (-1)
    /// when the padding is valid and the message fits in <paramref name="message"/>, else 0. On success the
    /// message is in <paramref name="message"/>[..messageLength]; on failure <paramref name="messageLength"/>
    /// is 0 and <paramref name="message"/> holds zeros where the message would have been. The running time
    /// depends only on k and the capacity of <paramref name="message"/>. Callers that branch on the result
    /// reveal validity — do that only where validity is public.
    /// </summary>
    public static int Decode(ReadOnlySpan<byte> encodedMessage, Span<byte> message, out int messageLength)
    {
        int k = encodedMessage.Length;
        if (k < MinimumOverhead)
            throw new ArgumentException("An EME-PKCS1-v1_5 encoding is at least 11 bytes.", nameof(encodedMessage));

        int good = RsaMath.EqualMask(encodedMessage[0], 0x00) & RsaMath.EqualMask(encodedMessage[1], 0x02);

        // Find the first zero byte after the block type without stopping at it.
        int foundZero = 0;
        int zeroIndex = 0;
        for (int i = 2; i < k; i++)
        {
            int isZero = RsaMath.EqualMask(encodedMessage[i], 0);
            zeroIndex = RsaMath.Select(~foundZero & isZero, i, zeroIndex);
            foundZero |= isZero;
        }
        good &= foundZero;
        // PS is encodedMessage[2..zeroIndex] and must be at least 8 bytes long.
        good &= ~RsaMath.LessThanMask(zeroIndex, 2 + 8);
        int messageStart = zeroIndex + 1;
        int length = k - messageStart;
        good &= ~RsaMath.LessThanMask(message.Length, length);

        // Move the message to the front with a logarithmic series of conditional shifts (each touches every
        // byte), so the access pattern does not depend on where the message starts.
        int maxLength = k - MinimumOverhead;
        Span<byte> window = maxLength <= 1024 ? stackalloc byte[maxLength] : new byte[maxLength];
        encodedMessage[MinimumOverhead..].CopyTo(window);
        int shift = RsaMath.Select(good, messageStart - MinimumOverhead, 0);
        for (int bit = 0, step = 1; step < maxLength; bit++, step <<= 1)
        {
            int doShift = -((shift >> bit) & 1);
            for (int i = 0; i < maxLength - step; i++)
                window[i] = RsaMath.Select(doShift, window[i + step], window[i]);
        }
        int copy = Math.Min(message.Length, maxLength);
        for (int i = 0; i < copy; i++)
            message[i] = (byte)(window[i] & RsaMath.LessThanMask(i, length) & good);
        message[copy..].Clear();
        System.Security.Cryptography.CryptographicOperations.ZeroMemory(window);
        messageLength = length & good;
        return good;
    }
}
