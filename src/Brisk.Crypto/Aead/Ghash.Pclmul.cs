using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Brisk.Crypto.Aead;

/// <summary>
/// GHASH (SP 800-38D §6.4) with carry-less multiplication.
/// Representation: each 16-byte block is byte-reversed into a 128-bit integer (so the GCM bit order,
/// which puts x^0 in the top bit of byte 0, becomes a bit-reflected polynomial). The hash key is stored
/// "twisted" as H·x (H shifted left by one, reduced by 0xC2000...01), which absorbs the one-bit offset
/// of reflected products, so a 256-bit product reduces with two folding multiplications by 0xC2 << 56
/// (the reflected x^128 + x^7 + x^2 + x + 1). Powers H^k are kept so that n blocks fold with a single
/// reduction: Y' = (Y ^ X1)·H^n ^ X2·H^(n-1) ^ … ^ Xn·H (aggregated reduction).
/// </summary>
[SkipLocalsInit] // every stackalloc buffer here is written before it is read
internal static unsafe class GhashPclmul
{
    private static Vector128<byte> ByteReverse
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
    }

    private static Vector128<ulong> Poly
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector128.Create(1UL, 0xC200000000000000UL);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> LoadReversed(byte* p) => Ssse3.Shuffle(Sse2.LoadVector128(p), ByteReverse).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<byte> Reversed(Vector128<ulong> value) => Ssse3.Shuffle(value.AsByte(), ByteReverse);


    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void MultiplyAccumulate(Vector128<ulong> x, Vector128<ulong> h, ref Vector128<ulong> lo, ref Vector128<ulong> hi, ref Vector128<ulong> mid)
    {
        lo ^= Pclmulqdq.CarrylessMultiply(x, h, 0x00);
        hi ^= Pclmulqdq.CarrylessMultiply(x, h, 0x11);
        mid ^= Pclmulqdq.CarrylessMultiply(x, h, 0x01) ^ Pclmulqdq.CarrylessMultiply(x, h, 0x10);
    }

    /// <summary>Reduces the 256-bit product (lo ^ mid·2^64 ^ hi·2^128) modulo the GCM polynomial.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Reduce(Vector128<ulong> lo, Vector128<ulong> hi, Vector128<ulong> mid)
    {
        lo ^= Sse2.ShiftLeftLogical128BitLane(mid, 8);
        hi ^= Sse2.ShiftRightLogical128BitLane(mid, 8);
        // Two folds of the low 64 bits by the reflected polynomial (Montgomery-style reduction).
        var t = Pclmulqdq.CarrylessMultiply(lo, Poly, 0x10);
        lo = Sse2.Shuffle(lo.AsUInt32(), 0x4E).AsUInt64() ^ t;
        t = Pclmulqdq.CarrylessMultiply(lo, Poly, 0x10);
        lo = Sse2.Shuffle(lo.AsUInt32(), 0x4E).AsUInt64() ^ t;
        return lo ^ hi;
    }

    public static Vector128<ulong> Multiply(Vector128<ulong> a, Vector128<ulong> b)
    {
        Vector128<ulong> lo = default, hi = default, mid = default;
        MultiplyAccumulate(a, b, ref lo, ref hi, ref mid);
        return Reduce(lo, hi, mid);
    }

    /// <summary>
    /// Stores H^1..H^count (twisted) at <paramref name="powers"/> and the same in reverse order
    /// (H^count first) at <paramref name="reversedPowers"/>, for wide loads that pair block i with H^(n-i).
    /// </summary>
    public static void ComputePowers(byte* hashKey, byte* powers, byte* reversedPowers, int count)
    {
        var h = LoadReversed(hashKey);
        UInt128 value = new(h.GetElement(1), h.GetElement(0));
        UInt128 twisted = (value << 1) ^ ((value >> 127) * new UInt128(0xC200000000000000UL, 1UL));
        var power1 = Vector128.Create((ulong)twisted, (ulong)(twisted >> 64));
        var power = power1;
        for (int k = 0; k < count; k++)
        {
            Sse2.Store((ulong*)(powers + 16 * k), power);
            Sse2.Store((ulong*)(reversedPowers + 16 * (count - 1 - k)), power);
            power = Multiply(power, power1);
        }
    }

    /// <summary>Absorbs <paramref name="blocks"/> full blocks with one reduction per 16 blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static Vector128<ulong> HashBlocks(Vector128<ulong> y, byte* data, int blocks, byte* powers)
    {
        while (blocks > 0)
        {
            int n = Math.Min(blocks, ManagedAesGcm.PowerCount);
            Vector128<ulong> lo = default, hi = default, mid = default;
            for (int i = 0; i < n; i++)
            {
                var x = LoadReversed(data + 16 * i);
                if (i == 0)
                    x ^= y;
                MultiplyAccumulate(x, Sse2.LoadVector128((ulong*)(powers + 16 * (n - 1 - i))), ref lo, ref hi, ref mid);
            }
            y = Reduce(lo, hi, mid);
            data += 16 * n;
            blocks -= n;
        }
        return y;
    }

    /// <summary>Absorbs <paramref name="length"/> bytes, the last block zero-padded.</summary>
    public static Vector128<ulong> HashPadded(Vector128<ulong> y, byte* data, int length, byte* powers)
    {
        int full = length >> 4;
        if (full > 0)
            y = HashBlocks(y, data, full, powers);
        int rest = length & 15;
        if (rest != 0)
        {
            byte* last = stackalloc byte[16];
            Sse2.Store(last, Vector128<byte>.Zero);
            Buffer.MemoryCopy(data + 16 * full, last, 16, rest);
            y = HashBlocks(y, last, 1, powers);
        }
        return y;
    }
}

/// <summary>GHASH of one group of eight blocks with a single reduction; implementations differ in clmul width.</summary>
internal unsafe interface IGhashGroup8
{
    /// <param name="reversedPowers8">H^8, H^7, …, H^1 (16 bytes each).</param>
    static abstract Vector128<ulong> Hash8(Vector128<ulong> y, byte* data, byte* reversedPowers8);

    /// <summary>The same over blocks already in registers (ciphertext just produced: no store-to-load round trip).</summary>
    static abstract Vector128<ulong> Hash8(Vector128<ulong> y, Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, Vector128<byte> c3,
        Vector128<byte> c4, Vector128<byte> c5, Vector128<byte> c6, Vector128<byte> c7, byte* reversedPowers8);
}

internal unsafe struct GhashGroup128 : IGhashGroup8
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Hash8(Vector128<ulong> y, byte* data, byte* reversedPowers8)
    {
        Vector128<ulong> lo = default, hi = default, mid = default;
        GhashPclmul.MultiplyAccumulate(GhashPclmul.LoadReversed(data) ^ y, Sse2.LoadVector128((ulong*)reversedPowers8), ref lo, ref hi, ref mid);
        for (int i = 1; i < 8; i++)
            GhashPclmul.MultiplyAccumulate(GhashPclmul.LoadReversed(data + 16 * i), Sse2.LoadVector128((ulong*)(reversedPowers8 + 16 * i)), ref lo, ref hi, ref mid);
        return GhashPclmul.Reduce(lo, hi, mid);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Hash8(Vector128<ulong> y, Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, Vector128<byte> c3,
        Vector128<byte> c4, Vector128<byte> c5, Vector128<byte> c6, Vector128<byte> c7, byte* reversedPowers8)
    {
        var reverse = Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
        Vector128<ulong> lo = default, hi = default, mid = default;
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c0, reverse).AsUInt64() ^ y, Sse2.LoadVector128((ulong*)reversedPowers8), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c1, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 16)), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c2, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 32)), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c3, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 48)), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c4, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 64)), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c5, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 80)), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c6, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 96)), ref lo, ref hi, ref mid);
        GhashPclmul.MultiplyAccumulate(Ssse3.Shuffle(c7, reverse).AsUInt64(), Sse2.LoadVector128((ulong*)(reversedPowers8 + 112)), ref lo, ref hi, ref mid);
        return GhashPclmul.Reduce(lo, hi, mid);
    }
}

/// <summary>Two blocks per VPCLMULQDQ ymm multiply.</summary>
internal unsafe struct GhashGroup256 : IGhashGroup8
{
    private static Vector256<byte> ByteReverse
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector256.Create(Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Hash8(Vector128<ulong> y, byte* data, byte* reversedPowers8)
        => Core(y, Avx.LoadVector256(data), Avx.LoadVector256(data + 32), Avx.LoadVector256(data + 64), Avx.LoadVector256(data + 96), reversedPowers8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Hash8(Vector128<ulong> y, Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, Vector128<byte> c3,
        Vector128<byte> c4, Vector128<byte> c5, Vector128<byte> c6, Vector128<byte> c7, byte* reversedPowers8)
        => Core(y, Vector256.Create(c0, c1), Vector256.Create(c2, c3), Vector256.Create(c4, c5), Vector256.Create(c6, c7), reversedPowers8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Core(Vector128<ulong> y, Vector256<byte> d0, Vector256<byte> d1, Vector256<byte> d2, Vector256<byte> d3, byte* reversedPowers8)
    {
        var mask = ByteReverse;
        Vector256<ulong> lo = default, hi = default, mid = default;
        Step(Avx2.Shuffle(d0, mask).AsUInt64() ^ y.ToVector256(), Avx.LoadVector256((ulong*)reversedPowers8), ref lo, ref hi, ref mid);
        Step(Avx2.Shuffle(d1, mask).AsUInt64(), Avx.LoadVector256((ulong*)(reversedPowers8 + 32)), ref lo, ref hi, ref mid);
        Step(Avx2.Shuffle(d2, mask).AsUInt64(), Avx.LoadVector256((ulong*)(reversedPowers8 + 64)), ref lo, ref hi, ref mid);
        Step(Avx2.Shuffle(d3, mask).AsUInt64(), Avx.LoadVector256((ulong*)(reversedPowers8 + 96)), ref lo, ref hi, ref mid);
        return GhashPclmul.Reduce(lo.GetLower() ^ lo.GetUpper(), hi.GetLower() ^ hi.GetUpper(), mid.GetLower() ^ mid.GetUpper());
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step(Vector256<ulong> x, Vector256<ulong> h, ref Vector256<ulong> lo, ref Vector256<ulong> hi, ref Vector256<ulong> mid)
    {
        lo ^= Pclmulqdq.V256.CarrylessMultiply(x, h, 0x00);
        hi ^= Pclmulqdq.V256.CarrylessMultiply(x, h, 0x11);
        mid ^= Pclmulqdq.V256.CarrylessMultiply(x, h, 0x01) ^ Pclmulqdq.V256.CarrylessMultiply(x, h, 0x10);
    }
}

/// <summary>Four blocks per VPCLMULQDQ zmm multiply.</summary>
internal unsafe struct GhashGroup512 : IGhashGroup8
{
    // Broadcast of a 128-bit constant: the JIT folds it (a 64-argument Create or a property building it from
    // halves compiled to a call, which forced every live vector to be spilled around it).
    private static Vector512<byte> ByteReverse
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => Vector512.Create(Vector128.Create((byte)15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Hash8(Vector128<ulong> y, byte* data, byte* reversedPowers8)
        => Core(y, Avx512F.LoadVector512(data), Avx512F.LoadVector512(data + 64), reversedPowers8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<ulong> Hash8(Vector128<ulong> y, Vector128<byte> c0, Vector128<byte> c1, Vector128<byte> c2, Vector128<byte> c3,
        Vector128<byte> c4, Vector128<byte> c5, Vector128<byte> c6, Vector128<byte> c7, byte* reversedPowers8)
        => Core(y, Vector512.Create(Vector256.Create(c0, c1), Vector256.Create(c2, c3)), Vector512.Create(Vector256.Create(c4, c5), Vector256.Create(c6, c7)), reversedPowers8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ulong> Core(Vector128<ulong> y, Vector512<byte> d0, Vector512<byte> d1, byte* reversedPowers8)
    {
        var mask = ByteReverse;
        var x0 = Avx512BW.Shuffle(d0, mask).AsUInt64() ^ y.ToVector256().ToVector512();
        var x1 = Avx512BW.Shuffle(d1, mask).AsUInt64();
        var h0 = Avx512F.LoadVector512((ulong*)reversedPowers8);
        var h1 = Avx512F.LoadVector512((ulong*)(reversedPowers8 + 64));
        var lo = Pclmulqdq.V512.CarrylessMultiply(x0, h0, 0x00) ^ Pclmulqdq.V512.CarrylessMultiply(x1, h1, 0x00);
        var hi = Pclmulqdq.V512.CarrylessMultiply(x0, h0, 0x11) ^ Pclmulqdq.V512.CarrylessMultiply(x1, h1, 0x11);
        var mid = Pclmulqdq.V512.CarrylessMultiply(x0, h0, 0x01) ^ Pclmulqdq.V512.CarrylessMultiply(x0, h0, 0x10)
            ^ Pclmulqdq.V512.CarrylessMultiply(x1, h1, 0x01) ^ Pclmulqdq.V512.CarrylessMultiply(x1, h1, 0x10);
        var lo256 = lo.GetLower() ^ lo.GetUpper();
        var hi256 = hi.GetLower() ^ hi.GetUpper();
        var mid256 = mid.GetLower() ^ mid.GetUpper();
        return GhashPclmul.Reduce(lo256.GetLower() ^ lo256.GetUpper(), hi256.GetLower() ^ hi256.GetUpper(), mid256.GetLower() ^ mid256.GetUpper());
    }
}
