using System.Security.Cryptography;
using Brisk.Crypto.Rsa;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>
/// An RSA server key whose private-key operations go to an <see cref="IRsaEngine"/> (one at a time through
/// libcrypto, or batched across handshakes). Padding is done here, on top of the raw operation, so every
/// engine serves signatures and the TLS 1.2 key exchange alike.
/// </summary>
public sealed class RsaServerKey : IServerPrivateKey
{
    private readonly RsaPrivateKey key;
    private readonly IRsaEngine engine;

    /// <summary>Uses <paramref name="preferredEngine"/> when it can serve the key, else the system engine.</summary>
    public RsaServerKey(RsaPrivateKey key, IRsaEngine preferredEngine)
    {
        this.key = key;
        engine = preferredEngine.Supports(key) ? preferredEngine : SystemRsaEngine.Instance;
    }

    public CredentialKeyType KeyType => CredentialKeyType.Rsa;

    public int MaxSignatureLength => key.ModulusLength;

    public RsaPrivateKey Key => key;

    public IRsaEngine Engine => engine;

    public async ValueTask<int> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> message, Memory<byte> signature, CancellationToken cancellationToken)
    {
        var hash = SignatureSchemes.HashOf(scheme);
        var digest = new byte[SignatureSchemes.HashLength(hash)];
        SignatureSchemes.Hash(hash, message.Span, digest);
        var output = signature[..key.ModulusLength];
        switch (scheme)
        {
            case SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512:
                await RsaSignatures.SignPkcs1V15Async(engine, key, hash, digest, output, cancellationToken).ConfigureAwait(false);
                break;
            case SignatureScheme.RsaPssRsaeSha256 or SignatureScheme.RsaPssRsaeSha384 or SignatureScheme.RsaPssRsaeSha512:
                await RsaSignatures.SignPssAsync(engine, key, hash, digest, output, cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(scheme), $"an RSA key cannot sign with {scheme}");
        }
        return key.ModulusLength;
    }

    public ValueTask DecryptPremasterSecretAsync(ReadOnlyMemory<byte> encrypted, ushort clientHelloVersion, Memory<byte> premasterSecret, CancellationToken cancellationToken)
        => TlsPremasterSecret.DecryptPremasterAsync(engine, key, encrypted, clientHelloVersion, premasterSecret, cancellationToken);
}
