using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Brisk.Crypto.Aead;

/// <summary>
/// AES-GCM (NIST SP 800-38D) with 12-byte nonces and 16-byte tags. The nonce gives J0 = nonce || 0^31 || 1
/// (§7.1 step 2); the payload is encrypted with inc32 counters starting at J0 + 1 and the tag is
/// E(K, J0) xor GHASH_H(A || pad || C || pad || len64(A) || len64(C)).
/// Key material lives in one fixed-address <see cref="SecretMemory"/> block that <see cref="Dispose"/> erases and returns.
/// </summary>
[SkipLocalsInit] // every stackalloc buffer here is written before it is read
internal sealed unsafe partial class ManagedAesGcm : IAead
{
    /// <summary>Powers H^1..H^16 kept for aggregated GHASH (one reduction per group of blocks).</summary>
    internal const int PowerCount = 16;

    private const int RoundKeysOffset = 0;              // 15 round keys × 16 bytes
    private const int PowersOffset = 15 * 16;           // H^1..H^16 in the PCLMUL representation (see Ghash.Pclmul.cs)
    private const int PowersReversedOffset = PowersOffset + PowerCount * 16; // H^16..H^1 for the wide GHASH loads
    private const int PortableHOffset = PowersReversedOffset + PowerCount * 16; // H as two big-endian ulongs
    private const int KeyMaterialSize = PortableHOffset + 16;

    private readonly AeadPath _path;
    private readonly int _rounds;
    private SecretBlock _keyMaterial; // reset to the empty block by Dispose
    private bool _disposed;

    public ManagedAesGcm(AeadAlgorithm algorithm, ReadOnlySpan<byte> key, AeadPath path)
    {
        if (algorithm is not (AeadAlgorithm.Aes128Gcm or AeadAlgorithm.Aes256Gcm))
            throw new ArgumentOutOfRangeException(nameof(algorithm));
        if (key.Length != algorithm.KeySize())
            throw new ArgumentException("Wrong key size.", nameof(key));
        Algorithm = algorithm;
        _path = path;
        _rounds = key.Length == 16 ? 10 : 14;
        _keyMaterial = SecretMemory.Rent(KeyMaterialSize);

        Span<byte> roundKeys = _keyMaterial.Span.Slice(RoundKeysOffset, 15 * 16);
        Span<byte> h = stackalloc byte[16];
        h.Clear(); // H = E(K, 0^128) is computed in place
        if (path == AeadPath.Portable)
        {
            AesPortable.ExpandKey(key, roundKeys);
            AesPortable.EncryptBlock(roundKeys, _rounds, h, h); // H = E(K, 0^128)
            MemoryMarshal.Cast<byte, ulong>(_keyMaterial.Span.Slice(PortableHOffset, 16))[0] = BinaryPrimitives.ReadUInt64BigEndian(h);
            MemoryMarshal.Cast<byte, ulong>(_keyMaterial.Span.Slice(PortableHOffset, 16))[1] = BinaryPrimitives.ReadUInt64BigEndian(h[8..]);
        }
        else
        {
            fixed (byte* rk = roundKeys)
            fixed (byte* k = key)
            fixed (byte* hp = h)
            {
                if (_rounds == 10)
                    AesNi.ExpandKey128(k, rk);
                else
                    AesNi.ExpandKey256(k, rk);
                AesNi.EncryptBlock(rk, _rounds, hp, hp);
            }
            byte* powers = _keyMaterial.Pointer + PowersOffset;
            fixed (byte* hp = h)
                GhashPclmul.ComputePowers(hp, powers, powers + PowerCount * 16, PowerCount);
        }
        CryptographicOperations.ZeroMemory(h);
    }

    public AeadAlgorithm Algorithm { get; }

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        CheckArguments(nonce, plaintext.Length, ciphertext.Length, tag.Length);
        if (_path == AeadPath.Portable)
            SealPortable(nonce, plaintext, ciphertext, tag, associatedData);
        else
            SealAesNi(nonce, plaintext, ciphertext, tag, associatedData);
    }

    public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        CheckArguments(nonce, ciphertext.Length, plaintext.Length, tag.Length);
        bool authentic;
        if (_path == AeadPath.Portable)
        {
            Span<byte> expectedTag = stackalloc byte[16];
            OpenPortable(nonce, ciphertext, expectedTag, plaintext, associatedData);
            authentic = CryptographicOperations.FixedTimeEquals(expectedTag, tag);
        }
        else
        {
            authentic = OpenAesNi(nonce, ciphertext, tag, plaintext, associatedData);
        }
        if (authentic)
            return true;
        // Release no unauthenticated plaintext (SP 800-38D §7.2 step 8 returns FAIL only).
        plaintext.Clear();
        return false;
    }

    private void CheckArguments(ReadOnlySpan<byte> nonce, int inputLength, int outputLength, int tagLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Length != AeadAlgorithmInfo.NonceSize)
            ThrowArgument("The nonce must be 12 bytes.");
        if (tagLength != AeadAlgorithmInfo.TagSize)
            ThrowArgument("The tag must be 16 bytes.");
        if (inputLength != outputLength)
            ThrowArgument("Input and output must have the same length.");
        // SP 800-38D §5.2.1.1: at most 2^39 - 256 bits of plaintext; a span cannot get there, but the
        // 32-bit counter must not wrap into J0 either: 2^32 - 2 blocks.
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowArgument(string message) => throw new ArgumentException(message);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowDisposed() => throw new ObjectDisposedException(nameof(ManagedAesGcm));

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        SecretMemory.Return(ref _keyMaterial);
    }
}
