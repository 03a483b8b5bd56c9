using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using X86Aes = System.Runtime.Intrinsics.X86.Aes;

namespace Brisk.Crypto.Aead;

/// <summary>
/// Hardware path: CTR over eight AES-NI blocks in flight, stitched with GHASH of eight blocks per
/// reduction. When sealing, GHASH runs one group behind (over the previous group's ciphertext, kept in
/// registers) so it is independent of the AES rounds of the current group and the two overlap in the
/// out-of-order core; when opening, GHASH reads the ciphertext group before its plaintext is stored
/// (which also makes in-place opening safe).
/// </summary>
internal sealed unsafe partial class ManagedAesGcm
{
    private const int GroupBytes = 128;

    private void SealAesNi(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> plaintext, Span<byte> ciphertext, Span<byte> tag, ReadOnlySpan<byte> associatedData)
    {
        var computed = _path switch
        {
            AeadPath.Avx512 => Crypt<GhashGroup512>(nonce, plaintext, ciphertext, associatedData, encrypt: true),
            AeadPath.Avx2 => Crypt<GhashGroup256>(nonce, plaintext, ciphertext, associatedData, encrypt: true),
            _ => Crypt<GhashGroup128>(nonce, plaintext, ciphertext, associatedData, encrypt: true),
        };
        computed.StoreUnsafe(ref MemoryMarshal.GetReference(tag));
    }

    /// <summary>Decrypts and reports whether the tag matched; the comparison is one 128-bit xor and test (constant time).</summary>
    private bool OpenAesNi(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var computed = _path switch
        {
            AeadPath.Avx512 => Crypt<GhashGroup512>(nonce, ciphertext, plaintext, associatedData, encrypt: false),
            AeadPath.Avx2 => Crypt<GhashGroup256>(nonce, ciphertext, plaintext, associatedData, encrypt: false),
            _ => Crypt<GhashGroup128>(nonce, ciphertext, plaintext, associatedData, encrypt: false),
        };
        var difference = computed ^ Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(tag));
        return difference == Vector128<byte>.Zero;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private Vector128<byte> Crypt<TGroup>(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> input, Span<byte> output, ReadOnlySpan<byte> associatedData, bool encrypt)
        where TGroup : struct, IGhashGroup8
    {
        byte* keyMaterial = _keyMaterial.Pointer; // fixed address (SecretMemory); null once disposed
        if (keyMaterial == null)
            ThrowDisposed();
        fixed (byte* noncePtr = nonce)
        fixed (byte* src = input)
        fixed (byte* dst = output)
        fixed (byte* aad = associatedData)
        {
            byte* roundKeys = keyMaterial + RoundKeysOffset;
            byte* powers = keyMaterial + PowersOffset;
            byte* reversedPowers8 = keyMaterial + PowersReversedOffset + (PowerCount - 8) * 16;
            int rounds = _rounds;

            // J0 = nonce || 0x00000001 (SP 800-38D §7.1 step 2); counter blocks for the text start at J0 + 1.
            var counterBase = Vector128.Create(Unsafe.ReadUnaligned<ulong>(noncePtr), Unsafe.ReadUnaligned<uint>(noncePtr + 8)).AsUInt32();
            var encryptedJ0 = AesNi.Encrypt(roundKeys, rounds, CounterBlock(counterBase, 1));

            var y = GhashPclmul.HashPadded(Vector128<ulong>.Zero, aad, associatedData.Length, powers);

            int length = input.Length;
            int groups = length / GroupBytes;
            uint counter = 2;
            if (groups > 0)
            {
                y = encrypt
                    ? EncryptGroups<TGroup>(roundKeys, rounds, reversedPowers8, y, counterBase, counter, src, dst, groups)
                    : DecryptGroups<TGroup>(roundKeys, rounds, reversedPowers8, y, counterBase, counter, src, dst, groups);
                counter += (uint)(groups * 8);
            }
            int done = groups * GroupBytes;
            y = Tail(roundKeys, rounds, powers, y, counterBase, counter, src + done, dst + done, length - done,
                (ulong)associatedData.Length * 8, (ulong)length * 8, encrypt);

            // T = E(K, J0) xor S (SP 800-38D §7.1 step 6), S back in GCM byte order.
            return GhashPclmul.Reversed(y) ^ encryptedJ0;
        }
    }

    /// <summary>Counter block nonce || BE32(counter) (inc32 of SP 800-38D §6.2 wraps modulo 2^32).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> CounterBlock(Vector128<uint> counterBase, uint counter)
        => Sse41.Insert(counterBase, BinaryPrimitives.ReverseEndianness(counter), 3).AsByte();

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector128<ulong> EncryptGroups<TGroup>(byte* roundKeys, int rounds, byte* reversedPowers8, Vector128<ulong> y,
        Vector128<uint> counterBase, uint counter, byte* src, byte* dst, int groups)
        where TGroup : struct, IGhashGroup8
    {
        byte* lastRoundKey = roundKeys + 16 * rounds;
        Vector128<byte> p0 = default, p1 = default, p2 = default, p3 = default, p4 = default, p5 = default, p6 = default, p7 = default;
        for (int g = 0; g < groups; g++)
        {
            var k0 = Sse2.LoadVector128(roundKeys);
            var b0 = CounterBlock(counterBase, counter) ^ k0;
            var b1 = CounterBlock(counterBase, counter + 1) ^ k0;
            var b2 = CounterBlock(counterBase, counter + 2) ^ k0;
            var b3 = CounterBlock(counterBase, counter + 3) ^ k0;
            var b4 = CounterBlock(counterBase, counter + 4) ^ k0;
            var b5 = CounterBlock(counterBase, counter + 5) ^ k0;
            var b6 = CounterBlock(counterBase, counter + 6) ^ k0;
            var b7 = CounterBlock(counterBase, counter + 7) ^ k0;
            counter += 8;

            // GHASH of the previous group's ciphertext, still in registers: independent of this group's
            // AES rounds, so the out-of-order core runs both at once.
            if (g > 0)
                y = TGroup.Hash8(y, p0, p1, p2, p3, p4, p5, p6, p7, reversedPowers8);

            for (byte* k = roundKeys + 16; k < lastRoundKey; k += 16)
            {
                var key = Sse2.LoadVector128(k);
                b0 = X86Aes.Encrypt(b0, key);
                b1 = X86Aes.Encrypt(b1, key);
                b2 = X86Aes.Encrypt(b2, key);
                b3 = X86Aes.Encrypt(b3, key);
                b4 = X86Aes.Encrypt(b4, key);
                b5 = X86Aes.Encrypt(b5, key);
                b6 = X86Aes.Encrypt(b6, key);
                b7 = X86Aes.Encrypt(b7, key);
            }
            var last = Sse2.LoadVector128(lastRoundKey);
            p0 = X86Aes.EncryptLast(b0, last ^ Sse2.LoadVector128(src));
            p1 = X86Aes.EncryptLast(b1, last ^ Sse2.LoadVector128(src + 16));
            p2 = X86Aes.EncryptLast(b2, last ^ Sse2.LoadVector128(src + 32));
            p3 = X86Aes.EncryptLast(b3, last ^ Sse2.LoadVector128(src + 48));
            p4 = X86Aes.EncryptLast(b4, last ^ Sse2.LoadVector128(src + 64));
            p5 = X86Aes.EncryptLast(b5, last ^ Sse2.LoadVector128(src + 80));
            p6 = X86Aes.EncryptLast(b6, last ^ Sse2.LoadVector128(src + 96));
            p7 = X86Aes.EncryptLast(b7, last ^ Sse2.LoadVector128(src + 112));
            Sse2.Store(dst, p0);
            Sse2.Store(dst + 16, p1);
            Sse2.Store(dst + 32, p2);
            Sse2.Store(dst + 48, p3);
            Sse2.Store(dst + 64, p4);
            Sse2.Store(dst + 80, p5);
            Sse2.Store(dst + 96, p6);
            Sse2.Store(dst + 112, p7);
            src += GroupBytes;
            dst += GroupBytes;
        }
        return TGroup.Hash8(y, p0, p1, p2, p3, p4, p5, p6, p7, reversedPowers8);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector128<ulong> DecryptGroups<TGroup>(byte* roundKeys, int rounds, byte* reversedPowers8, Vector128<ulong> y,
        Vector128<uint> counterBase, uint counter, byte* src, byte* dst, int groups)
        where TGroup : struct, IGhashGroup8
    {
        byte* lastRoundKey = roundKeys + 16 * rounds;
        for (int g = 0; g < groups; g++)
        {
            // Hash the ciphertext before any plaintext of this group is stored (in-place safety).
            y = TGroup.Hash8(y, src, reversedPowers8);

            var k0 = Sse2.LoadVector128(roundKeys);
            var b0 = CounterBlock(counterBase, counter) ^ k0;
            var b1 = CounterBlock(counterBase, counter + 1) ^ k0;
            var b2 = CounterBlock(counterBase, counter + 2) ^ k0;
            var b3 = CounterBlock(counterBase, counter + 3) ^ k0;
            var b4 = CounterBlock(counterBase, counter + 4) ^ k0;
            var b5 = CounterBlock(counterBase, counter + 5) ^ k0;
            var b6 = CounterBlock(counterBase, counter + 6) ^ k0;
            var b7 = CounterBlock(counterBase, counter + 7) ^ k0;
            counter += 8;
            for (byte* k = roundKeys + 16; k < lastRoundKey; k += 16)
            {
                var key = Sse2.LoadVector128(k);
                b0 = X86Aes.Encrypt(b0, key);
                b1 = X86Aes.Encrypt(b1, key);
                b2 = X86Aes.Encrypt(b2, key);
                b3 = X86Aes.Encrypt(b3, key);
                b4 = X86Aes.Encrypt(b4, key);
                b5 = X86Aes.Encrypt(b5, key);
                b6 = X86Aes.Encrypt(b6, key);
                b7 = X86Aes.Encrypt(b7, key);
            }
            var last = Sse2.LoadVector128(lastRoundKey);
            var c0 = Sse2.LoadVector128(src);
            var c1 = Sse2.LoadVector128(src + 16);
            var c2 = Sse2.LoadVector128(src + 32);
            var c3 = Sse2.LoadVector128(src + 48);
            var c4 = Sse2.LoadVector128(src + 64);
            var c5 = Sse2.LoadVector128(src + 80);
            var c6 = Sse2.LoadVector128(src + 96);
            var c7 = Sse2.LoadVector128(src + 112);
            Sse2.Store(dst, X86Aes.EncryptLast(b0, last ^ c0));
            Sse2.Store(dst + 16, X86Aes.EncryptLast(b1, last ^ c1));
            Sse2.Store(dst + 32, X86Aes.EncryptLast(b2, last ^ c2));
            Sse2.Store(dst + 48, X86Aes.EncryptLast(b3, last ^ c3));
            Sse2.Store(dst + 64, X86Aes.EncryptLast(b4, last ^ c4));
            Sse2.Store(dst + 80, X86Aes.EncryptLast(b5, last ^ c5));
            Sse2.Store(dst + 96, X86Aes.EncryptLast(b6, last ^ c6));
            Sse2.Store(dst + 112, X86Aes.EncryptLast(b7, last ^ c7));
            src += GroupBytes;
            dst += GroupBytes;
        }
        return y;
    }

    /// <summary>
    /// The last 0..127 bytes plus the length block (SP 800-38D §7.1 step 5), hashed with one reduction.
    /// The text is staged in a zero-padded stack buffer so the partial block needs no special case.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector128<ulong> Tail(byte* roundKeys, int rounds, byte* powers, Vector128<ulong> y, Vector128<uint> counterBase,
        uint counter, byte* src, byte* dst, int length, ulong aadBits, ulong textBits, bool encrypt)
    {
        byte* staged = stackalloc byte[GroupBytes + 16];
        byte* keystream = stackalloc byte[GroupBytes];
        int blocks = (length + 15) >> 4;
        for (int i = 0; i < blocks; i++)
            Sse2.Store(staged + 16 * i, Vector128<byte>.Zero);
        if (blocks > 0)
        {
            // Up to eight independent blocks in flight.
            var k0 = Sse2.LoadVector128(roundKeys);
            var b0 = CounterBlock(counterBase, counter) ^ k0;
            var b1 = CounterBlock(counterBase, counter + 1) ^ k0;
            var b2 = CounterBlock(counterBase, counter + 2) ^ k0;
            var b3 = CounterBlock(counterBase, counter + 3) ^ k0;
            if (blocks <= 4)
            {
                for (int r = 1; r < rounds; r++)
                {
                    var key = Sse2.LoadVector128(roundKeys + 16 * r);
                    b0 = X86Aes.Encrypt(b0, key);
                    b1 = X86Aes.Encrypt(b1, key);
                    b2 = X86Aes.Encrypt(b2, key);
                    b3 = X86Aes.Encrypt(b3, key);
                }
                var last = Sse2.LoadVector128(roundKeys + 16 * rounds);
                Sse2.Store(keystream, X86Aes.EncryptLast(b0, last));
                Sse2.Store(keystream + 16, X86Aes.EncryptLast(b1, last));
                Sse2.Store(keystream + 32, X86Aes.EncryptLast(b2, last));
                Sse2.Store(keystream + 48, X86Aes.EncryptLast(b3, last));
            }
            else
            {
                var b4 = CounterBlock(counterBase, counter + 4) ^ k0;
                var b5 = CounterBlock(counterBase, counter + 5) ^ k0;
                var b6 = CounterBlock(counterBase, counter + 6) ^ k0;
                var b7 = CounterBlock(counterBase, counter + 7) ^ k0;
                for (int r = 1; r < rounds; r++)
                {
                    var key = Sse2.LoadVector128(roundKeys + 16 * r);
                    b0 = X86Aes.Encrypt(b0, key);
                    b1 = X86Aes.Encrypt(b1, key);
                    b2 = X86Aes.Encrypt(b2, key);
                    b3 = X86Aes.Encrypt(b3, key);
                    b4 = X86Aes.Encrypt(b4, key);
                    b5 = X86Aes.Encrypt(b5, key);
                    b6 = X86Aes.Encrypt(b6, key);
                    b7 = X86Aes.Encrypt(b7, key);
                }
                var last = Sse2.LoadVector128(roundKeys + 16 * rounds);
                Sse2.Store(keystream, X86Aes.EncryptLast(b0, last));
                Sse2.Store(keystream + 16, X86Aes.EncryptLast(b1, last));
                Sse2.Store(keystream + 32, X86Aes.EncryptLast(b2, last));
                Sse2.Store(keystream + 48, X86Aes.EncryptLast(b3, last));
                Sse2.Store(keystream + 64, X86Aes.EncryptLast(b4, last));
                Sse2.Store(keystream + 80, X86Aes.EncryptLast(b5, last));
                Sse2.Store(keystream + 96, X86Aes.EncryptLast(b6, last));
                Sse2.Store(keystream + 112, X86Aes.EncryptLast(b7, last));
            }

            if (encrypt)
            {
                // Stage plaintext, xor the keystream in the stage, copy the ciphertext out; GHASH reads the stage.
                Buffer.MemoryCopy(src, staged, GroupBytes, length);
                for (int i = 0; i < blocks; i++)
                    Sse2.Store(staged + 16 * i, Sse2.LoadVector128(staged + 16 * i) ^ Sse2.LoadVector128(keystream + 16 * i));
                // The padding of the last block must be zero for GHASH: clear what the keystream put there.
                for (int i = length; i < 16 * blocks; i++)
                    staged[i] = 0;
                Buffer.MemoryCopy(staged, dst, length, length);
            }
            else
            {
                Buffer.MemoryCopy(src, staged, GroupBytes, length);
                // Decrypt from a second copy so the staged ciphertext stays intact for GHASH.
                for (int i = 0; i < blocks; i++)
                    Sse2.Store(keystream + 16 * i, Sse2.LoadVector128(staged + 16 * i) ^ Sse2.LoadVector128(keystream + 16 * i));
                Buffer.MemoryCopy(keystream, dst, length, length);
            }
            for (int i = 0; i < blocks; i++)
                Sse2.Store(keystream + 16 * i, Vector128<byte>.Zero);
        }
        // len64(A) || len64(C), big-endian.
        Unsafe.WriteUnaligned(staged + 16 * blocks, BinaryPrimitives.ReverseEndianness(aadBits));
        Unsafe.WriteUnaligned(staged + 16 * blocks + 8, BinaryPrimitives.ReverseEndianness(textBits));
        return GhashPclmul.HashBlocks(y, staged, blocks + 1, powers);
    }
}
