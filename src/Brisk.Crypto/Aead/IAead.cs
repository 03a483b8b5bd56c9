namespace Brisk.Crypto.Aead;

/// <summary>The AEAD algorithms TLS records use (RFC 5288, RFC 7905, RFC 8446 §5.3).</summary>
public enum AeadAlgorithm
{
    Aes128Gcm,
    Aes256Gcm,
    ChaCha20Poly1305,
}

/// <summary>
/// One keyed AEAD instance (RFC 5116). Nonces are 12 bytes and tags 16 bytes for every algorithm here.
/// Implementations must accept <c>plaintext</c> and <c>ciphertext</c> that are the same memory (in-place
/// sealing and opening into the pipe's buffers); any other overlap is not supported.
/// Instances are not thread-safe: a record layer owns one per direction.
/// </summary>
public interface IAead : IDisposable
{
    AeadAlgorithm Algorithm { get; }

    /// <summary>Encrypts <paramref name="plaintext"/> into <paramref name="ciphertext"/> (same length) and writes the 16-byte tag.</summary>
    void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData);

    /// <summary>
    /// Verifies the tag (in constant time) and decrypts. Returns false when authentication fails; the
    /// plaintext buffer is then cleared so no unauthenticated plaintext is left behind.
    /// </summary>
    bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData);
}

/// <summary>Creates keyed AEAD instances. One provider per implementation strategy (system, managed kernels).</summary>
public interface IAeadProvider
{
    /// <summary>Short name used in logs and options, e.g. "system" or "managed".</summary>
    string Name { get; }

    IAead Create(AeadAlgorithm algorithm, ReadOnlySpan<byte> key);
}

public static class AeadAlgorithmInfo
{
    public const int NonceSize = 12;
    public const int TagSize = 16;

    public static int KeySize(this AeadAlgorithm algorithm) => algorithm switch
    {
        AeadAlgorithm.Aes128Gcm => 16,
        AeadAlgorithm.Aes256Gcm => 32,
        AeadAlgorithm.ChaCha20Poly1305 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
    };
}
