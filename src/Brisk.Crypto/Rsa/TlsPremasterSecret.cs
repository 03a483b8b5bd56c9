using System.Buffers;
using System.Security.Cryptography;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// TLS 1.2 RSA key exchange, server side: recovers the 48-byte pre-master secret from
/// ClientKeyExchange.EncryptedPreMasterSecret (RFC 5246 §7.4.7.1) without a padding oracle. Whatever is
/// wrong — ciphertext length, ciphertext ≥ n, PKCS#1 padding, message length, version bytes — the result is
/// 48 fresh random bytes, produced by the same code path, and the handshake then fails at Finished
/// exactly like a wrong key would. No alert and no exception reveal which case occurred.
/// </summary>
public static class TlsPremasterSecret
{
    public const int Length = 48;

    /// <summary>
    /// Decrypts and decodes in one call; see the type remarks. <paramref name="encrypted"/> is the
    /// EncryptedPreMasterSecret without its 2-byte length prefix. Validity of the ciphertext length and
    /// of <c>c &lt; n</c> is public (the attacker chose the ciphertext), so those two checks may branch;
    /// they still yield a random pre-master secret instead of an error. An <see cref="RsaFaultException"/>
    /// from the engine propagates: a fault does not depend on the plaintext, so aborting reveals nothing
    /// about the padding. <paramref name="premaster48"/> is owned by the caller and written before the
    /// task completes.
    /// </summary>
    public static async ValueTask DecryptPremasterAsync(IRsaEngine engine, RsaPrivateKey key, ReadOnlyMemory<byte> encrypted, ushort clientHelloVersion, Memory<byte> premaster48, CancellationToken cancellationToken = default)
    {
        if (premaster48.Length != Length)
            throw new ArgumentException("The pre-master secret is 48 bytes.", nameof(premaster48));
        int k = key.ModulusLength;
        if (encrypted.Length != k || !RsaMath.IsLessThanModulus(encrypted.Span, key.Modulus))
        {
            RandomNumberGenerator.Fill(premaster48.Span);
            return;
        }
        byte[] raw = ArrayPool<byte>.Shared.Rent(k);
        try
        {
            await engine.PrivateAsync(key, encrypted, raw.AsMemory(0, k), cancellationToken).ConfigureAwait(false);
            Decode(raw.AsSpan(0, k), clientHelloVersion, premaster48.Span);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(raw.AsSpan(0, k));
            ArrayPool<byte>.Shared.Return(raw);
        }
    }

    /// <summary>
    /// RFC 5246 §7.4.7.1 on the k-byte raw decryption: writes the decoded pre-master secret when the
    /// encoding is 0x00 0x02 PS(≥ 8 non-zero bytes) 0x00 M with |M| = 48 and M[0..2] = client_version, and
    /// 48 random bytes otherwise. Constant time: the random bytes are drawn first, every check is folded
    /// into one mask, and the output is selected byte by byte with it.
    /// </summary>
    /// <remarks>
    /// The RFC's algorithm substitutes client_version for M[0..2] instead of checking it; checking and
    /// falling back to random (as OpenSSL does) has the same outcome — a mismatching version makes the
    /// Finished check fail — and keeps one mask for everything.
    /// </remarks>
    public static void Decode(ReadOnlySpan<byte> rawDecryption, ushort clientHelloVersion, Span<byte> premaster48)
    {
        int k = rawDecryption.Length;
        if (k < Length + Pkcs1V15Encryption.MinimumOverhead)
            throw new ArgumentException("The modulus is too short for a TLS pre-master secret.", nameof(rawDecryption));
        if (premaster48.Length != Length)
            throw new ArgumentException("The pre-master secret is 48 bytes.", nameof(premaster48));

        Span<byte> random = stackalloc byte[Length];
        RandomNumberGenerator.Fill(random);

        int good = RsaMath.EqualMask(rawDecryption[0], 0x00) & RsaMath.EqualMask(rawDecryption[1], 0x02);
        // A 48-byte message puts the separator at k − 49; PS = [2, k − 49) is then k − 51 ≥ 8 bytes long
        // and must contain no zero, otherwise the first zero (and so the message length) would differ.
        int separator = k - Length - 1;
        int anyZeroInPadding = 0;
        for (int i = 2; i < separator; i++)
            anyZeroInPadding |= RsaMath.EqualMask(rawDecryption[i], 0);
        good &= ~anyZeroInPadding;
        good &= RsaMath.EqualMask(rawDecryption[separator], 0x00);
        ReadOnlySpan<byte> message = rawDecryption[(separator + 1)..];
        good &= RsaMath.EqualMask(message[0], clientHelloVersion >> 8);
        good &= RsaMath.EqualMask(message[1], clientHelloVersion & 0xff);

        for (int i = 0; i < Length; i++)
            premaster48[i] = RsaMath.Select(good, message[i], random[i]);
        CryptographicOperations.ZeroMemory(random);
    }
}
