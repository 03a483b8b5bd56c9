namespace Brisk.Crypto.KeyExchange;

/// <summary>TLS NamedGroup code points (RFC 8422 §5.1.1, RFC 8446 §4.2.7) for the groups Brisk supports.</summary>
public enum NamedGroup : ushort
{
    Secp256r1 = 0x0017,
    Secp384r1 = 0x0018,
    X25519 = 0x001D,
}

/// <summary>
/// One ephemeral key pair for one handshake. The public key is in TLS wire form: 32 raw bytes for
/// X25519, the uncompressed point (0x04 || X || Y) for the NIST curves. Disposing erases the private key.
/// </summary>
public interface IEphemeralKey : IDisposable
{
    NamedGroup Group { get; }

    ReadOnlySpan<byte> PublicKey { get; }

    /// <summary>
    /// Derives the shared secret with the peer's public key (wire form). Returns false, never throws, when
    /// the peer's key is malformed, not on the curve, or yields the all-zero X25519 output (RFC 7748 §6.1,
    /// RFC 8446 §7.4.2). On success <paramref name="sharedSecret"/> receives exactly
    /// <see cref="KeyExchangeInfo.SharedSecretLength"/> bytes.
    /// </summary>
    bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret);

    /// <summary>
    /// <see cref="TryDeriveSharedSecret"/> for callers that can wait: an implementation may queue the request
    /// and compute it together with other handshakes' (X25519 keys from NativeKeyExchangeProvider.Batched share
    /// 8-lane IFMA kernel calls; the continuation then runs on the thread pool).
    /// Same contract: false, never an exception, for a bad peer key. Both buffers must stay untouched until
    /// the returned task completes. The token is honoured only before the request is queued (a queued
    /// derivation takes microseconds). This default computes synchronously.
    /// </summary>
    ValueTask<bool> DeriveSharedSecretAsync(ReadOnlyMemory<byte> peerPublicKey, Memory<byte> sharedSecret, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<bool>(cancellationToken);
        return new ValueTask<bool>(TryDeriveSharedSecret(peerPublicKey.Span, sharedSecret.Span));
    }
}

/// <summary>Makes ephemeral key pairs. Implementations: platform libcrypto via LibraryImport, managed.</summary>
public interface IKeyExchangeProvider
{
    string Name { get; }

    bool IsSupported(NamedGroup group);

    IEphemeralKey Generate(NamedGroup group);
}

public static class KeyExchangeInfo
{
    public static int SharedSecretLength(this NamedGroup group) => group switch
    {
        NamedGroup.X25519 => 32,
        NamedGroup.Secp256r1 => 32,
        NamedGroup.Secp384r1 => 48,
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    public static int PublicKeyLength(this NamedGroup group) => group switch
    {
        NamedGroup.X25519 => 32,
        NamedGroup.Secp256r1 => 65,
        NamedGroup.Secp384r1 => 97,
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };
}
