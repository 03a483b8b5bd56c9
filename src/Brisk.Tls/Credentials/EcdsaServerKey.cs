using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Signing;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>An ECDSA (P-256 or P-384) server key. Signatures are DER SEQUENCE{r, s} as TLS carries them (RFC 8422 §5.4).</summary>
public sealed class EcdsaServerKey : IServerPrivateKey
{
    private readonly EcdsaPrivateKey _key;

    private EcdsaServerKey(EcdsaPrivateKey key, CredentialKeyType keyType)
    {
        _key = key;
        KeyType = keyType;
    }

    /// <summary>Takes the key's parameters into libcrypto (direct calls cost a fraction of .NET's wrapper per signature).</summary>
    public static EcdsaServerKey Create(ECDsa key)
    {
        var keyType = key.KeySize switch
        {
            256 => CredentialKeyType.EcdsaP256,
            384 => CredentialKeyType.EcdsaP384,
            _ => throw new ArgumentException($"ECDSA keys of {key.KeySize} bits are not supported (P-256 and P-384 are)."),
        };
        return new EcdsaServerKey(EcdsaPrivateKey.FromECDsa(key), keyType);
    }

    /// <summary>
    /// From the curve, private scalar and public point (libcrypto checks that they belong together). The
    /// caller keeps, and erases, <paramref name="parameters"/>.
    /// </summary>
    public static EcdsaServerKey Create(ECParameters parameters)
    {
        var key = new EcdsaPrivateKey(parameters); // named P-256/P-384 only: anything else throws NotSupportedException
        return new EcdsaServerKey(key, key.Curve == NamedGroup.Secp384r1 ? CredentialKeyType.EcdsaP384 : CredentialKeyType.EcdsaP256);
    }

    public CredentialKeyType KeyType { get; }

    public int MaxSignatureLength => KeyType == CredentialKeyType.EcdsaP384 ? 104 : 72;

    public ValueTask<int> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> message, Memory<byte> signature, CancellationToken cancellationToken)
    {
        var hash = SignatureSchemes.HashOf(scheme);
        Span<byte> digest = stackalloc byte[SignatureSchemes.HashLength(hash)];
        SignatureSchemes.Hash(hash, message.Span, digest);
        if (!_key.TrySignHash(digest, signature.Span, out int written))
            throw new CryptographicException("ECDSA signature buffer too small");
        return ValueTask.FromResult(written);
    }

    public ValueTask DecryptPremasterSecretAsync(ReadOnlyMemory<byte> encrypted, ushort clientHelloVersion, Memory<byte> premasterSecret, CancellationToken cancellationToken)
        => throw new NotSupportedException("ECDSA keys do not decrypt; RSA key exchange needs an RSA certificate.");
}
