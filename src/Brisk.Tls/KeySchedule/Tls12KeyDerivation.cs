using System.Security.Cryptography;
using System.Text;

namespace Brisk.Tls.KeySchedule;

/// <summary>
/// TLS 1.2 key derivation: the PRF (RFC 5246 §5) with P_SHA256 / P_SHA384, the master secret (§8.1), the
/// extended master secret (RFC 7627 §4), the key block (§6.3) and Finished verify_data (§7.4.9).
/// Zero-allocation: HMAC one-shots over stack buffers.
/// </summary>
public static class Tls12KeyDerivation
{
    public const string MasterSecretLabel = "master secret";
    public const string ExtendedMasterSecretLabel = "extended master secret";
    public const string KeyExpansionLabel = "key expansion";
    public const string ClientFinishedLabel = "client finished";
    public const string ServerFinishedLabel = "server finished";

    /// <summary>PRF(secret, label, seed) = P_hash(secret, label + seed), truncated to <paramref name="output"/>.</summary>
    public static void Prf(HashAlgorithmName hash, ReadOnlySpan<byte> secret, string label, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        int labelLength = Encoding.ASCII.GetByteCount(label);
        Span<byte> labelAndSeed = labelLength + seed.Length <= 256 ? stackalloc byte[labelLength + seed.Length] : new byte[labelLength + seed.Length];
        Encoding.ASCII.GetBytes(label, labelAndSeed);
        seed.CopyTo(labelAndSeed[labelLength..]);
        PHash(hash, secret, labelAndSeed, output);
    }

    /// <summary>
    /// P_hash (RFC 5246 §5): A(0) = seed, A(i) = HMAC(secret, A(i-1)); output = HMAC(secret, A(1) + seed) + HMAC(secret, A(2) + seed) + …
    /// </summary>
    private static void PHash(HashAlgorithmName hash, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> seed, Span<byte> output)
    {
        int hashLength = hash == HashAlgorithmName.SHA384 ? 48 : 32;
        Span<byte> a = stackalloc byte[hashLength];
        Span<byte> block = stackalloc byte[hashLength];
        Span<byte> aAndSeed = hashLength + seed.Length <= 512 ? stackalloc byte[hashLength + seed.Length] : new byte[hashLength + seed.Length];
        Hmac(hash, secret, seed, a);
        seed.CopyTo(aAndSeed[hashLength..]);
        int written = 0;
        while (written < output.Length)
        {
            a.CopyTo(aAndSeed);
            Hmac(hash, secret, aAndSeed, block);
            int take = Math.Min(hashLength, output.Length - written);
            block[..take].CopyTo(output[written..]);
            written += take;
            Hmac(hash, secret, a, a);
        }
        CryptographicOperations.ZeroMemory(block);
        CryptographicOperations.ZeroMemory(a);
        CryptographicOperations.ZeroMemory(aAndSeed);
    }

    private static void Hmac(HashAlgorithmName hash, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (hash == HashAlgorithmName.SHA384)
            HMACSHA384.HashData(key, data, destination);
        else if (hash == HashAlgorithmName.SHA256)
            HMACSHA256.HashData(key, data, destination);
        else
            throw new ArgumentOutOfRangeException(nameof(hash), "TLS 1.2 PRF uses SHA-256 or SHA-384");
    }

    /// <summary>master_secret = PRF(pre_master_secret, "master secret", ClientHello.random + ServerHello.random)[0..47].</summary>
    public static void ComputeMasterSecret(HashAlgorithmName hash, ReadOnlySpan<byte> premasterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, Span<byte> masterSecret)
    {
        Span<byte> seed = stackalloc byte[64];
        clientRandom.CopyTo(seed);
        serverRandom.CopyTo(seed[32..]);
        Prf(hash, premasterSecret, MasterSecretLabel, seed, masterSecret[..48]);
    }

    /// <summary>RFC 7627 §4: master_secret = PRF(pre_master_secret, "extended master secret", session_hash)[0..47].</summary>
    public static void ComputeExtendedMasterSecret(HashAlgorithmName hash, ReadOnlySpan<byte> premasterSecret, ReadOnlySpan<byte> sessionHash, Span<byte> masterSecret)
        => Prf(hash, premasterSecret, ExtendedMasterSecretLabel, sessionHash, masterSecret[..48]);

    /// <summary>key_block = PRF(master_secret, "key expansion", server_random + client_random) (RFC 5246 §6.3; note the order).</summary>
    public static void ComputeKeyBlock(HashAlgorithmName hash, ReadOnlySpan<byte> masterSecret, ReadOnlySpan<byte> clientRandom, ReadOnlySpan<byte> serverRandom, Span<byte> keyBlock)
    {
        Span<byte> seed = stackalloc byte[64];
        serverRandom.CopyTo(seed);
        clientRandom.CopyTo(seed[32..]);
        Prf(hash, masterSecret, KeyExpansionLabel, seed, keyBlock);
    }

    /// <summary>verify_data = PRF(master_secret, finished_label, Hash(handshake_messages))[0..11].</summary>
    public static void ComputeVerifyData(HashAlgorithmName hash, ReadOnlySpan<byte> masterSecret, string label, ReadOnlySpan<byte> transcriptHash, Span<byte> verifyData)
        => Prf(hash, masterSecret, label, transcriptHash, verifyData);
}
