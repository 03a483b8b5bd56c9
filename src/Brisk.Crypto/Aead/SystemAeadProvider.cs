using System.Security.Cryptography;

namespace Brisk.Crypto.Aead;

/// <summary>
/// AEADs from System.Security.Cryptography (OpenSSL 3 on Linux). The baseline the managed kernels are
/// measured against, and the fallback selected with <c>--record-crypto system</c>.
/// </summary>
public sealed class SystemAeadProvider : IAeadProvider
{
    public static readonly SystemAeadProvider Instance = new();

    public string Name => "system";

    public IAead Create(AeadAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        if (key.Length != algorithm.KeySize())
            throw new ArgumentException($"{algorithm} needs a {algorithm.KeySize()}-byte key.", nameof(key));
        return algorithm switch
        {
            AeadAlgorithm.ChaCha20Poly1305 => new SystemChaCha20Poly1305(key),
            _ => new SystemAesGcm(algorithm, key),
        };
    }

    private sealed class SystemAesGcm(AeadAlgorithm algorithm, ReadOnlySpan<byte> key) : IAead
    {
        private readonly AesGcm _aes = new(key, AeadAlgorithmInfo.TagSize);

        public AeadAlgorithm Algorithm => algorithm;

        public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
            => _aes.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

        public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        {
            try
            {
                _aes.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                // AesGcm already clears the output on failure; clear again to keep the contract local.
                plaintext.Clear();
                return false;
            }
        }

        public void Dispose() => _aes.Dispose();
    }

    private sealed class SystemChaCha20Poly1305(ReadOnlySpan<byte> key) : IAead
    {
        private readonly ChaCha20Poly1305 _chacha = new(key);

        public AeadAlgorithm Algorithm => AeadAlgorithm.ChaCha20Poly1305;

        public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
            => _chacha.Encrypt(nonce, plaintext, ciphertext, tag, associatedData);

        public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
        {
            try
            {
                _chacha.Decrypt(nonce, ciphertext, tag, plaintext, associatedData);
                return true;
            }
            catch (AuthenticationTagMismatchException)
            {
                plaintext.Clear();
                return false;
            }
        }

        public void Dispose() => _chacha.Dispose();
    }
}
