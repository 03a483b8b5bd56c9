using System.Security.Cryptography;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// Signing on top of an <see cref="IRsaEngine"/>: encode the digest (<see cref="RsaPadding"/>), then one raw
/// private operation. The signature is exactly the modulus length (RFC 8017 §8.1.1 step 2c / §8.2.1).
/// </summary>
public static class RsaSignatures
{
    /// <summary>RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.1), e.g. TLS 1.2 rsa_pkcs1_sha256.</summary>
    public static ValueTask SignPkcs1V15Async(IRsaEngine engine, RsaPrivateKey key, HashAlgorithmName hash, ReadOnlySpan<byte> digest, Memory<byte> signature, CancellationToken cancellationToken = default)
    {
        byte[] encoded = new byte[key.ModulusLength];
        RsaPadding.EncodePkcs1V15Signature(hash, digest, encoded);
        return engine.PrivateAsync(key, encoded, signature, cancellationToken);
    }

    /// <summary>RSASSA-PSS (RFC 8017 §8.1.1) with salt length = hash length, e.g. TLS 1.3 rsa_pss_rsae_sha256.</summary>
    public static ValueTask SignPssAsync(IRsaEngine engine, RsaPrivateKey key, HashAlgorithmName hash, ReadOnlySpan<byte> digest, Memory<byte> signature, CancellationToken cancellationToken = default)
    {
        byte[] encoded = new byte[key.ModulusLength];
        RsaPadding.EncodePss(hash, digest, RsaMath.BitLength(key.Modulus), encoded);
        return engine.PrivateAsync(key, encoded, signature, cancellationToken);
    }
}
