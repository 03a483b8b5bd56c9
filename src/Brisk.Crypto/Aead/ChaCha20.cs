using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Brisk.Crypto.Aead;

/// <summary>
/// ChaCha20 (RFC 8439 §2.3–2.4). The vector kernels keep the 4×4 state as four row vectors; a Vector128
/// holds one block's row, a Vector256 the rows of two blocks and a Vector512 the rows of four (one block
/// per 128-bit lane). The diagonal round is reached by rotating rows b, c, d by one, two and three words
/// within each lane (§2.3's "diagonal" quarter rounds), and two independent sets are interleaved to hide
/// the latency of the add-xor-rotate chain. Keystream is xored straight into the output.
/// </summary>
[SkipLocalsInit] // every stackalloc buffer here is written before it is read
internal static unsafe class ChaCha20
{
    public const int BlockSize = 64;

    /// <summary>Initial state: constants, key, counter, nonce (§2.3).</summary>
    public static void InitState(uint* state, byte* key, byte* nonce, uint counter)
    {
        state[0] = 0x61707865;
        state[1] = 0x3320646e;
        state[2] = 0x79622d32;
        state[3] = 0x6b206574;
        for (int i = 0; i < 8; i++)
            state[4 + i] = Unsafe.ReadUnaligned<uint>(key + 4 * i);
        state[12] = counter;
        state[13] = Unsafe.ReadUnaligned<uint>(nonce);
        state[14] = Unsafe.ReadUnaligned<uint>(nonce + 4);
        state[15] = Unsafe.ReadUnaligned<uint>(nonce + 8);
    }

    /// <summary>
    /// output = input xor keystream(state, counter from state[12]). Advances state[12] by the blocks used.
    /// <paramref name="input"/> and <paramref name="output"/> may be the same memory.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Xor(uint* state, byte* input, byte* output, int length, AeadPath path)
    {
        switch (path)
        {
            case AeadPath.Avx512:
                while (length >= 16 * BlockSize)
                {
                    Blocks16Vector512(state, input, output);
                    state[12] += 16;
                    input += 16 * BlockSize; output += 16 * BlockSize; length -= 16 * BlockSize;
                }
                while (length >= 8 * BlockSize)
                {
                    Blocks8Vector512(state, input, output);
                    state[12] += 8;
                    input += 8 * BlockSize; output += 8 * BlockSize; length -= 8 * BlockSize;
                }
                if (length > 0)
                    TailWith(state, input, output, length, path);
                break;
            case AeadPath.Avx2:
            case AeadPath.AesNi:
                if (path == AeadPath.Avx2)
                {
                    while (length >= 8 * BlockSize)
                    {
                        Blocks8Vector256(state, input, output);
                        state[12] += 8;
                        input += 8 * BlockSize; output += 8 * BlockSize; length -= 8 * BlockSize;
                    }
                }
                while (length >= 4 * BlockSize)
                {
                    if (path == AeadPath.Avx2) Blocks4Vector256(state, input, output);
                    else Blocks4Vector128(state, input, output);
                    state[12] += 4;
                    input += 4 * BlockSize; output += 4 * BlockSize; length -= 4 * BlockSize;
                }
                if (length > 0)
                    TailWith(state, input, output, length, path);
                break;
            default:
                byte* block = stackalloc byte[BlockSize];
                while (length > 0)
                {
                    BlockScalar(state, block);
                    state[12]++;
                    int n = Math.Min(BlockSize, length);
                    for (int i = 0; i < n; i++)
                        output[i] = (byte)(input[i] ^ block[i]);
                    input += n; output += n; length -= n;
                }
                new Span<byte>(block, BlockSize).Clear();
                break;
        }
    }

    /// <summary>Largest length (including the 64-byte Poly1305 key block) one vector batch covers on <paramref name="path"/>.</summary>
    public static int SingleBatchBytes(AeadPath path) => path switch
    {
        AeadPath.Avx512 => 8 * BlockSize,
        AeadPath.Avx2 or AeadPath.AesNi => 4 * BlockSize,
        _ => 0,
    };

    /// <summary>
    /// Xors keystream from state[12] into <paramref name="buffer"/> (<paramref name="length"/> ≤
    /// <see cref="SingleBatchBytes"/>, buffer at least that large) with one vector batch. Used for short
    /// records: block 0 (the Poly1305 key, §2.6) and the text come out of the same batch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SingleBatchInPlace(uint* state, byte* buffer, int length, AeadPath path)
    {
        if (path == AeadPath.Avx512 && length > 4 * BlockSize)
            Blocks8Vector512(state, buffer, buffer);
        else if (path == AeadPath.Avx512)
            Blocks4Vector512(state, buffer, buffer);
        else if (path == AeadPath.Avx2)
            Blocks4Vector256(state, buffer, buffer);
        else
            Blocks4Vector128(state, buffer, buffer);
    }

    /// <summary>Partial batch: stage the input in a stack buffer, run one full vector batch on it, copy out.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TailWith(uint* state, byte* input, byte* output, int length, AeadPath path)
    {
        byte* staged = stackalloc byte[8 * BlockSize];
        Buffer.MemoryCopy(input, staged, 8 * BlockSize, length);
        if (path == AeadPath.Avx512 && length > 4 * BlockSize)
            Blocks8Vector512(state, staged, staged);
        else if (path == AeadPath.Avx512)
            Blocks4Vector512(state, staged, staged);
        else if (path == AeadPath.Avx2)
            Blocks4Vector256(state, staged, staged);
        else
            Blocks4Vector128(state, staged, staged);
        Buffer.MemoryCopy(staged, output, length, length);
        state[12] += (uint)((length + BlockSize - 1) / BlockSize);
        new Span<byte>(staged, 8 * BlockSize).Clear();
    }

    // ---------------------------------------------------------------- scalar (portable path, one block)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref uint a, ref uint b, ref uint c, ref uint d)
    {
        a += b; d = uint.RotateLeft(d ^ a, 16);
        c += d; b = uint.RotateLeft(b ^ c, 12);
        a += b; d = uint.RotateLeft(d ^ a, 8);
        c += d; b = uint.RotateLeft(b ^ c, 7);
    }

    /// <summary>One block function (§2.3) into 64 bytes of keystream.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void BlockScalar(uint* state, byte* output)
    {
        uint x0 = state[0], x1 = state[1], x2 = state[2], x3 = state[3];
        uint x4 = state[4], x5 = state[5], x6 = state[6], x7 = state[7];
        uint x8 = state[8], x9 = state[9], x10 = state[10], x11 = state[11];
        uint x12 = state[12], x13 = state[13], x14 = state[14], x15 = state[15];
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }
        Unsafe.WriteUnaligned(output, x0 + state[0]); Unsafe.WriteUnaligned(output + 4, x1 + state[1]);
        Unsafe.WriteUnaligned(output + 8, x2 + state[2]); Unsafe.WriteUnaligned(output + 12, x3 + state[3]);
        Unsafe.WriteUnaligned(output + 16, x4 + state[4]); Unsafe.WriteUnaligned(output + 20, x5 + state[5]);
        Unsafe.WriteUnaligned(output + 24, x6 + state[6]); Unsafe.WriteUnaligned(output + 28, x7 + state[7]);
        Unsafe.WriteUnaligned(output + 32, x8 + state[8]); Unsafe.WriteUnaligned(output + 36, x9 + state[9]);
        Unsafe.WriteUnaligned(output + 40, x10 + state[10]); Unsafe.WriteUnaligned(output + 44, x11 + state[11]);
        Unsafe.WriteUnaligned(output + 48, x12 + state[12]); Unsafe.WriteUnaligned(output + 52, x13 + state[13]);
        Unsafe.WriteUnaligned(output + 56, x14 + state[14]); Unsafe.WriteUnaligned(output + 60, x15 + state[15]);
    }

    // ---------------------------------------------------------------- Vector128 (one block per set, four sets)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<uint> Rotate(Vector128<uint> v, [ConstantExpected] byte n)
        => Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(v, n) : (v << n) | (v >> (32 - n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HalfRound(ref Vector128<uint> a, ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        a += b; d = Rotate(d ^ a, 16);
        c += d; b = Rotate(b ^ c, 12);
        a += b; d = Rotate(d ^ a, 8);
        c += d; b = Rotate(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Diagonalize(ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        b = Vector128.Shuffle(b, Vector128.Create(1u, 2, 3, 0));
        c = Vector128.Shuffle(c, Vector128.Create(2u, 3, 0, 1));
        d = Vector128.Shuffle(d, Vector128.Create(3u, 0, 1, 2));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Undiagonalize(ref Vector128<uint> b, ref Vector128<uint> c, ref Vector128<uint> d)
    {
        b = Vector128.Shuffle(b, Vector128.Create(3u, 0, 1, 2));
        c = Vector128.Shuffle(c, Vector128.Create(2u, 3, 0, 1));
        d = Vector128.Shuffle(d, Vector128.Create(1u, 2, 3, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks4Vector128(uint* state, byte* input, byte* output)
    {
        var s0 = Vector128.Load(state);
        var s1 = Vector128.Load(state + 4);
        var s2 = Vector128.Load(state + 8);
        var s3 = Vector128.Load(state + 12);
        var one = Vector128.Create(1u, 0, 0, 0);
        var d0Init = s3;
        var d1Init = s3 + one;
        var d2Init = d1Init + one;
        var d3Init = d2Init + one;
        Vector128<uint> a0 = s0, b0 = s1, c0 = s2, d0 = d0Init;
        Vector128<uint> a1 = s0, b1 = s1, c1 = s2, d1 = d1Init;
        Vector128<uint> a2 = s0, b2 = s1, c2 = s2, d2 = d2Init;
        Vector128<uint> a3 = s0, b3 = s1, c3 = s2, d3 = d3Init;
        for (int i = 0; i < 10; i++)
        {
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            HalfRound(ref a1, ref b1, ref c1, ref d1);
            HalfRound(ref a2, ref b2, ref c2, ref d2);
            HalfRound(ref a3, ref b3, ref c3, ref d3);
            Diagonalize(ref b0, ref c0, ref d0);
            Diagonalize(ref b1, ref c1, ref d1);
            Diagonalize(ref b2, ref c2, ref d2);
            Diagonalize(ref b3, ref c3, ref d3);
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            HalfRound(ref a1, ref b1, ref c1, ref d1);
            HalfRound(ref a2, ref b2, ref c2, ref d2);
            HalfRound(ref a3, ref b3, ref c3, ref d3);
            Undiagonalize(ref b0, ref c0, ref d0);
            Undiagonalize(ref b1, ref c1, ref d1);
            Undiagonalize(ref b2, ref c2, ref d2);
            Undiagonalize(ref b3, ref c3, ref d3);
        }
        StoreBlock128(input, output, a0 + s0, b0 + s1, c0 + s2, d0 + d0Init);
        StoreBlock128(input + 64, output + 64, a1 + s0, b1 + s1, c1 + s2, d1 + d1Init);
        StoreBlock128(input + 128, output + 128, a2 + s0, b2 + s1, c2 + s2, d2 + d2Init);
        StoreBlock128(input + 192, output + 192, a3 + s0, b3 + s1, c3 + s2, d3 + d3Init);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlock128(byte* input, byte* output, Vector128<uint> r0, Vector128<uint> r1, Vector128<uint> r2, Vector128<uint> r3)
    {
        (Vector128.Load(input) ^ r0.AsByte()).Store(output);
        (Vector128.Load(input + 16) ^ r1.AsByte()).Store(output + 16);
        (Vector128.Load(input + 32) ^ r2.AsByte()).Store(output + 32);
        (Vector128.Load(input + 48) ^ r3.AsByte()).Store(output + 48);
    }

    // ---------------------------------------------------------------- Vector256 (two blocks per set, two sets)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<uint> Rotate(Vector256<uint> v, [ConstantExpected] byte n)
        => Avx512F.VL.IsSupported ? Avx512F.VL.RotateLeft(v, n) : (v << n) | (v >> (32 - n));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HalfRound(ref Vector256<uint> a, ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        a += b; d = Rotate(d ^ a, 16);
        c += d; b = Rotate(b ^ c, 12);
        a += b; d = Rotate(d ^ a, 8);
        c += d; b = Rotate(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks4Vector256(uint* state, byte* input, byte* output)
    {
        var s0 = Vector256.Create(Vector128.Load(state));
        var s1 = Vector256.Create(Vector128.Load(state + 4));
        var s2 = Vector256.Create(Vector128.Load(state + 8));
        var s3 = Vector256.Create(Vector128.Load(state + 12));
        var d0Init = s3 + Vector256.Create(0u, 0, 0, 0, 1, 0, 0, 0);
        var d1Init = s3 + Vector256.Create(2u, 0, 0, 0, 3, 0, 0, 0);
        Vector256<uint> a0 = s0, b0 = s1, c0 = s2, d0 = d0Init;
        Vector256<uint> a1 = s0, b1 = s1, c1 = s2, d1 = d1Init;
        for (int i = 0; i < 10; i++)
        {
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            HalfRound(ref a1, ref b1, ref c1, ref d1);
            b0 = Avx2.Shuffle(b0, 0x39); c0 = Avx2.Shuffle(c0, 0x4E); d0 = Avx2.Shuffle(d0, 0x93);
            b1 = Avx2.Shuffle(b1, 0x39); c1 = Avx2.Shuffle(c1, 0x4E); d1 = Avx2.Shuffle(d1, 0x93);
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            HalfRound(ref a1, ref b1, ref c1, ref d1);
            b0 = Avx2.Shuffle(b0, 0x93); c0 = Avx2.Shuffle(c0, 0x4E); d0 = Avx2.Shuffle(d0, 0x39);
            b1 = Avx2.Shuffle(b1, 0x93); c1 = Avx2.Shuffle(c1, 0x4E); d1 = Avx2.Shuffle(d1, 0x39);
        }
        StoreBlocks256(input, output, a0 + s0, b0 + s1, c0 + s2, d0 + d0Init);
        StoreBlocks256(input + 128, output + 128, a1 + s0, b1 + s1, c1 + s2, d1 + d1Init);
    }

    /// <summary>Rows of two blocks: lane 0 is the first block, lane 1 the second.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlocks256(byte* input, byte* output, Vector256<uint> r0, Vector256<uint> r1, Vector256<uint> r2, Vector256<uint> r3)
    {
        var first01 = Avx2.Permute2x128(r0, r1, 0x20).AsByte();
        var first23 = Avx2.Permute2x128(r2, r3, 0x20).AsByte();
        var second01 = Avx2.Permute2x128(r0, r1, 0x31).AsByte();
        var second23 = Avx2.Permute2x128(r2, r3, 0x31).AsByte();
        (Vector256.Load(input) ^ first01).Store(output);
        (Vector256.Load(input + 32) ^ first23).Store(output + 32);
        (Vector256.Load(input + 64) ^ second01).Store(output + 64);
        (Vector256.Load(input + 96) ^ second23).Store(output + 96);
    }

    // ---------------------------------------------------------------- Vector256, one block per 32-bit lane

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector256<uint> a, ref Vector256<uint> b, ref Vector256<uint> c, ref Vector256<uint> d)
    {
        a += b; d = Rotate(d ^ a, 16);
        c += d; b = Rotate(b ^ c, 12);
        a += b; d = Rotate(d ^ a, 8);
        c += d; b = Rotate(b ^ c, 7);
    }

    /// <summary>Eight blocks, state word i of block b in lane b of vector i (as <see cref="Blocks16Vector512"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks8Vector256(uint* state, byte* input, byte* output)
    {
        var counters = Vector256.Create(state[12]) + Vector256.Create(0u, 1, 2, 3, 4, 5, 6, 7);
        var x0 = Vector256.Create(state[0]); var x1 = Vector256.Create(state[1]);
        var x2 = Vector256.Create(state[2]); var x3 = Vector256.Create(state[3]);
        var x4 = Vector256.Create(state[4]); var x5 = Vector256.Create(state[5]);
        var x6 = Vector256.Create(state[6]); var x7 = Vector256.Create(state[7]);
        var x8 = Vector256.Create(state[8]); var x9 = Vector256.Create(state[9]);
        var x10 = Vector256.Create(state[10]); var x11 = Vector256.Create(state[11]);
        var x12 = counters; var x13 = Vector256.Create(state[13]);
        var x14 = Vector256.Create(state[14]); var x15 = Vector256.Create(state[15]);
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }
        x0 += Vector256.Create(state[0]); x1 += Vector256.Create(state[1]);
        x2 += Vector256.Create(state[2]); x3 += Vector256.Create(state[3]);
        x4 += Vector256.Create(state[4]); x5 += Vector256.Create(state[5]);
        x6 += Vector256.Create(state[6]); x7 += Vector256.Create(state[7]);
        x8 += Vector256.Create(state[8]); x9 += Vector256.Create(state[9]);
        x10 += Vector256.Create(state[10]); x11 += Vector256.Create(state[11]);
        x12 += counters; x13 += Vector256.Create(state[13]);
        x14 += Vector256.Create(state[14]); x15 += Vector256.Create(state[15]);

        Transpose4(ref x0, ref x1, ref x2, ref x3);
        Transpose4(ref x4, ref x5, ref x6, ref x7);
        Transpose4(ref x8, ref x9, ref x10, ref x11);
        Transpose4(ref x12, ref x13, ref x14, ref x15);
        StoreLanes(input, output, 0, x0, x4, x8, x12);
        StoreLanes(input, output, 1, x1, x5, x9, x13);
        StoreLanes(input, output, 2, x2, x6, x10, x14);
        StoreLanes(input, output, 3, x3, x7, x11, x15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(ref Vector256<uint> w0, ref Vector256<uint> w1, ref Vector256<uint> w2, ref Vector256<uint> w3)
    {
        var a = Avx2.UnpackLow(w0, w1);
        var b = Avx2.UnpackHigh(w0, w1);
        var c = Avx2.UnpackLow(w2, w3);
        var d = Avx2.UnpackHigh(w2, w3);
        w0 = Avx2.UnpackLow(a.AsUInt64(), c.AsUInt64()).AsUInt32();
        w1 = Avx2.UnpackHigh(a.AsUInt64(), c.AsUInt64()).AsUInt32();
        w2 = Avx2.UnpackLow(b.AsUInt64(), d.AsUInt64()).AsUInt32();
        w3 = Avx2.UnpackHigh(b.AsUInt64(), d.AsUInt64()).AsUInt32();
    }

    /// <summary>Lane 0 of the four word groups is block k, lane 1 is block 4 + k.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(byte* input, byte* output, int k, Vector256<uint> g0, Vector256<uint> g1, Vector256<uint> g2, Vector256<uint> g3)
    {
        int o = k * BlockSize;
        (Vector256.Load(input + o) ^ Avx2.Permute2x128(g0, g1, 0x20).AsByte()).Store(output + o);
        (Vector256.Load(input + o + 32) ^ Avx2.Permute2x128(g2, g3, 0x20).AsByte()).Store(output + o + 32);
        (Vector256.Load(input + o + 256) ^ Avx2.Permute2x128(g0, g1, 0x31).AsByte()).Store(output + o + 256);
        (Vector256.Load(input + o + 288) ^ Avx2.Permute2x128(g2, g3, 0x31).AsByte()).Store(output + o + 288);
    }

    // ---------------------------------------------------------------- Vector512, one block per 32-bit lane

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void QuarterRound(ref Vector512<uint> a, ref Vector512<uint> b, ref Vector512<uint> c, ref Vector512<uint> d)
    {
        a += b; d = Avx512F.RotateLeft(d ^ a, 16);
        c += d; b = Avx512F.RotateLeft(b ^ c, 12);
        a += b; d = Avx512F.RotateLeft(d ^ a, 8);
        c += d; b = Avx512F.RotateLeft(b ^ c, 7);
    }

    /// <summary>
    /// Sixteen blocks with state word i of block b in lane b of vector i: the quarter rounds of §2.3 need no
    /// shuffles at all, and a 16×16 transpose (32-bit then 128-bit steps) puts the keystream in block order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks16Vector512(uint* state, byte* input, byte* output)
    {
        var counters = Vector512.Create(state[12]) + Vector512.Create(0u, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        var x0 = Vector512.Create(state[0]); var x1 = Vector512.Create(state[1]);
        var x2 = Vector512.Create(state[2]); var x3 = Vector512.Create(state[3]);
        var x4 = Vector512.Create(state[4]); var x5 = Vector512.Create(state[5]);
        var x6 = Vector512.Create(state[6]); var x7 = Vector512.Create(state[7]);
        var x8 = Vector512.Create(state[8]); var x9 = Vector512.Create(state[9]);
        var x10 = Vector512.Create(state[10]); var x11 = Vector512.Create(state[11]);
        var x12 = counters; var x13 = Vector512.Create(state[13]);
        var x14 = Vector512.Create(state[14]); var x15 = Vector512.Create(state[15]);
        for (int i = 0; i < 10; i++)
        {
            QuarterRound(ref x0, ref x4, ref x8, ref x12);
            QuarterRound(ref x1, ref x5, ref x9, ref x13);
            QuarterRound(ref x2, ref x6, ref x10, ref x14);
            QuarterRound(ref x3, ref x7, ref x11, ref x15);
            QuarterRound(ref x0, ref x5, ref x10, ref x15);
            QuarterRound(ref x1, ref x6, ref x11, ref x12);
            QuarterRound(ref x2, ref x7, ref x8, ref x13);
            QuarterRound(ref x3, ref x4, ref x9, ref x14);
        }
        x0 += Vector512.Create(state[0]); x1 += Vector512.Create(state[1]);
        x2 += Vector512.Create(state[2]); x3 += Vector512.Create(state[3]);
        x4 += Vector512.Create(state[4]); x5 += Vector512.Create(state[5]);
        x6 += Vector512.Create(state[6]); x7 += Vector512.Create(state[7]);
        x8 += Vector512.Create(state[8]); x9 += Vector512.Create(state[9]);
        x10 += Vector512.Create(state[10]); x11 += Vector512.Create(state[11]);
        x12 += counters; x13 += Vector512.Create(state[13]);
        x14 += Vector512.Create(state[14]); x15 += Vector512.Create(state[15]);

        // 4×4 transposes inside each 128-bit lane: g{w}_{k} holds words 4w..4w+3 of block 4·lane + k.
        Transpose4(ref x0, ref x1, ref x2, ref x3);
        Transpose4(ref x4, ref x5, ref x6, ref x7);
        Transpose4(ref x8, ref x9, ref x10, ref x11);
        Transpose4(ref x12, ref x13, ref x14, ref x15);
        // Then a 4×4 transpose of 128-bit lanes per k gives blocks k, 4 + k, 8 + k, 12 + k.
        StoreLanes(input, output, 0, x0, x4, x8, x12);
        StoreLanes(input, output, 1, x1, x5, x9, x13);
        StoreLanes(input, output, 2, x2, x6, x10, x14);
        StoreLanes(input, output, 3, x3, x7, x11, x15);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4(ref Vector512<uint> w0, ref Vector512<uint> w1, ref Vector512<uint> w2, ref Vector512<uint> w3)
    {
        var a = Avx512F.UnpackLow(w0, w1);   // w0.b0 w1.b0 w0.b1 w1.b1
        var b = Avx512F.UnpackHigh(w0, w1);  // w0.b2 w1.b2 w0.b3 w1.b3
        var c = Avx512F.UnpackLow(w2, w3);
        var d = Avx512F.UnpackHigh(w2, w3);
        w0 = Avx512F.UnpackLow(a.AsUInt64(), c.AsUInt64()).AsUInt32();  // words 0..3 of block 0 of each lane
        w1 = Avx512F.UnpackHigh(a.AsUInt64(), c.AsUInt64()).AsUInt32(); // block 1
        w2 = Avx512F.UnpackLow(b.AsUInt64(), d.AsUInt64()).AsUInt32();  // block 2
        w3 = Avx512F.UnpackHigh(b.AsUInt64(), d.AsUInt64()).AsUInt32(); // block 3
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreLanes(byte* input, byte* output, int k, Vector512<uint> r0, Vector512<uint> r1, Vector512<uint> r2, Vector512<uint> r3)
    {
        var t0 = Avx512F.Shuffle4x128(r0, r1, 0x44);
        var t1 = Avx512F.Shuffle4x128(r2, r3, 0x44);
        var t2 = Avx512F.Shuffle4x128(r0, r1, 0xEE);
        var t3 = Avx512F.Shuffle4x128(r2, r3, 0xEE);
        int o = k * BlockSize;
        (Vector512.Load(input + o) ^ Avx512F.Shuffle4x128(t0, t1, 0x88).AsByte()).Store(output + o);
        (Vector512.Load(input + o + 256) ^ Avx512F.Shuffle4x128(t0, t1, 0xDD).AsByte()).Store(output + o + 256);
        (Vector512.Load(input + o + 512) ^ Avx512F.Shuffle4x128(t2, t3, 0x88).AsByte()).Store(output + o + 512);
        (Vector512.Load(input + o + 768) ^ Avx512F.Shuffle4x128(t2, t3, 0xDD).AsByte()).Store(output + o + 768);
    }

    // ---------------------------------------------------------------- Vector512 (four blocks per set)

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void HalfRound(ref Vector512<uint> a, ref Vector512<uint> b, ref Vector512<uint> c, ref Vector512<uint> d)
    {
        a += b; d = Avx512F.RotateLeft(d ^ a, 16);
        c += d; b = Avx512F.RotateLeft(b ^ c, 12);
        a += b; d = Avx512F.RotateLeft(d ^ a, 8);
        c += d; b = Avx512F.RotateLeft(b ^ c, 7);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks8Vector512(uint* state, byte* input, byte* output)
    {
        var s0 = Vector512.Create(Vector128.Load(state));
        var s1 = Vector512.Create(Vector128.Load(state + 4));
        var s2 = Vector512.Create(Vector128.Load(state + 8));
        var s3 = Vector512.Create(Vector128.Load(state + 12));
        var d0Init = s3 + Vector512.Create(0u, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
        var d1Init = s3 + Vector512.Create(4u, 0, 0, 0, 5, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0, 0);
        Vector512<uint> a0 = s0, b0 = s1, c0 = s2, d0 = d0Init;
        Vector512<uint> a1 = s0, b1 = s1, c1 = s2, d1 = d1Init;
        for (int i = 0; i < 10; i++)
        {
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            HalfRound(ref a1, ref b1, ref c1, ref d1);
            b0 = Avx512F.Shuffle(b0, 0x39); c0 = Avx512F.Shuffle(c0, 0x4E); d0 = Avx512F.Shuffle(d0, 0x93);
            b1 = Avx512F.Shuffle(b1, 0x39); c1 = Avx512F.Shuffle(c1, 0x4E); d1 = Avx512F.Shuffle(d1, 0x93);
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            HalfRound(ref a1, ref b1, ref c1, ref d1);
            b0 = Avx512F.Shuffle(b0, 0x93); c0 = Avx512F.Shuffle(c0, 0x4E); d0 = Avx512F.Shuffle(d0, 0x39);
            b1 = Avx512F.Shuffle(b1, 0x93); c1 = Avx512F.Shuffle(c1, 0x4E); d1 = Avx512F.Shuffle(d1, 0x39);
        }
        StoreBlocks512(input, output, a0 + s0, b0 + s1, c0 + s2, d0 + d0Init);
        StoreBlocks512(input + 256, output + 256, a1 + s0, b1 + s1, c1 + s2, d1 + d1Init);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocks4Vector512(uint* state, byte* input, byte* output)
    {
        var s0 = Vector512.Create(Vector128.Load(state));
        var s1 = Vector512.Create(Vector128.Load(state + 4));
        var s2 = Vector512.Create(Vector128.Load(state + 8));
        var s3 = Vector512.Create(Vector128.Load(state + 12));
        var d0Init = s3 + Vector512.Create(0u, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
        Vector512<uint> a0 = s0, b0 = s1, c0 = s2, d0 = d0Init;
        for (int i = 0; i < 10; i++)
        {
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            b0 = Avx512F.Shuffle(b0, 0x39); c0 = Avx512F.Shuffle(c0, 0x4E); d0 = Avx512F.Shuffle(d0, 0x93);
            HalfRound(ref a0, ref b0, ref c0, ref d0);
            b0 = Avx512F.Shuffle(b0, 0x93); c0 = Avx512F.Shuffle(c0, 0x4E); d0 = Avx512F.Shuffle(d0, 0x39);
        }
        StoreBlocks512(input, output, a0 + s0, b0 + s1, c0 + s2, d0 + d0Init);
    }

    /// <summary>Rows of four blocks (block k in lane k): a 4×4 transpose of 128-bit lanes gives the blocks in order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBlocks512(byte* input, byte* output, Vector512<uint> r0, Vector512<uint> r1, Vector512<uint> r2, Vector512<uint> r3)
    {
        var t0 = Avx512F.Shuffle4x128(r0, r1, 0x44); // r0.l0 r0.l1 r1.l0 r1.l1
        var t1 = Avx512F.Shuffle4x128(r2, r3, 0x44); // r2.l0 r2.l1 r3.l0 r3.l1
        var t2 = Avx512F.Shuffle4x128(r0, r1, 0xEE); // r0.l2 r0.l3 r1.l2 r1.l3
        var t3 = Avx512F.Shuffle4x128(r2, r3, 0xEE);
        var block0 = Avx512F.Shuffle4x128(t0, t1, 0x88).AsByte();
        var block1 = Avx512F.Shuffle4x128(t0, t1, 0xDD).AsByte();
        var block2 = Avx512F.Shuffle4x128(t2, t3, 0x88).AsByte();
        var block3 = Avx512F.Shuffle4x128(t2, t3, 0xDD).AsByte();
        (Vector512.Load(input) ^ block0).Store(output);
        (Vector512.Load(input + 64) ^ block1).Store(output + 64);
        (Vector512.Load(input + 128) ^ block2).Store(output + 128);
        (Vector512.Load(input + 192) ^ block3).Store(output + 192);
    }
}
