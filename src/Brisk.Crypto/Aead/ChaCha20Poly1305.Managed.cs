using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Brisk.Crypto.Aead;

/// <summary>
/// ChaCha20-Poly1305 AEAD (RFC 8439 §2.8): the Poly1305 key is the first 32 bytes of the ChaCha20 block
/// with counter 0, the text is encrypted from counter 1, and the tag covers
/// AAD || pad16 || ciphertext || pad16 || le64(len(AAD)) || le64(len(ciphertext)).
/// The text is processed in chunks so the Poly1305 pass over a chunk runs while it is still in L1.
/// </summary>
[SkipLocalsInit] // every stackalloc buffer here is written before it is read
internal sealed unsafe class ManagedChaCha20Poly1305 : IAead
{
    /// <summary>Chunk of text per ChaCha20/Poly1305 alternation: large enough to amortise, small enough for L1.</summary>
    private const int ChunkBytes = 4096;

    private const int WidePolyThreshold = 512;

    private readonly AeadPath _path;
    private SecretBlock _key; // SecretMemory; reset to the empty block by Dispose
    private bool _disposed;

    public ManagedChaCha20Poly1305(ReadOnlySpan<byte> key, AeadPath path)
    {
        if (key.Length != 32)
            throw new ArgumentException("ChaCha20-Poly1305 needs a 32-byte key.", nameof(key));
        _path = path;
        _key = SecretMemory.Rent(32);
        key.CopyTo(_key.Span);
    }

    public AeadAlgorithm Algorithm => AeadAlgorithm.ChaCha20Poly1305;

    public void Seal(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        CheckArguments(nonce, plaintext.Length, ciphertext.Length, tag.Length);
        fixed (byte* tagPtr = tag)
            Crypt(nonce, plaintext, ciphertext, tagPtr, associatedData, encrypt: true);
    }

    public bool Open(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        CheckArguments(nonce, ciphertext.Length, plaintext.Length, tag.Length);
        Span<byte> expected = stackalloc byte[16];
        fixed (byte* expectedPtr = expected)
            Crypt(nonce, ciphertext, plaintext, expectedPtr, associatedData, encrypt: false);
        if (CryptographicOperations.FixedTimeEquals(expected, tag))
            return true;
        plaintext.Clear(); // no unauthenticated plaintext leaves (RFC 8439 §2.8: decryption fails)
        return false;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Crypt(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output, byte* tag, ReadOnlySpan<byte> associatedData, bool encrypt)
    {
        uint* state = stackalloc uint[16];
        byte* block = stackalloc byte[ChaCha20.BlockSize];
        byte* key = _key.Pointer; // fixed address; null once disposed
        if (key == null)
            throw new ObjectDisposedException(nameof(ManagedChaCha20Poly1305));
        fixed (byte* noncePtr = nonce)
        fixed (byte* src = input)
        fixed (byte* dst = output)
        fixed (byte* aad = associatedData)
        {
            // §2.6: one-time Poly1305 key from block 0.
            ChaCha20.InitState(state, key, noncePtr, 0);
            if (input.Length + ChaCha20.BlockSize <= ChaCha20.SingleBatchBytes(_path))
            {
                CryptShort(state, src, dst, input.Length, aad, associatedData.Length, tag, encrypt);
                new Span<uint>(state, 16).Clear();
                return;
            }
            ChaCha20.BlockScalar(state, block);
            var poly = new Poly1305(block);
            state[12] = 1;

            AbsorbPadded(ref poly, aad, associatedData.Length, block);
            int length = input.Length;
            // Eight-lane Poly1305 pays ~100 ns for its power table: worth it from a few hundred bytes.
            ulong* wideTable = null;
            int wideLanes = _path == AeadPath.Avx512 ? 8 : 4;
            if (length >= WidePolyThreshold
                && ((_path == AeadPath.Avx512 && Poly1305.WideSupported) || (_path == AeadPath.Avx2 && Poly1305.Wide256Supported)))
            {
                ulong* table = stackalloc ulong[Poly1305.WidePowersLength];
                poly.ComputeWidePowers(table, wideLanes);
                wideTable = table;
            }
            for (int offset = 0; offset < length; offset += ChunkBytes)
            {
                int n = Math.Min(ChunkBytes, length - offset);
                if (encrypt)
                {
                    ChaCha20.Xor(state, src + offset, dst + offset, n, _path);
                    if (wideTable != null) poly.BlocksWide(dst + offset, n >> 4, wideTable, wideLanes);
                    else poly.Blocks(dst + offset, n >> 4);
                }
                else
                {
                    // Authenticate the ciphertext before it is overwritten (in-place opening).
                    if (wideTable != null) poly.BlocksWide(src + offset, n >> 4, wideTable, wideLanes);
                    else poly.Blocks(src + offset, n >> 4);
                    if ((n & 15) != 0)
                        AbsorbPadded(ref poly, src + offset + (n & ~15), n & 15, block);
                    ChaCha20.Xor(state, src + offset, dst + offset, n, _path);
                    continue;
                }
                if ((n & 15) != 0)
                    AbsorbPadded(ref poly, dst + offset + (n & ~15), n & 15, block);
            }
            Unsafe.WriteUnaligned(block, (ulong)associatedData.Length);
            Unsafe.WriteUnaligned(block + 8, (ulong)length);
            poly.Blocks(block, 1);
            poly.Finish(tag);
            if (wideTable != null)
                new Span<ulong>(wideTable, Poly1305.WidePowersLength).Clear();
            poly.Clear();
            new Span<byte>(block, ChaCha20.BlockSize).Clear();
            new Span<uint>(state, 16).Clear();
        }
    }

    /// <summary>
    /// Short records: the key block and the text in one vector batch over a stack copy
    /// (staged[0..64) = zeros → Poly1305 key block; staged[64..) = text).
    /// </summary>
    private void CryptShort(uint* state, byte* src, byte* dst, int length, byte* aad, int aadLength, byte* tag, bool encrypt)
    {
        byte* staged = stackalloc byte[8 * ChaCha20.BlockSize];
        Vector512<byte>.Zero.Store(staged);
        Buffer.MemoryCopy(src, staged + ChaCha20.BlockSize, length, length);
        ChaCha20.SingleBatchInPlace(state, staged, ChaCha20.BlockSize + length, _path);
        var poly = new Poly1305(staged);
        byte* scratch = staged; // the key block is consumed; reuse it for padding and the length block
        AbsorbPadded(ref poly, aad, aadLength, scratch);
        // Authenticate the ciphertext: the staged output when sealing, the untouched input when opening.
        AbsorbPadded(ref poly, encrypt ? staged + ChaCha20.BlockSize : src, length, scratch);
        Buffer.MemoryCopy(staged + ChaCha20.BlockSize, dst, length, length);
        Unsafe.WriteUnaligned(scratch, (ulong)aadLength);
        Unsafe.WriteUnaligned(scratch + 8, (ulong)length);
        poly.Blocks(scratch, 1);
        poly.Finish(tag);
        poly.Clear();
        new Span<byte>(staged, 8 * ChaCha20.BlockSize).Clear();
    }

    /// <summary>Absorbs data zero-padded to 16 bytes (pad16 of §2.8).</summary>
    private static void AbsorbPadded(ref Poly1305 poly, byte* data, int length, byte* scratch)
    {
        int full = length >> 4;
        if (full > 0)
            poly.Blocks(data, full);
        int rest = length & 15;
        if (rest != 0)
        {
            Vector128<byte>.Zero.Store(scratch);
            Buffer.MemoryCopy(data + 16 * full, scratch, 16, rest);
            poly.Blocks(scratch, 1);
        }
    }

    private void CheckArguments(ReadOnlySpan<byte> nonce, int inputLength, int outputLength, int tagLength)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (nonce.Length != AeadAlgorithmInfo.NonceSize)
            throw new ArgumentException("The nonce must be 12 bytes.", nameof(nonce));
        if (tagLength != AeadAlgorithmInfo.TagSize)
            throw new ArgumentException("The tag must be 16 bytes.");
        if (inputLength != outputLength)
            throw new ArgumentException("Input and output must have the same length.");
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        SecretMemory.Return(ref _key);
    }
}
