namespace Brisk.Crypto.Hashing;

/// <summary>
/// HKDF (RFC 5869) over <see cref="Hmac"/>, into caller-provided spans. TLS 1.3's key schedule
/// (RFC 8446 §7.1) is built from these two steps; HKDF-Expand-Label belongs to the protocol layer.
/// </summary>
public static class Hkdf
{
    /// <summary>
    /// HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM) (RFC 5869 §2.2). An empty salt means HashLen zero
    /// bytes, which HMAC's zero padding of short keys already yields. Returns the PRK length written.
    /// </summary>
    public static int Extract(HashKind kind, ReadOnlySpan<byte> salt, ReadOnlySpan<byte> inputKeyMaterial, Span<byte> pseudoRandomKey) =>
        Hmac.Compute(kind, salt, inputKeyMaterial, pseudoRandomKey);

    /// <summary>
    /// HKDF-Expand(PRK, info, L) into all of <paramref name="output"/> (L = output.Length ≤ 255·HashLen,
    /// RFC 5869 §2.3): T(i) = HMAC(PRK, T(i-1) | info | i).
    /// </summary>
    /// <exception cref="ArgumentException">L exceeds 255·HashLen, or the PRK is shorter than HashLen.</exception>
    public static void Expand(HashKind kind, ReadOnlySpan<byte> pseudoRandomKey, ReadOnlySpan<byte> info, Span<byte> output)
    {
        int hashLength = kind.HashLength();
        if (output.Length > 255 * hashLength)
            throw new ArgumentException($"HKDF-Expand output is limited to {255 * hashLength} bytes.", nameof(output));
        if (pseudoRandomKey.Length < hashLength)
            throw new ArgumentException("The PRK must be at least HashLen bytes (RFC 5869 §2.3).", nameof(pseudoRandomKey));

        Span<byte> block = stackalloc byte[HashKindInfo.MaxHashLength];
        block = block[..hashLength];
        Span<byte> counter = stackalloc byte[1];
        int previousLength = 0;
        try
        {
            for (int offset = 0, i = 1; offset < output.Length; offset += hashLength, i++)
            {
                counter[0] = (byte)i;
                Hmac.Compute(kind, pseudoRandomKey, block[..previousLength], info, counter, block);
                previousLength = hashLength;
                int take = Math.Min(hashLength, output.Length - offset);
                block[..take].CopyTo(output[offset..]);
            }
        }
        finally
        {
            System.Security.Cryptography.CryptographicOperations.ZeroMemory(block);
        }
    }
}
