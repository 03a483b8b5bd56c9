using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>
/// The server's private key as the handshake uses it. Operations are asynchronous so an implementation
/// can queue them (batched RSA across connections, an HSM session pool) without blocking a thread.
/// </summary>
public interface IServerPrivateKey
{
    CredentialKeyType KeyType { get; }

    /// <summary>Size of the largest signature this key produces, for buffer sizing.</summary>
    int MaxSignatureLength { get; }

    /// <summary>
    /// Signs <paramref name="message"/> (the whole to-be-signed content; the key hashes it with the scheme's
    /// hash) and returns the signature length written to <paramref name="signature"/>.
    /// </summary>
    ValueTask<int> SignAsync(SignatureScheme scheme, ReadOnlyMemory<byte> message, Memory<byte> signature, CancellationToken cancellationToken);

    /// <summary>
    /// TLS 1.2 RSA key exchange: decrypts EncryptedPreMasterSecret into the 48-byte pre-master secret with
    /// the RFC 5246 §7.4.7.1 countermeasure. Never fails on bad input: a wrong padding, length or version
    /// silently yields a random pre-master secret, with no observable difference.
    /// </summary>
    ValueTask DecryptPremasterSecretAsync(ReadOnlyMemory<byte> encrypted, ushort clientHelloVersion, Memory<byte> premasterSecret, CancellationToken cancellationToken);
}
