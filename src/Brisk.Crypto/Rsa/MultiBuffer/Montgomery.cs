using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Brisk.Crypto.Rsa.MultiBuffer;

/// <summary>
/// Multi-buffer Montgomery arithmetic: every vector lane holds a different number (possibly modulo a
/// different modulus), limb j of all lanes sits in one vector. Radix 2²⁸ with 64-bit accumulators: a
/// 28×28-bit product is below 2⁵⁶, so a cell can absorb 2⁸ products before it overflows and carries are
/// propagated only once per operation ("lazy carries"); the 32×32→64 multiply (vpmuludq) is all that is
/// needed. Values are kept "almost reduced" (below 2m, R = 2^(28n) &gt; 4m), which keeps every operation
/// free of data-dependent branches; a final constant-time subtraction reduces fully where needed.
/// Every method is AggressiveOptimization: with tiered compilation (the benchmarks, any host that keeps it
/// on) the glue around the kernels otherwise runs as tier-0 or OSR code for many batches, which measured
/// 0.63–0.91× system against 1.40× with tiering off (quick rsa 0.3 multibuffer 2048).
/// </summary>
[SkipLocalsInit]
internal static class Montgomery<TVec, TOps>
    where TVec : unmanaged
    where TOps : struct, ILaneOps<TVec>
{
    public const int LimbBits = 28;
    public const ulong LimbMask = (1UL << LimbBits) - 1;

    /// <summary>
    /// Above this many limbs a cell could receive 2n &gt; 2⁸ products; the accumulators are normalised
    /// part way (only the 4096-bit full-modulus operations of blinding and verification get there).
    /// </summary>
    private const int LazyLimit = 120;

    /// <summary>result = a·b·R⁻¹ mod m (result &lt; 2m) for a, b &lt; 2m with normalised limbs. result may alias a or b.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> b, ReadOnlySpan<TVec> m, TVec k0, Span<TVec> result, int n)
    {
        // The kernels address the operands by reference without bounds checks.
        if (a.Length < n || b.Length < n || m.Length < n || result.Length < n)
            throw new ArgumentException("Operand shorter than the limb count.");
        if (typeof(TVec) == typeof(Vector512<ulong>) && MontgomeryFixed512.Supports(n))
        {
            Span<TVec> t = stackalloc TVec[n];
            MontgomeryFixed512.MontgomeryMultiply(n, ref As512(a), ref As512(b), ref As512(m), Unsafe.As<TVec, Vector512<ulong>>(ref k0), ref As512(t));
            Normalize(t, result);
        }
        else if (typeof(TVec) == typeof(Vector256<ulong>) && MontgomeryFixed256.Supports(n))
        {
            Span<TVec> t = stackalloc TVec[n];
            MontgomeryFixed256.MontgomeryMultiply(n, ref As256(a), ref As256(b), ref As256(m), Unsafe.As<TVec, Vector256<ulong>>(ref k0), ref As256(t));
            Normalize(t, result);
        }
        else
        {
            MultiplyGeneric(a, b, m, k0, result, n);
        }
    }

    /// <summary>result = a²·R⁻¹ mod m (result &lt; 2m); each cross product is computed once. result may alias a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Square(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> m, TVec k0, Span<TVec> result, int n)
    {
        if (a.Length < n || m.Length < n || result.Length < n)
            throw new ArgumentException("Operand shorter than the limb count.");
        if (typeof(TVec) == typeof(Vector512<ulong>) && MontgomeryFixed512.SupportsSquare(n))
        {
            Span<TVec> wide = stackalloc TVec[2 * n];
            MontgomeryFixed512.SquareProduct(n, ref As512(a), ref As512(wide));
            MontgomeryFixed512.Reduce(n, ref As512(wide), ref As512(m), Unsafe.As<TVec, Vector512<ulong>>(ref k0));
            Normalize(wide.Slice(n, n), result);
        }
        else if (typeof(TVec) == typeof(Vector256<ulong>) && MontgomeryFixed256.SupportsSquare(n))
        {
            Span<TVec> wide = stackalloc TVec[2 * n];
            MontgomeryFixed256.SquareProduct(n, ref As256(a), ref As256(wide));
            MontgomeryFixed256.Reduce(n, ref As256(wide), ref As256(m), Unsafe.As<TVec, Vector256<ulong>>(ref k0));
            Normalize(wide.Slice(n, n), result);
        }
        else if ((typeof(TVec) == typeof(Vector512<ulong>) && MontgomeryFixed512.Supports(n)) ||
                 (typeof(TVec) == typeof(Vector256<ulong>) && MontgomeryFixed256.Supports(n)))
        {
            Multiply(a, a, m, k0, result, n);
        }
        else
        {
            SquareGeneric(a, m, k0, result, n);
        }
    }

    private static ref Vector512<ulong> As512(ReadOnlySpan<TVec> span) => ref Unsafe.As<TVec, Vector512<ulong>>(ref MemoryMarshal.GetReference(span));

    private static ref Vector256<ulong> As256(ReadOnlySpan<TVec> span) => ref Unsafe.As<TVec, Vector256<ulong>>(ref MemoryMarshal.GetReference(span));

    /// <summary>The loop form of <see cref="Multiply"/> for any limb count (and the reference the unrolled kernels are tested against).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void MultiplyGeneric(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> b, ReadOnlySpan<TVec> m, TVec k0, Span<TVec> result, int n)
    {
        Span<TVec> t = stackalloc TVec[n];
        t.Clear();
        ref TVec tr = ref MemoryMarshal.GetReference(t);
        ref TVec br = ref MemoryMarshal.GetReference(b);
        ref TVec mr = ref MemoryMarshal.GetReference(m);
        ref TVec ar = ref MemoryMarshal.GetReference(a);
        TVec mask = TOps.Broadcast(LimbMask);
        for (int i = 0; i < n; i++)
        {
            TVec ai = Unsafe.Add(ref ar, i);
            TVec t0 = TOps.Add(tr, TOps.Mul(ai, br));
            TVec mi = TOps.And(TOps.Mul(t0, k0), mask);
            t0 = TOps.Add(t0, TOps.Mul(mi, mr));
            // t0 ≡ 0 mod 2²⁸ now: divide the whole accumulator by 2²⁸ by moving every cell down one place.
            TVec carry = TOps.ShiftRight(t0, LimbBits);
            tr = TOps.Add(TOps.Add(Unsafe.Add(ref tr, 1), carry), TOps.Add(TOps.Mul(ai, Unsafe.Add(ref br, 1)), TOps.Mul(mi, Unsafe.Add(ref mr, 1))));
            // Pointer-bumped 4× unrolled body: constant offsets instead of index arithmetic per access.
            ref TVec tj = ref Unsafe.Add(ref tr, 2);
            ref TVec bj = ref Unsafe.Add(ref br, 2);
            ref TVec mj = ref Unsafe.Add(ref mr, 2);
            int remaining = n - 2;
            for (; remaining >= 4; remaining -= 4)
            {
                TVec x0 = TOps.Add(tj, TOps.Add(TOps.Mul(ai, bj), TOps.Mul(mi, mj)));
                TVec x1 = TOps.Add(Unsafe.Add(ref tj, 1), TOps.Add(TOps.Mul(ai, Unsafe.Add(ref bj, 1)), TOps.Mul(mi, Unsafe.Add(ref mj, 1))));
                TVec x2 = TOps.Add(Unsafe.Add(ref tj, 2), TOps.Add(TOps.Mul(ai, Unsafe.Add(ref bj, 2)), TOps.Mul(mi, Unsafe.Add(ref mj, 2))));
                TVec x3 = TOps.Add(Unsafe.Add(ref tj, 3), TOps.Add(TOps.Mul(ai, Unsafe.Add(ref bj, 3)), TOps.Mul(mi, Unsafe.Add(ref mj, 3))));
                Unsafe.Add(ref tj, -1) = x0;
                tj = x1;
                Unsafe.Add(ref tj, 1) = x2;
                Unsafe.Add(ref tj, 2) = x3;
                tj = ref Unsafe.Add(ref tj, 4);
                bj = ref Unsafe.Add(ref bj, 4);
                mj = ref Unsafe.Add(ref mj, 4);
            }
            for (; remaining > 0; remaining--)
            {
                Unsafe.Add(ref tj, -1) = TOps.Add(tj, TOps.Add(TOps.Mul(ai, bj), TOps.Mul(mi, mj)));
                tj = ref Unsafe.Add(ref tj, 1);
                bj = ref Unsafe.Add(ref bj, 1);
                mj = ref Unsafe.Add(ref mj, 1);
            }
            Unsafe.Add(ref tr, n - 1) = default;
            if (n > LazyLimit && (i & 63) == 63)
                Normalize(t, t);
        }
        Normalize(t, result);
    }

    /// <summary>The loop form of <see cref="Square"/> for any limb count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void SquareGeneric(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> m, TVec k0, Span<TVec> result, int n)
    {
        Span<TVec> wide = stackalloc TVec[2 * n];
        wide.Clear();
        ref TVec wr = ref MemoryMarshal.GetReference(wide);
        ref TVec ar = ref MemoryMarshal.GetReference(a);
        for (int i = 0; i < n; i++)
        {
            TVec ai = Unsafe.Add(ref ar, i);
            Unsafe.Add(ref wr, 2 * i) = TOps.Add(Unsafe.Add(ref wr, 2 * i), TOps.Mul(ai, ai));
            TVec twice = TOps.Add(ai, ai); // < 2²⁹: still a 32-bit operand
            ref TVec row = ref Unsafe.Add(ref wr, i);
            ref TVec cell = ref Unsafe.Add(ref row, i + 1);
            ref TVec aj = ref Unsafe.Add(ref ar, i + 1);
            int remaining = n - i - 1;
            for (; remaining >= 4; remaining -= 4)
            {
                TVec x0 = TOps.Add(cell, TOps.Mul(twice, aj));
                TVec x1 = TOps.Add(Unsafe.Add(ref cell, 1), TOps.Mul(twice, Unsafe.Add(ref aj, 1)));
                TVec x2 = TOps.Add(Unsafe.Add(ref cell, 2), TOps.Mul(twice, Unsafe.Add(ref aj, 2)));
                TVec x3 = TOps.Add(Unsafe.Add(ref cell, 3), TOps.Mul(twice, Unsafe.Add(ref aj, 3)));
                cell = x0;
                Unsafe.Add(ref cell, 1) = x1;
                Unsafe.Add(ref cell, 2) = x2;
                Unsafe.Add(ref cell, 3) = x3;
                cell = ref Unsafe.Add(ref cell, 4);
                aj = ref Unsafe.Add(ref aj, 4);
            }
            for (; remaining > 0; remaining--)
            {
                cell = TOps.Add(cell, TOps.Mul(twice, aj));
                cell = ref Unsafe.Add(ref cell, 1);
                aj = ref Unsafe.Add(ref aj, 1);
            }
        }
        if (n > LazyLimit)
            Normalize(wide, wide);
        Reduce(wide, m, k0, result, n);
    }

    /// <summary>
    /// Montgomery reduction of a 2n-limb value T &lt; m·R: result = T·R⁻¹ mod m, below 2m. Destroys
    /// <paramref name="wide"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Reduce(Span<TVec> wide, ReadOnlySpan<TVec> m, TVec k0, Span<TVec> result, int n)
    {
        ref TVec wr = ref MemoryMarshal.GetReference(wide);
        ref TVec mr = ref MemoryMarshal.GetReference(m);
        TVec mask = TOps.Broadcast(LimbMask);
        for (int i = 0; i < n; i++)
        {
            ref TVec row = ref Unsafe.Add(ref wr, i);
            TVec mi = TOps.And(TOps.Mul(row, k0), mask);
            TVec low = TOps.Add(row, TOps.Mul(mi, mr));
            Unsafe.Add(ref row, 1) = TOps.Add(Unsafe.Add(ref row, 1), TOps.Add(TOps.ShiftRight(low, LimbBits), TOps.Mul(mi, Unsafe.Add(ref mr, 1))));
            ref TVec cell = ref Unsafe.Add(ref row, 2);
            ref TVec mj = ref Unsafe.Add(ref mr, 2);
            int remaining = n - 2;
            for (; remaining >= 4; remaining -= 4)
            {
                TVec x0 = TOps.Add(cell, TOps.Mul(mi, mj));
                TVec x1 = TOps.Add(Unsafe.Add(ref cell, 1), TOps.Mul(mi, Unsafe.Add(ref mj, 1)));
                TVec x2 = TOps.Add(Unsafe.Add(ref cell, 2), TOps.Mul(mi, Unsafe.Add(ref mj, 2)));
                TVec x3 = TOps.Add(Unsafe.Add(ref cell, 3), TOps.Mul(mi, Unsafe.Add(ref mj, 3)));
                cell = x0;
                Unsafe.Add(ref cell, 1) = x1;
                Unsafe.Add(ref cell, 2) = x2;
                Unsafe.Add(ref cell, 3) = x3;
                cell = ref Unsafe.Add(ref cell, 4);
                mj = ref Unsafe.Add(ref mj, 4);
            }
            for (; remaining > 0; remaining--)
            {
                cell = TOps.Add(cell, TOps.Mul(mi, mj));
                cell = ref Unsafe.Add(ref cell, 1);
                mj = ref Unsafe.Add(ref mj, 1);
            }
            if (n > LazyLimit && (i & 63) == 63)
                Normalize(wide[(i + 1)..], wide[(i + 1)..]);
        }
        Normalize(wide.Slice(n, n), result);
    }

    /// <summary>Propagates carries so every limb is below 2²⁸; the value must fit in the destination's limbs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize(ReadOnlySpan<TVec> source, Span<TVec> destination)
    {
        int count = destination.Length;
        if (source.Length < count)
            throw new ArgumentException("Source shorter than destination.");
        ref TVec s = ref MemoryMarshal.GetReference(source);
        ref TVec d = ref MemoryMarshal.GetReference(destination);
        TVec mask = TOps.Broadcast(LimbMask);
        TVec carry = default;
        for (int j = 0; j < count; j++)
        {
            TVec v = TOps.Add(Unsafe.Add(ref s, j), carry);
            Unsafe.Add(ref d, j) = TOps.And(v, mask);
            carry = TOps.ShiftRight(v, LimbBits);
        }
    }

    /// <summary>Limbs needed by <see cref="Pack"/> for n limbs.</summary>
    public static int PackedLength(int n) => (n + 1) / 2;

    /// <summary>
    /// Two normalised limbs per 64-bit cell (limb 2j low, 2j+1 high): the exponentiation table then takes half
    /// the bytes, and the constant-time scan, which reads the whole table for every window, half the time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Pack(ReadOnlySpan<TVec> source, Span<TVec> destination, int n)
    {
        int packed = PackedLength(n);
        for (int j = 0; j < n / 2; j++)
            destination[j] = TOps.Or(source[2 * j], TOps.ShiftLeft(source[2 * j + 1], 32));
        if ((n & 1) != 0)
            destination[packed - 1] = source[n - 1];
    }

    /// <summary>Inverse of <see cref="Pack"/>; works in place (values[..PackedLength(n)] to values[..n]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Unpack(Span<TVec> values, int n)
    {
        TVec low = TOps.Broadcast(uint.MaxValue);
        for (int j = PackedLength(n) - 1; j >= 0; j--)
        {
            TVec v = values[j];
            if (2 * j + 1 < n)
                values[2 * j + 1] = TOps.ShiftRight(v, 32);
            values[2 * j] = TOps.And(v, low);
        }
    }

    /// <summary>Plain product a·b (both n normalised limbs) into 2n normalised limbs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyPlain(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> b, Span<TVec> product, int n)
    {
        Span<TVec> wide = product[..(2 * n)];
        wide.Clear();
        for (int i = 0; i < n; i++)
        {
            TVec ai = a[i];
            for (int j = 0; j < n; j++)
                wide[i + j] = TOps.Add(wide[i + j], TOps.Mul(ai, b[j]));
        }
        Normalize(wide, wide);
    }

    /// <summary>x ← x − m where x ≥ m, per lane, in constant time (x, m normalised, x &lt; 2^(28n)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void SubtractIfNotBelow(Span<TVec> x, ReadOnlySpan<TVec> m, int n)
    {
        Span<TVec> difference = stackalloc TVec[n];
        TVec borrow = Subtract(x, m, difference, n);
        TVec keep = TOps.Sub(default, borrow); // all ones where x < m
        TVec replace = TOps.Sub(borrow, TOps.Broadcast(1)); // all ones where x ≥ m
        for (int j = 0; j < n; j++)
            x[j] = TOps.Or(TOps.And(x[j], keep), TOps.And(difference[j], replace));
    }

    /// <summary>difference = a − b mod 2^(28n); returns the final borrow (0 or 1) per lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TVec Subtract(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> b, Span<TVec> difference, int n)
    {
        TVec mask = TOps.Broadcast(LimbMask);
        TVec borrow = default;
        for (int j = 0; j < n; j++)
        {
            TVec v = TOps.Sub(TOps.Sub(a[j], b[j]), borrow);
            difference[j] = TOps.And(v, mask);
            borrow = TOps.ShiftRight(v, 63);
        }
        return borrow;
    }

    /// <summary>x ← x + (m where the lane's mask is set), normalised; the caller guarantees no overflow past n limbs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void AddMasked(Span<TVec> x, ReadOnlySpan<TVec> m, TVec laneMask, int n)
    {
        TVec mask = TOps.Broadcast(LimbMask);
        TVec carry = default;
        for (int j = 0; j < n; j++)
        {
            TVec v = TOps.Add(TOps.Add(x[j], TOps.And(m[j], laneMask)), carry);
            x[j] = TOps.And(v, mask);
            carry = TOps.ShiftRight(v, LimbBits);
        }
    }

    /// <summary>All ones in lanes where a == b over n limbs (constant time).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static TVec EqualLanes(ReadOnlySpan<TVec> a, ReadOnlySpan<TVec> b, int n)
    {
        TVec difference = default;
        for (int j = 0; j < n; j++)
        {
            TVec x = TOps.Sub(a[j], b[j]);
            difference = TOps.Or(difference, x);
        }
        return TOps.Equal(difference, default);
    }

    /// <summary>
    /// result = table[digit] per lane, reading every entry (constant-time table lookup). table holds
    /// <paramref name="entries"/> values of n limbs each.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Select(ReadOnlySpan<TVec> table, int entries, TVec digits, Span<TVec> result, int n)
    {
        if (table.Length < entries * n || result.Length < n)
            throw new ArgumentException("Table or result too short.");
        Span<TVec> masks = stackalloc TVec[entries];
        for (int e = 0; e < entries; e++)
            masks[e] = TOps.Equal(digits, TOps.Broadcast((ulong)e));
        ref TVec mr = ref MemoryMarshal.GetReference(masks);
        ref TVec column = ref MemoryMarshal.GetReference(table);
        ref TVec output = ref MemoryMarshal.GetReference(result);
        // Eight limbs at a time in registers: per table entry one mask and eight loads, no index arithmetic.
        int j = 0;
        for (; j + 8 <= n; j += 8)
        {
            TVec x0 = default, x1 = default, x2 = default, x3 = default, x4 = default, x5 = default, x6 = default, x7 = default;
            ref TVec entry = ref column;
            for (int e = 0; e < entries; e++)
            {
                TVec mask = Unsafe.Add(ref mr, e);
                x0 = TOps.OrAnd(x0, entry, mask);
                x1 = TOps.OrAnd(x1, Unsafe.Add(ref entry, 1), mask);
                x2 = TOps.OrAnd(x2, Unsafe.Add(ref entry, 2), mask);
                x3 = TOps.OrAnd(x3, Unsafe.Add(ref entry, 3), mask);
                x4 = TOps.OrAnd(x4, Unsafe.Add(ref entry, 4), mask);
                x5 = TOps.OrAnd(x5, Unsafe.Add(ref entry, 5), mask);
                x6 = TOps.OrAnd(x6, Unsafe.Add(ref entry, 6), mask);
                x7 = TOps.OrAnd(x7, Unsafe.Add(ref entry, 7), mask);
                entry = ref Unsafe.Add(ref entry, n);
            }
            output = x0;
            Unsafe.Add(ref output, 1) = x1;
            Unsafe.Add(ref output, 2) = x2;
            Unsafe.Add(ref output, 3) = x3;
            Unsafe.Add(ref output, 4) = x4;
            Unsafe.Add(ref output, 5) = x5;
            Unsafe.Add(ref output, 6) = x6;
            Unsafe.Add(ref output, 7) = x7;
            column = ref Unsafe.Add(ref column, 8);
            output = ref Unsafe.Add(ref output, 8);
        }
        for (; j < n; j++)
        {
            TVec x = default;
            ref TVec entry = ref column;
            for (int e = 0; e < entries; e++)
            {
                x = TOps.OrAnd(x, entry, Unsafe.Add(ref mr, e));
                entry = ref Unsafe.Add(ref entry, n);
            }
            output = x;
            column = ref Unsafe.Add(ref column, 1);
            output = ref Unsafe.Add(ref output, 1);
        }
    }
}
