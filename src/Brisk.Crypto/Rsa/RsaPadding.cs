using System.Buffers.Binary;
using System.Security.Cryptography;
using Brisk.Crypto.Hashing;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// Signature encodings (RFC 8017 §9) that turn a message digest into the integer handed to
/// <see cref="IRsaEngine.PrivateAsync"/>. Both write exactly the modulus length <c>k</c>, so the result
/// can be fed to the engine as is.
/// </summary>
public static class RsaPadding
{
    // DER of DigestInfo up to the digest OCTET STRING's length byte; RFC 8017 §9.2, note 1.
    private static ReadOnlySpan<byte> Sha1DigestInfoPrefix => [0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14];
    private static ReadOnlySpan<byte> Sha256DigestInfoPrefix => [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];
    private static ReadOnlySpan<byte> Sha384DigestInfoPrefix => [0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30];
    private static ReadOnlySpan<byte> Sha512DigestInfoPrefix => [0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40];

    /// <summary>
    /// EMSA-PKCS1-v1_5 (RFC 8017 §9.2): <c>0x00 0x01 FF… 0x00 DigestInfo</c>, filling all of
    /// <paramref name="encodedMessage"/> (its length is the modulus length k). SHA-1 is included for TLS 1.2
    /// clients that only offer rsa_pkcs1_sha1.
    /// </summary>
    public static void EncodePkcs1V15Signature(HashAlgorithmName hash, ReadOnlySpan<byte> digest, Span<byte> encodedMessage)
    {
        ReadOnlySpan<byte> prefix = DigestInfoPrefix(hash);
        int hashLength = HashLength(hash);
        if (digest.Length != hashLength)
            throw new ArgumentException($"A {hash.Name} digest is {hashLength} bytes.", nameof(digest));
        int tLength = prefix.Length + hashLength;
        // §9.2 step 3: emLen < tLen + 11 is "intended encoded message length too short".
        if (encodedMessage.Length < tLength + 11)
            throw new ArgumentException("The modulus is too short for this hash.", nameof(encodedMessage));
        encodedMessage[0] = 0x00;
        encodedMessage[1] = 0x01;
        int separator = encodedMessage.Length - tLength - 1;
        encodedMessage[2..separator].Fill(0xff);
        encodedMessage[separator] = 0x00;
        prefix.CopyTo(encodedMessage[(separator + 1)..]);
        digest.CopyTo(encodedMessage[(separator + 1 + prefix.Length)..]);
    }

    /// <summary>
    /// EMSA-PSS encoding (RFC 8017 §9.1.1) with MGF1 over the same hash and a random salt as long as the
    /// hash, as TLS 1.3 requires for rsa_pss_rsae_* (RFC 8446 §4.2.3). <paramref name="modulusBits"/> is the
    /// exact bit length of n; the encoding has emBits = modBits − 1 bits. <paramref name="encodedMessage"/>
    /// must be the modulus length k = ⌈modBits/8⌉; when emLen = k − 1 (modBits ≡ 1 mod 8) the first byte
    /// is 0.
    /// </summary>
    public static void EncodePss(HashAlgorithmName hash, ReadOnlySpan<byte> digest, int modulusBits, Span<byte> encodedMessage)
    {
        int hashLength = HashLength(hash);
        if (digest.Length != hashLength)
            throw new ArgumentException($"A {hash.Name} digest is {hashLength} bytes.", nameof(digest));
        if (encodedMessage.Length != (modulusBits + 7) / 8)
            throw new ArgumentException("The output must be the modulus length.", nameof(encodedMessage));
        int saltLength = hashLength;
        int emBits = modulusBits - 1;
        int emLength = (emBits + 7) / 8;
        // §9.1.1 step 3.
        if (emLength < hashLength + saltLength + 2)
            throw new ArgumentException("The modulus is too short for this hash.", nameof(modulusBits));

        encodedMessage[..^emLength].Clear();
        Span<byte> em = encodedMessage[^emLength..];
        int dbLength = emLength - hashLength - 1;
        Span<byte> maskedDb = em[..dbLength];
        Span<byte> h = em.Slice(dbLength, hashLength);

        // Steps 4–6: M' = (0x)00 00 00 00 00 00 00 00 || mHash || salt; H = Hash(M').
        Span<byte> mPrime = stackalloc byte[8 + hashLength + saltLength];
        mPrime[..8].Clear();
        digest.CopyTo(mPrime[8..]);
        Span<byte> salt = mPrime[(8 + hashLength)..];
        PooledRandom.Fill(salt);
        Sha2.Hash(hash, mPrime, h);

        // Steps 7–10: DB = PS || 0x01 || salt, masked with MGF1(H, emLen − hLen − 1).
        maskedDb.Clear();
        Mgf1(hash, h, maskedDb);
        maskedDb[dbLength - saltLength - 1] ^= 0x01;
        for (int i = 0; i < saltLength; i++)
            maskedDb[dbLength - saltLength + i] ^= salt[i];
        // Step 11: clear the leftmost 8·emLen − emBits bits.
        maskedDb[0] &= (byte)(0xff >> (8 * emLength - emBits));
        em[^1] = 0xbc;
        CryptographicOperations.ZeroMemory(mPrime);
    }

    /// <summary>MGF1 (RFC 8017 §B.2.1): XORs the mask generated from <paramref name="seed"/> into <paramref name="output"/>.</summary>
    internal static void Mgf1(HashAlgorithmName hash, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        int hashLength = HashLength(hash);
        Span<byte> input = stackalloc byte[seed.Length + 4];
        seed.CopyTo(input);
        Span<byte> block = stackalloc byte[hashLength];
        for (uint counter = 0, offset = 0; offset < output.Length; counter++, offset += (uint)hashLength)
        {
            BinaryPrimitives.WriteUInt32BigEndian(input[seed.Length..], counter);
            Sha2.Hash(hash, input, block);
            int take = Math.Min(hashLength, output.Length - (int)offset);
            for (int i = 0; i < take; i++)
                output[(int)offset + i] ^= block[i];
        }
    }

    internal static int HashLength(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA256) return 32;
        if (hash == HashAlgorithmName.SHA384) return 48;
        if (hash == HashAlgorithmName.SHA512) return 64;
        if (hash == HashAlgorithmName.SHA1) return 20;
        throw new ArgumentException($"Unsupported hash {hash.Name}.", nameof(hash));
    }

    private static ReadOnlySpan<byte> DigestInfoPrefix(HashAlgorithmName hash)
    {
        if (hash == HashAlgorithmName.SHA256) return Sha256DigestInfoPrefix;
        if (hash == HashAlgorithmName.SHA384) return Sha384DigestInfoPrefix;
        if (hash == HashAlgorithmName.SHA512) return Sha512DigestInfoPrefix;
        if (hash == HashAlgorithmName.SHA1) return Sha1DigestInfoPrefix;
        throw new ArgumentException($"Unsupported hash {hash.Name}.", nameof(hash));
    }
}
