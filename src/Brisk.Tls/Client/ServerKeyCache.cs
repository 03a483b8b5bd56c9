using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Signing;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Client;

/// <summary>
/// The public key of a server certificate, decoded once and used to check the server's signatures
/// (TLS 1.3 CertificateVerify, TLS 1.2 ServerKeyExchange) and to encrypt the TLS 1.2 RSA pre-master secret.
/// </summary>
/// <remarks>
/// Decoding a certificate (X.509 parse, SubjectPublicKeyInfo import into libcrypto) costs more CPU than
/// verifying a signature with the key; a load generator or a benchmark sees the same certificate on every
/// handshake, so <see cref="ServerKeyCache"/> keeps the decoded keys by certificate DER. The .NET
/// RSA/ECDsa objects (libcrypto EVP_PKEY underneath) are only read after creation: verify and encrypt
/// create their own libcrypto context per call, which is what makes sharing one key across threads safe.
/// When libcrypto.so.3 is loadable the signatures are checked by a <see cref="PublicKeyVerifier"/> made once
/// for the key instead (no EVP_PKEY_CTX per call and, for ECDSA, a precomputed table of the public point:
/// about half the cost of a .NET ECDsa.VerifyData); the .NET objects remain the fallback and do the TLS 1.2
/// RSA encryption.
/// </remarks>
public sealed class ServerPublicKey
{
    private readonly RSA? _rsa;
    private readonly ECDsa? _ecdsa;
    private readonly int _ecKeyBits;
    private readonly PublicKeyVerifier? _verifier;

    private ServerPublicKey(RSA? rsa, ECDsa? ecdsa, bool direct)
    {
        _rsa = rsa;
        _ecdsa = ecdsa;
        _ecKeyBits = ecdsa?.KeySize ?? 0;
        RsaModulusLength = rsa is null ? 0 : rsa.KeySize / 8;
        _verifier = direct ? CreateVerifier(rsa, ecdsa) : null;
    }

    /// <summary>Whether signatures are checked through libcrypto directly (<see cref="PublicKeyVerifier"/>) rather than .NET.</summary>
    public bool UsesDirectVerifier => _verifier is not null;

    private static PublicKeyVerifier? CreateVerifier(RSA? rsa, ECDsa? ecdsa)
    {
        if (!PublicKeyVerifier.IsSupported)
            return null;
        try
        {
            if (rsa is not null)
            {
                var parameters = rsa.ExportParameters(includePrivateParameters: false);
                return PublicKeyVerifier.CreateRsa(parameters.Modulus, parameters.Exponent);
            }
            if (ecdsa is not null)
            {
                var parameters = ecdsa.ExportParameters(includePrivateParameters: false);
                var curve = ecdsa.KeySize == 256 ? NamedGroup.Secp256r1 : NamedGroup.Secp384r1;
                return PublicKeyVerifier.CreateEcdsa(curve, parameters.Q.X, parameters.Q.Y);
            }
        }
        catch (CryptographicException)
        {
            // Fall back to the .NET objects.
        }
        return null;
    }

    public bool IsRsa => _rsa is not null;

    public bool IsEcdsa => _ecdsa is not null;

    /// <summary>Bytes of the RSA modulus (0 for an EC key).</summary>
    public int RsaModulusLength { get; }

    /// <summary>Decodes the key of a DER certificate; false for key types Brisk's client does not use or a malformed certificate.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> certificateDer, out ServerPublicKey? key) =>
        TryDecode(certificateDer, direct: true, out key);

    /// <param name="direct">False keeps the .NET verification path even where libcrypto is loadable (tests compare both).</param>
    internal static bool TryDecode(ReadOnlySpan<byte> certificateDer, bool direct, out ServerPublicKey? key)
    {
        key = null;
        try
        {
            using var certificate = X509CertificateLoader.LoadCertificate(certificateDer);
            var rsa = certificate.GetRSAPublicKey();
            if (rsa is not null)
            {
                key = new ServerPublicKey(rsa, null, direct);
                return true;
            }
            var ecdsa = certificate.GetECDsaPublicKey();
            if (ecdsa is not null && ecdsa.KeySize is 256 or 384)
            {
                key = new ServerPublicKey(null, ecdsa, direct);
                return true;
            }
            ecdsa?.Dispose();
            return false;
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Whether a signature made with <paramref name="scheme"/> can come from this key (RFC 8446 §4.2.3: ECDSA schemes name the curve).</summary>
    public bool Fits(SignatureScheme scheme) => scheme switch
    {
        SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512
            or SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512 => _rsa is not null,
        SignatureScheme.EcdsaSecp256r1Sha256 => _ecKeyBits == 256,
        SignatureScheme.EcdsaSecp384r1Sha384 => _ecKeyBits == 384,
        _ => false,
    };

    /// <summary>Checks a signature over <paramref name="signedContent"/>; false (never an exception) for a bad signature or a scheme that does not fit.</summary>
    public bool Verify(SignatureScheme scheme, ReadOnlySpan<byte> signedContent, ReadOnlySpan<byte> signature)
    {
        if (!Fits(scheme))
            return false;
        try
        {
            var hash = SignatureSchemes.HashOf(scheme);
            if (_verifier is not null)
                return VerifyDirect(scheme, hash, signedContent, signature);
            return scheme switch
            {
                SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512
                    => _rsa!.VerifyData(signedContent, signature, hash, RSASignaturePadding.Pkcs1),
                SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512
                    // rsa_pss_rsae: PSS with MGF1 of the same hash and a salt of the hash length (RFC 8446 §4.2.3).
                    => _rsa!.VerifyData(signedContent, signature, hash, RSASignaturePadding.Pss),
                _ => _ecdsa!.VerifyData(signedContent, signature, hash, DSASignatureFormat.Rfc3279DerSequence),
            };
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    private bool VerifyDirect(SignatureScheme scheme, HashAlgorithmName hash, ReadOnlySpan<byte> signedContent, ReadOnlySpan<byte> signature)
    {
        Span<byte> digest = stackalloc byte[64];
        digest = digest[..SignatureSchemes.Hash(hash, signedContent, digest)];
        return scheme switch
        {
            SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512
                => _verifier!.VerifyRsaPkcs1(hash, digest, signature),
            SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512
                => _verifier!.VerifyRsaPss(hash, digest, signature),
            _ => _verifier!.VerifyEcdsa(digest, signature),
        };
    }

    /// <summary>RSAES-PKCS1-v1_5 encryption of the TLS 1.2 pre-master secret (RFC 5246 §7.4.7.1).</summary>
    public byte[] EncryptPremaster(ReadOnlySpan<byte> premaster)
    {
        if (_rsa is null)
            throw new InvalidOperationException("RSA key exchange needs an RSA certificate.");
        var output = new byte[RsaModulusLength];
        if (!_rsa.TryEncrypt(premaster, output, RSAEncryptionPadding.Pkcs1, out int written) || written != output.Length)
            throw new CryptographicException("RSA encryption failed.");
        return output;
    }
}

/// <summary>
/// Decoded server keys by certificate DER (a few entries, replaced round-robin). Thread-safe: one cache
/// serves every connection made with the same <see cref="TlsClientOptions"/>.
/// </summary>
public sealed class ServerKeyCache
{
    // Room for a whole Fiat key family (up to 8 certificates sharing one modulus) and a few more: a cache
    // smaller than the server's certificate set thrashes and decodes a key per handshake.
    private const int Capacity = 16;
    private readonly Entry?[] _entries = new Entry?[Capacity];
    private int _next;

    private sealed record Entry(byte[] CertificateDer, ServerPublicKey Key);

    /// <summary>Certificates decoded so far (misses); a benchmark client should see one per certificate.</summary>
    public long Decodes => Interlocked.Read(ref _decodes);

    private long _decodes;

    public bool TryGet(ReadOnlySpan<byte> certificateDer, out ServerPublicKey? key)
    {
        for (int i = 0; i < _entries.Length; i++)
        {
            var entry = Volatile.Read(ref _entries[i]);
            if (entry is not null && certificateDer.SequenceEqual(entry.CertificateDer))
            {
                key = entry.Key;
                return true;
            }
        }
        if (!ServerPublicKey.TryDecode(certificateDer, out key))
            return false;
        Interlocked.Increment(ref _decodes);
        int slot = (Interlocked.Increment(ref _next) & int.MaxValue) % Capacity;
        Volatile.Write(ref _entries[slot], new Entry(certificateDer.ToArray(), key!));
        return true;
    }
}
