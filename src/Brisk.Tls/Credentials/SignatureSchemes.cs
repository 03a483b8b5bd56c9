using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>What each TLS SignatureScheme means (RFC 8446 §4.2.3), and verification of peer signatures.</summary>
public static class SignatureSchemes
{
    /// <summary>Schemes Brisk accepts from clients (CertificateVerify), in preference order; sent in CertificateRequest.</summary>
    public static readonly SignatureScheme[] ClientAuthentication =
    [
        SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.EcdsaSecp384r1Sha384,
        SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384,
        SignatureScheme.RsaPkcs1Sha256, SignatureScheme.RsaPkcs1Sha384,
    ];

    /// <summary>The TLS 1.3 subset: PKCS#1 v1.5 is not allowed in CertificateVerify (RFC 8446 §4.2.3).</summary>
    public static readonly SignatureScheme[] ClientAuthenticationTls13 =
    [
        SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.EcdsaSecp384r1Sha384,
        SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384,
    ];

    public static HashAlgorithmName HashOf(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.EcdsaSecp256r1Sha256 => HashAlgorithmName.SHA256,
        SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.EcdsaSecp384r1Sha384 => HashAlgorithmName.SHA384,
        SignatureScheme.RsaPkcs1Sha512 or SignatureScheme.RsaPssRsaeSha512 or SignatureScheme.EcdsaSecp521r1Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(scheme), $"unsupported signature scheme {scheme}"),
    };

    public static int HashLength(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : 64;

    public static int Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        return Brisk.Crypto.Hashing.Sha2.Hash(hash, data, destination);
    }

    /// <summary>
    /// Verifies a peer's signature made with <paramref name="scheme"/> by the key in
    /// <paramref name="certificate"/>. Returns false for a bad signature, a scheme that does not fit the key,
    /// or a malformed encoding; never throws for peer input.
    /// </summary>
    public static bool Verify(X509Certificate2 certificate, SignatureScheme scheme, ReadOnlySpan<byte> signedContent, ReadOnlySpan<byte> signature)
    {
        try
        {
            switch (scheme)
            {
                case SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512:
                {
                    using var rsa = certificate.GetRSAPublicKey();
                    return rsa is not null && rsa.VerifyData(signedContent, signature, HashOf(scheme), RSASignaturePadding.Pkcs1);
                }
                case SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512:
                {
                    // rsa_pss_rsae: an rsaEncryption key, PSS with MGF1 of the same hash, salt = hash length.
                    using var rsa = certificate.GetRSAPublicKey();
                    return rsa is not null && rsa.VerifyData(signedContent, signature, HashOf(scheme), RSASignaturePadding.Pss);
                }
                case SignatureScheme.EcdsaSecp256r1Sha256 or SignatureScheme.EcdsaSecp384r1Sha384:
                {
                    using var ecdsa = certificate.GetECDsaPublicKey();
                    if (ecdsa is null)
                        return false;
                    // The scheme names the curve (RFC 8446 §4.2.3); TLS 1.2 peers also use these code points.
                    int expectedBits = scheme == SignatureScheme.EcdsaSecp256r1Sha256 ? 256 : 384;
                    if (ecdsa.KeySize != expectedBits)
                        return false;
                    return ecdsa.VerifyData(signedContent, signature, HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence);
                }
                default:
                    return false;
            }
        }
        catch (CryptographicException)
        {
            return false;
        }
    }
}
