using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Brisk.Crypto.Aead;

/// <summary>
/// Eight-lane Poly1305 with AVX-512 (26-bit limbs, VPMULUDQ). Lane j accumulates blocks j, j+8, j+16, …:
/// each step multiplies all lanes by r^8 and adds the next eight blocks; at the end lane j is multiplied by
/// r^(8−j) and the lanes are summed, which equals the serial Horner evaluation of §2.5.1. With 26-bit limbs
/// a 5×5 limb product reduces modulo 2^130 − 5 by multiplying the wrapped limbs by 5 (2^130 ≡ 5).
/// </summary>
internal unsafe partial struct Poly1305
{
    private const ulong Mask26 = (1UL << 26) - 1;

    /// <summary>Size of the power table in ulongs: r^8 limbs and 5·r^8 limbs (10), then per-lane powers (5 × 8) and ×5 (5 × 8).</summary>
    public const int WidePowersLength = 10 + 80;

    public static bool WideSupported => Avx512F.IsSupported && Vector512.IsHardwareAccelerated;

    /// <summary>Four lanes on AVX2 (same construction with r^4).</summary>
    public static bool Wide256Supported => Avx2.IsSupported;

    /// <summary>Precomputes r^1..r^lanes for <see cref="BlocksWide"/> (once per message); lanes is 8 (AVX-512) or 4 (AVX2).</summary>
    public readonly void ComputeWidePowers(ulong* table, int lanes) => ComputePowers(table, lanes);

    /// <summary>
    /// Table for <paramref name="lanes"/> lanes: r^lanes and 5·r^lanes limbs (10 ulongs), then per limb the
    /// power each lane is finally multiplied by, then the same ×5.
    /// </summary>
    private readonly void ComputePowers(ulong* table, int lanes)
    {
        ulong* power = stackalloc ulong[5 * 8]; // power[(k-1)*5 + limb] = r^k
        ToLimbs(_r0, _r1, 0, power);
        for (int k = 2; k <= 8; k++)
            MultiplyLimbs(power + (k - 2) * 5, power, power + (k - 1) * 5);
        ulong* step = power + (lanes - 1) * 5;
        for (int limb = 0; limb < 5; limb++)
        {
            table[limb] = step[limb];
            table[5 + limb] = 5 * step[limb];
            for (int lane = 0; lane < lanes; lane++)
            {
                // Eight lanes hold blocks 0..7 in order: lane j gets r^(8-j). The AVX2 message split leaves
                // blocks in lane order 0, 2, 1, 3, so those lanes get r^4, r^2, r^3, r^1.
                int exponent = lanes == 8 ? 8 - lane : lane switch { 0 => 4, 1 => 2, 2 => 3, _ => 1 };
                ulong value = power[(exponent - 1) * 5 + limb];
                table[10 + limb * lanes + lane] = value;
                table[10 + 5 * lanes + limb * lanes + lane] = 5 * value;
            }
        }
        new Span<ulong>(power, 5 * 8).Clear();
    }

    /// <summary>Absorbs full blocks, eight lanes at a time when there are at least 16, the rest serially.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void BlocksWide(byte* data, int blocks, ulong* table, int lanes)
    {
        int wide = blocks >= 16 ? blocks & ~(lanes - 1) : 0;
        if (wide > 0)
        {
            if (lanes == 8)
                WideCore(data, wide, table);
            else
                WideCore256(data, wide, table);
            data += 16 * wide;
            blocks -= wide;
        }
        if (blocks > 0)
            Blocks(data, blocks);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<ulong> Mul(Vector512<ulong> x, Vector512<ulong> y) => Avx512F.Multiply(x.AsUInt32(), y.AsUInt32());

    private void WideCore(byte* data, int blocks, ulong* table)
    {
        var mask = Vector512.Create(Mask26);
        var even = Vector512.Create(0UL, 2, 4, 6, 8, 10, 12, 14);
        var odd = Vector512.Create(1UL, 3, 5, 7, 9, 11, 13, 15);
        var top = Vector512.Create(1UL << 24); // the 2^128 bit of each block (§2.5.1), in limb 4

        // Current accumulator enters lane 0 together with the first block.
        ulong* h = stackalloc ulong[5];
        ToLimbs(_h0, _h1, _h2, h);
        LoadMessage(data, mask, even, odd, top, out var a0, out var a1, out var a2, out var a3, out var a4);
        a0 += Vector512.CreateScalar(h[0]);
        a1 += Vector512.CreateScalar(h[1]);
        a2 += Vector512.CreateScalar(h[2]);
        a3 += Vector512.CreateScalar(h[3]);
        a4 += Vector512.CreateScalar(h[4]);

        var r0 = Vector512.Create(table[0]); var r1 = Vector512.Create(table[1]); var r2 = Vector512.Create(table[2]);
        var r3 = Vector512.Create(table[3]); var r4 = Vector512.Create(table[4]);
        var s1 = Vector512.Create(table[6]); var s2 = Vector512.Create(table[7]);
        var s3 = Vector512.Create(table[8]); var s4 = Vector512.Create(table[9]);
        for (int i = 8; i < blocks; i += 8)
        {
            MultiplyReduce(ref a0, ref a1, ref a2, ref a3, ref a4, r0, r1, r2, r3, r4, s1, s2, s3, s4, mask);
            LoadMessage(data + 16 * i, mask, even, odd, top, out var m0, out var m1, out var m2, out var m3, out var m4);
            a0 += m0; a1 += m1; a2 += m2; a3 += m3; a4 += m4;
        }
        // Lane j times r^(8-j), then the sum of the lanes.
        MultiplyReduce(ref a0, ref a1, ref a2, ref a3, ref a4,
            Vector512.Load(table + 10), Vector512.Load(table + 18), Vector512.Load(table + 26), Vector512.Load(table + 34), Vector512.Load(table + 42),
            Vector512.Load(table + 58), Vector512.Load(table + 66), Vector512.Load(table + 74), Vector512.Load(table + 82), mask);
        SetFromLimbSums(Vector512.Sum(a0), Vector512.Sum(a1), Vector512.Sum(a2), Vector512.Sum(a3), Vector512.Sum(a4));
    }

    /// <summary>Carries the lane sums into 26-bit limbs (folding 2^130 ≡ 5) and stores them as the 64-bit-limb accumulator.</summary>
    private void SetFromLimbSums(ulong t0, ulong t1, ulong t2, ulong t3, ulong t4)
    {
        ulong c;
        c = t0 >> 26; t0 &= Mask26; t1 += c;
        c = t1 >> 26; t1 &= Mask26; t2 += c;
        c = t2 >> 26; t2 &= Mask26; t3 += c;
        c = t3 >> 26; t3 &= Mask26; t4 += c;
        c = t4 >> 26; t4 &= Mask26; t0 += c * 5;
        c = t0 >> 26; t0 &= Mask26; t1 += c;
        c = t1 >> 26; t1 &= Mask26; t2 += c;
        c = t2 >> 26; t2 &= Mask26; t3 += c;
        c = t3 >> 26; t3 &= Mask26; t4 += c;
        _h0 = t0 | (t1 << 26) | (t2 << 52);
        _h1 = (t2 >> 12) | (t3 << 14) | (t4 << 40);
        _h2 = t4 >> 24;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Mul(Vector256<ulong> x, Vector256<ulong> y) => Avx2.Multiply(x.AsUInt32(), y.AsUInt32());

    private void WideCore256(byte* data, int blocks, ulong* table)
    {
        var mask = Vector256.Create(Mask26);
        var top = Vector256.Create(1UL << 24);
        ulong* h = stackalloc ulong[5];
        ToLimbs(_h0, _h1, _h2, h);
        LoadMessage(data, mask, top, out var a0, out var a1, out var a2, out var a3, out var a4);
        a0 += Vector256.CreateScalar(h[0]);
        a1 += Vector256.CreateScalar(h[1]);
        a2 += Vector256.CreateScalar(h[2]);
        a3 += Vector256.CreateScalar(h[3]);
        a4 += Vector256.CreateScalar(h[4]);
        var r0 = Vector256.Create(table[0]); var r1 = Vector256.Create(table[1]); var r2 = Vector256.Create(table[2]);
        var r3 = Vector256.Create(table[3]); var r4 = Vector256.Create(table[4]);
        var s1 = Vector256.Create(table[6]); var s2 = Vector256.Create(table[7]);
        var s3 = Vector256.Create(table[8]); var s4 = Vector256.Create(table[9]);
        for (int i = 4; i < blocks; i += 4)
        {
            MultiplyReduce(ref a0, ref a1, ref a2, ref a3, ref a4, r0, r1, r2, r3, r4, s1, s2, s3, s4, mask);
            LoadMessage(data + 16 * i, mask, top, out var m0, out var m1, out var m2, out var m3, out var m4);
            a0 += m0; a1 += m1; a2 += m2; a3 += m3; a4 += m4;
        }
        MultiplyReduce(ref a0, ref a1, ref a2, ref a3, ref a4,
            Vector256.Load(table + 10), Vector256.Load(table + 14), Vector256.Load(table + 18), Vector256.Load(table + 22), Vector256.Load(table + 26),
            Vector256.Load(table + 34), Vector256.Load(table + 38), Vector256.Load(table + 42), Vector256.Load(table + 46), mask);
        SetFromLimbSums(Vector256.Sum(a0), Vector256.Sum(a1), Vector256.Sum(a2), Vector256.Sum(a3), Vector256.Sum(a4));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadMessage(byte* data, Vector256<ulong> mask, Vector256<ulong> top,
        out Vector256<ulong> m0, out Vector256<ulong> m1, out Vector256<ulong> m2, out Vector256<ulong> m3, out Vector256<ulong> m4)
    {
        var v0 = Vector256.Load((ulong*)data);        // b0.lo b0.hi b1.lo b1.hi
        var v1 = Vector256.Load((ulong*)(data + 32)); // b2.lo b2.hi b3.lo b3.hi
        var lo = Avx2.UnpackLow(v0, v1);  // b0.lo b2.lo b1.lo b3.lo
        var hi = Avx2.UnpackHigh(v0, v1); // b0.hi b2.hi b1.hi b3.hi
        m0 = lo & mask;
        m1 = (lo >> 26) & mask;
        m2 = ((lo >> 52) | (hi << 12)) & mask;
        m3 = (hi >> 14) & mask;
        m4 = (hi >> 40) | top;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyReduce(ref Vector256<ulong> a0, ref Vector256<ulong> a1, ref Vector256<ulong> a2, ref Vector256<ulong> a3, ref Vector256<ulong> a4,
        Vector256<ulong> r0, Vector256<ulong> r1, Vector256<ulong> r2, Vector256<ulong> r3, Vector256<ulong> r4,
        Vector256<ulong> s1, Vector256<ulong> s2, Vector256<ulong> s3, Vector256<ulong> s4, Vector256<ulong> mask)
    {
        var d0 = Mul(a0, r0) + Mul(a1, s4) + Mul(a2, s3) + Mul(a3, s2) + Mul(a4, s1);
        var d1 = Mul(a0, r1) + Mul(a1, r0) + Mul(a2, s4) + Mul(a3, s3) + Mul(a4, s2);
        var d2 = Mul(a0, r2) + Mul(a1, r1) + Mul(a2, r0) + Mul(a3, s4) + Mul(a4, s3);
        var d3 = Mul(a0, r3) + Mul(a1, r2) + Mul(a2, r1) + Mul(a3, r0) + Mul(a4, s4);
        var d4 = Mul(a0, r4) + Mul(a1, r3) + Mul(a2, r2) + Mul(a3, r1) + Mul(a4, r0);
        var c = d0 >> 26; d0 &= mask; d1 += c;
        c = d3 >> 26; d3 &= mask; d4 += c;
        c = d1 >> 26; d1 &= mask; d2 += c;
        c = d4 >> 26; d4 &= mask; d0 += c + (c << 2);
        c = d2 >> 26; d2 &= mask; d3 += c;
        c = d0 >> 26; d0 &= mask; d1 += c;
        c = d3 >> 26; d3 &= mask; d4 += c;
        a0 = d0; a1 = d1; a2 = d2; a3 = d3; a4 = d4;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void LoadMessage(byte* data, Vector512<ulong> mask, Vector512<ulong> even, Vector512<ulong> odd, Vector512<ulong> top,
        out Vector512<ulong> m0, out Vector512<ulong> m1, out Vector512<ulong> m2, out Vector512<ulong> m3, out Vector512<ulong> m4)
    {
        var v0 = Vector512.Load((ulong*)data);
        var v1 = Vector512.Load((ulong*)(data + 64));
        var lo = Avx512F.PermuteVar8x64x2(v0, even, v1); // low 64 bits of blocks 0..7
        var hi = Avx512F.PermuteVar8x64x2(v0, odd, v1);  // high 64 bits
        m0 = lo & mask;
        m1 = (lo >> 26) & mask;
        m2 = ((lo >> 52) | (hi << 12)) & mask;
        m3 = (hi >> 14) & mask;
        m4 = (hi >> 40) | top;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void MultiplyReduce(ref Vector512<ulong> a0, ref Vector512<ulong> a1, ref Vector512<ulong> a2, ref Vector512<ulong> a3, ref Vector512<ulong> a4,
        Vector512<ulong> r0, Vector512<ulong> r1, Vector512<ulong> r2, Vector512<ulong> r3, Vector512<ulong> r4,
        Vector512<ulong> s1, Vector512<ulong> s2, Vector512<ulong> s3, Vector512<ulong> s4, Vector512<ulong> mask)
    {
        var d0 = Mul(a0, r0) + Mul(a1, s4) + Mul(a2, s3) + Mul(a3, s2) + Mul(a4, s1);
        var d1 = Mul(a0, r1) + Mul(a1, r0) + Mul(a2, s4) + Mul(a3, s3) + Mul(a4, s2);
        var d2 = Mul(a0, r2) + Mul(a1, r1) + Mul(a2, r0) + Mul(a3, s4) + Mul(a4, s3);
        var d3 = Mul(a0, r3) + Mul(a1, r2) + Mul(a2, r1) + Mul(a3, r0) + Mul(a4, s4);
        var d4 = Mul(a0, r4) + Mul(a1, r3) + Mul(a2, r2) + Mul(a3, r1) + Mul(a4, r0);
        // Lazy carry propagation: limbs end below 2^26 except limb 1, which may reach 2^26 + small.
        var c = d0 >> 26; d0 &= mask; d1 += c;
        c = d3 >> 26; d3 &= mask; d4 += c;
        c = d1 >> 26; d1 &= mask; d2 += c;
        c = d4 >> 26; d4 &= mask; d0 += c + (c << 2);
        c = d2 >> 26; d2 &= mask; d3 += c;
        c = d0 >> 26; d0 &= mask; d1 += c;
        c = d3 >> 26; d3 &= mask; d4 += c;
        a0 = d0; a1 = d1; a2 = d2; a3 = d3; a4 = d4;
    }

    /// <summary>Splits a value below 2^131 given as 64-bit limbs into five 26-bit limbs (the last one may be wider).</summary>
    private static void ToLimbs(ulong v0, ulong v1, ulong v2, ulong* limbs)
    {
        limbs[0] = v0 & Mask26;
        limbs[1] = (v0 >> 26) & Mask26;
        limbs[2] = ((v0 >> 52) | (v1 << 12)) & Mask26;
        limbs[3] = (v1 >> 14) & Mask26;
        limbs[4] = (v1 >> 40) | (v2 << 24);
    }

    /// <summary>Scalar 26-bit-limb product modulo 2^130 − 5 (for the power table).</summary>
    private static void MultiplyLimbs(ulong* a, ulong* b, ulong* result)
    {
        ulong s1 = 5 * b[1], s2 = 5 * b[2], s3 = 5 * b[3], s4 = 5 * b[4];
        ulong d0 = a[0] * b[0] + a[1] * s4 + a[2] * s3 + a[3] * s2 + a[4] * s1;
        ulong d1 = a[0] * b[1] + a[1] * b[0] + a[2] * s4 + a[3] * s3 + a[4] * s2;
        ulong d2 = a[0] * b[2] + a[1] * b[1] + a[2] * b[0] + a[3] * s4 + a[4] * s3;
        ulong d3 = a[0] * b[3] + a[1] * b[2] + a[2] * b[1] + a[3] * b[0] + a[4] * s4;
        ulong d4 = a[0] * b[4] + a[1] * b[3] + a[2] * b[2] + a[3] * b[1] + a[4] * b[0];
        ulong c;
        c = d0 >> 26; d0 &= Mask26; d1 += c;
        c = d1 >> 26; d1 &= Mask26; d2 += c;
        c = d2 >> 26; d2 &= Mask26; d3 += c;
        c = d3 >> 26; d3 &= Mask26; d4 += c;
        c = d4 >> 26; d4 &= Mask26; d0 += c * 5;
        c = d0 >> 26; d0 &= Mask26; d1 += c;
        result[0] = d0; result[1] = d1; result[2] = d2; result[3] = d3; result[4] = d4;
    }
}
