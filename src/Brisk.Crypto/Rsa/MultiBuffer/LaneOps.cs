using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Brisk.Crypto.Rsa.MultiBuffer;

/// <summary>
/// The few SIMD operations the multi-buffer Montgomery kernel needs, over one vector holding one 64-bit
/// limb accumulator per lane. Implemented by zero-size structs so the JIT specialises the generic kernel
/// per vector width and inlines every call.
/// </summary>
internal interface ILaneOps<TVec> where TVec : unmanaged
{
    static abstract int Lanes { get; }

    static abstract bool IsSupported { get; }

    /// <summary>(a mod 2³²)·(b mod 2³²) per 64-bit lane (vpmuludq).</summary>
    static abstract TVec Mul(TVec a, TVec b);

    static abstract TVec Add(TVec a, TVec b);

    static abstract TVec Sub(TVec a, TVec b);

    static abstract TVec And(TVec a, TVec b);

    static abstract TVec Or(TVec a, TVec b);

    /// <summary>accumulator | (value &amp; mask): one vpternlogq with AVX-512.</summary>
    static abstract TVec OrAnd(TVec accumulator, TVec value, TVec mask);

    static abstract TVec ShiftRight(TVec a, [ConstantExpected] byte count);

    static abstract TVec ShiftLeft(TVec a, [ConstantExpected] byte count);

    /// <summary>All ones in lanes whose bit 63 is set (turns a borrow into a lane mask), zero elsewhere.</summary>
    static abstract TVec SignMask(TVec a);

    static abstract TVec Broadcast(ulong value);

    /// <summary>All ones in lanes where a == b, zero elsewhere.</summary>
    static abstract TVec Equal(TVec a, TVec b);

    static abstract TVec Load(ReadOnlySpan<ulong> lanes);

    static abstract void Store(TVec value, Span<ulong> lanes);
}

internal readonly struct Avx512Lanes : ILaneOps<Vector512<ulong>>
{
    public static int Lanes => 8;

    public static bool IsSupported => Avx512F.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Mul(Vector512<ulong> a, Vector512<ulong> b) => Avx512F.Multiply(a.AsUInt32(), b.AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Add(Vector512<ulong> a, Vector512<ulong> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Sub(Vector512<ulong> a, Vector512<ulong> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> And(Vector512<ulong> a, Vector512<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Or(Vector512<ulong> a, Vector512<ulong> b) => a | b;

    // Truth table of A | (B & C) over A = 0xF0, B = 0xCC, C = 0xAA.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> OrAnd(Vector512<ulong> accumulator, Vector512<ulong> value, Vector512<ulong> mask)
        => Avx512F.TernaryLogic(accumulator, value, mask, 0xF8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> ShiftRight(Vector512<ulong> a, [ConstantExpected] byte count) => Avx512F.ShiftRightLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> ShiftLeft(Vector512<ulong> a, [ConstantExpected] byte count) => Avx512F.ShiftLeftLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> SignMask(Vector512<ulong> a) => Avx512F.ShiftRightArithmetic(a.AsInt64(), 63).AsUInt64();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Broadcast(ulong value) => Vector512.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Equal(Vector512<ulong> a, Vector512<ulong> b) => Vector512.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<ulong> Load(ReadOnlySpan<ulong> lanes) => Vector512.Create(lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<ulong> value, Span<ulong> lanes) => value.CopyTo(lanes);
}

internal readonly struct Avx2Lanes : ILaneOps<Vector256<ulong>>
{
    public static int Lanes => 4;

    public static bool IsSupported => Avx2.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Mul(Vector256<ulong> a, Vector256<ulong> b) => Avx2.Multiply(a.AsUInt32(), b.AsUInt32());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Add(Vector256<ulong> a, Vector256<ulong> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Sub(Vector256<ulong> a, Vector256<ulong> b) => a - b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> And(Vector256<ulong> a, Vector256<ulong> b) => a & b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Or(Vector256<ulong> a, Vector256<ulong> b) => a | b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> OrAnd(Vector256<ulong> accumulator, Vector256<ulong> value, Vector256<ulong> mask)
        => accumulator | (value & mask);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> ShiftRight(Vector256<ulong> a, [ConstantExpected] byte count) => Avx2.ShiftRightLogical(a, count);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> ShiftLeft(Vector256<ulong> a, [ConstantExpected] byte count) => Avx2.ShiftLeftLogical(a, count);

    // AVX2 has no 64-bit arithmetic shift: shift the 32-bit halves and copy each high half's result over
    // its lane.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> SignMask(Vector256<ulong> a)
    {
        Vector256<int> high = Avx2.ShiftRightArithmetic(a.AsInt32(), 31);
        return Avx2.Shuffle(high, 0b11_11_01_01).AsUInt64();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Broadcast(ulong value) => Vector256.Create(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Equal(Vector256<ulong> a, Vector256<ulong> b) => Vector256.Equals(a, b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<ulong> Load(ReadOnlySpan<ulong> lanes) => Vector256.Create(lanes);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<ulong> value, Span<ulong> lanes) => value.CopyTo(lanes);
}
