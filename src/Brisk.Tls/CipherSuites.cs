using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;

namespace Brisk.Tls;

public enum KeyExchangeAlgorithm
{
    /// <summary>TLS 1.2 RSA key transport (RFC 5246 §7.4.7.1).</summary>
    Rsa,
    /// <summary>TLS 1.2 ephemeral ECDH signed with an RSA key (RFC 8422).</summary>
    EcdheRsa,
    /// <summary>TLS 1.2 ephemeral ECDH signed with an ECDSA key (RFC 8422).</summary>
    EcdheEcdsa,
    /// <summary>TLS 1.3: the suite names only the AEAD and hash (RFC 8446 §B.4).</summary>
    Tls13,
}

/// <summary>One row of the suite table: what a suite means for the record layer and key schedule.</summary>
public sealed record CipherSuiteInfo(
    CipherSuite Suite,
    KeyExchangeAlgorithm KeyExchange,
    AeadAlgorithm Aead,
    HashAlgorithmName Hash)
{
    public int KeyLength => Aead.KeySize();

    public int HashLength => Hash == HashAlgorithmName.SHA384 ? 48 : 32;

    /// <summary>TLS 1.2 fixed_iv_length: 4 for AES-GCM (RFC 5288 §3), 12 for ChaCha20-Poly1305 (RFC 7905 §2).</summary>
    public int Tls12FixedIvLength => Aead == AeadAlgorithm.ChaCha20Poly1305 ? 12 : 4;

    public bool IsTls13 => KeyExchange == KeyExchangeAlgorithm.Tls13;

    public string Name => Suite.ToString();

    /// <summary>Whether a certificate with this key type can serve the suite (RFC 5246 §7.4.2, RFC 8422 §2).</summary>
    public bool IsUsableWith(CredentialKeyType keyType) => KeyExchange switch
    {
        KeyExchangeAlgorithm.Rsa or KeyExchangeAlgorithm.EcdheRsa => keyType == CredentialKeyType.Rsa,
        KeyExchangeAlgorithm.EcdheEcdsa => keyType is CredentialKeyType.EcdsaP256 or CredentialKeyType.EcdsaP384,
        _ => true,
    };
}

/// <summary>The suites Brisk implements, in the default server preference order.</summary>
public static class CipherSuites
{
    public static readonly IReadOnlyList<CipherSuiteInfo> Tls12Default =
    [
        new(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, KeyExchangeAlgorithm.EcdheEcdsa, AeadAlgorithm.Aes128Gcm, HashAlgorithmName.SHA256),
        new(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, KeyExchangeAlgorithm.EcdheEcdsa, AeadAlgorithm.Aes256Gcm, HashAlgorithmName.SHA384),
        new(CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, KeyExchangeAlgorithm.EcdheEcdsa, AeadAlgorithm.ChaCha20Poly1305, HashAlgorithmName.SHA256),
        new(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, KeyExchangeAlgorithm.EcdheRsa, AeadAlgorithm.Aes128Gcm, HashAlgorithmName.SHA256),
        new(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, KeyExchangeAlgorithm.EcdheRsa, AeadAlgorithm.Aes256Gcm, HashAlgorithmName.SHA384),
        new(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, KeyExchangeAlgorithm.EcdheRsa, AeadAlgorithm.ChaCha20Poly1305, HashAlgorithmName.SHA256),
        new(CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, KeyExchangeAlgorithm.Rsa, AeadAlgorithm.Aes128Gcm, HashAlgorithmName.SHA256),
        new(CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, KeyExchangeAlgorithm.Rsa, AeadAlgorithm.Aes256Gcm, HashAlgorithmName.SHA384),
    ];

    public static readonly IReadOnlyList<CipherSuiteInfo> Tls13Default =
    [
        new(CipherSuite.TLS_AES_128_GCM_SHA256, KeyExchangeAlgorithm.Tls13, AeadAlgorithm.Aes128Gcm, HashAlgorithmName.SHA256),
        new(CipherSuite.TLS_AES_256_GCM_SHA384, KeyExchangeAlgorithm.Tls13, AeadAlgorithm.Aes256Gcm, HashAlgorithmName.SHA384),
        new(CipherSuite.TLS_CHACHA20_POLY1305_SHA256, KeyExchangeAlgorithm.Tls13, AeadAlgorithm.ChaCha20Poly1305, HashAlgorithmName.SHA256),
    ];

    public static IEnumerable<CipherSuiteInfo> All => Tls12Default.Concat(Tls13Default);

    /// <summary>Looks a suite up by its IANA name (TLS_…), case-insensitively.</summary>
    public static bool TryFind(string ianaName, out CipherSuiteInfo info)
    {
        info = All.FirstOrDefault(s => string.Equals(s.Name, ianaName.Trim(), StringComparison.OrdinalIgnoreCase))!;
        return info is not null;
    }
}
