using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Brisk.Crypto.Rsa.MultiBuffer;

/// <summary>
/// RSA-CRT for one lane per request, all lanes in lock step: per lane, blind (x·r^e mod n), reduce mod p
/// and q, two fixed-window exponentiations with constant-time table selection, Garner recombination,
/// unblind (·r⁻¹), verify (m^e ≡ x mod n), update the blinding pair. Nothing branches on or indexes by a
/// secret; lanes beyond the request count repeat lane 0 and are discarded.
/// </summary>
[SkipLocalsInit]
internal sealed class MultiBufferKernel<TVec, TOps> : IRsaBatchKernel
    where TVec : unmanaged
    where TOps : struct, ILaneOps<TVec>
{
    private const int LimbBits = Montgomery<TVec, TOps>.LimbBits;
    private const int TableSize = 1 << MontgomeryKeyState.ManagedWindowBits;

    [ThreadStatic]
    private static TVec[]? t_scratch;

    public MultiBufferKernel(string name) => Name = name;

    public string Name { get; }

    public int Lanes => TOps.Lanes;

    public bool Supports(RsaPrivateKey key)
    {
        var p = key.Parameters;
        return TOps.IsSupported && key.ModulusBits is >= 1024 and <= 4096 && key.ModulusLength % 2 == 0 &&
               p.P!.Length == key.ModulusLength / 2 && p.Q!.Length == key.ModulusLength / 2 &&
               (p.Exponent!.Length <= 4) && (p.Modulus![^1] & 1) == 1 && p.P[0] >= 0x80 && p.Q[0] >= 0x80;
    }

    public object GroupOf(RsaPrivateKey key) => key.ModulusLength;

    internal MontgomeryKeyState State(RsaPrivateKey key)
        => (MontgomeryKeyState)key.EngineState.GetOrAdd("mb28", static (_, k) => new MontgomeryKeyState(k, LimbBits), key);

    public void Compute(ReadOnlySpan<RsaBatchItem> items)
    {
        int lanes = TOps.Lanes;
        if (items.Length == 0 || items.Length > lanes)
            throw new ArgumentException("Batch size out of range.", nameof(items));
        var states = new MontgomeryKeyState[lanes];
        var pairs = new BlindingPair[lanes];
        for (int l = 0; l < lanes; l++)
        {
            states[l] = State(items[l < items.Length ? l : 0].Key);
            if (l < items.Length)
                pairs[l] = states[l].TakeBlinding();
            else
                pairs[l] = new BlindingPair((ulong[])pairs[0].Blind.Clone(), (ulong[])pairs[0].Unblind.Clone());
        }
        try
        {
            Run(items, states, pairs);
        }
        finally
        {
            for (int l = 0; l < items.Length; l++)
                states[l].Return(pairs[l]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(ReadOnlySpan<RsaBatchItem> items, MontgomeryKeyState[] states, BlindingPair[] pairs)
    {
        int lanes = TOps.Lanes;
        int nf = states[0].FullLimbs, h = states[0].HalfLimbs, windows = states[0].ManagedWindows;
        for (int l = 1; l < lanes; l++)
        {
            if (states[l].FullLimbs != nf || states[l].HalfLimbs != h)
                throw new ArgumentException("All keys in a batch must have the same size.");
        }

        int needed = 12 * nf + 20 * h + 4 * h + TableSize * h + 2 * windows;
        var scratch = t_scratch;
        if (scratch is null || scratch.Length < needed)
            t_scratch = scratch = new TVec[needed];
        Span<TVec> free = scratch;
        Span<TVec> Take(ref Span<TVec> pool, int count)
        {
            Span<TVec> slice = pool[..count];
            pool = pool[count..];
            return slice;
        }

        Span<TVec> n = Take(ref free, nf), rrN = Take(ref free, nf), oneN = Take(ref free, nf);
        Span<TVec> blind = Take(ref free, nf), unblind = Take(ref free, nf), x = Take(ref free, nf);
        Span<TVec> full = Take(ref free, nf), result = Take(ref free, nf), power = Take(ref free, nf), product = Take(ref free, nf);
        Span<TVec> p = Take(ref free, h), q = Take(ref free, h), rrrP = Take(ref free, h), rrrQ = Take(ref free, h);
        Span<TVec> oneP = Take(ref free, h), oneQ = Take(ref free, h), qInverse = Take(ref free, h);
        Span<TVec> xp = Take(ref free, h), xq = Take(ref free, h), plainOne = Take(ref free, h), difference = Take(ref free, h);
        Span<TVec> wide = Take(ref free, 2 * h), recombined = Take(ref free, 2 * h);
        Span<TVec> table = Take(ref free, TableSize * h);
        Span<TVec> digitsP = Take(ref free, windows), digitsQ = Take(ref free, windows);

        Transpose(n, states, static s => s.N);
        Transpose(rrN, states, static s => s.RSquaredN);
        Transpose(oneN, states, static s => s.OneN);
        Transpose(p, states, static s => s.P);
        Transpose(q, states, static s => s.Q);
        Transpose(rrrP, states, static s => s.RCubedP);
        Transpose(rrrQ, states, static s => s.RCubedQ);
        Transpose(oneP, states, static s => s.OneP);
        Transpose(oneQ, states, static s => s.OneQ);
        Transpose(qInverse, states, static s => s.QInverseP);
        TransposePairs(blind, pairs, static b => b.Blind);
        TransposePairs(unblind, pairs, static b => b.Unblind);
        TransposeDigits(digitsP, states, static s => s.DpManagedWindows);
        TransposeDigits(digitsQ, states, static s => s.DqManagedWindows);
        TVec k0N = Broadcast(states, static s => s.K0N), k0P = Broadcast(states, static s => s.K0P), k0Q = Broadcast(states, static s => s.K0Q);
        plainOne.Clear();
        plainOne[0] = TOps.Broadcast(1);

        Span<ulong> xLanes = MemoryMarshal.Cast<TVec, ulong>(x);
        for (int l = 0; l < lanes; l++)
            BytesToLimbs(items[l < items.Length ? l : 0].Input.Span, xLanes, l, lanes, nf);

        // Blind: x·A mod n (Montgomery multiplication by A·R). The result is below 2n.
        Montgomery<TVec, TOps>.Multiply(x, blind, n, k0N, full, nf);

        // x mod p in Montgomery form: REDC(x_b) = x_b·R⁻¹ mod p, then ·R³·R⁻¹ gives x_b·R mod p.
        Span<TVec> yp = recombined[..h], yq = product[..h];
        ReduceToHalf(full, p, k0P, rrrP, wide, xp, nf, h);
        ReduceToHalf(full, q, k0Q, rrrQ, wide, xq, nf, h);
        Exponentiate(xp, digitsP, p, k0P, oneP, plainOne, table, difference, windows, h);
        xp.CopyTo(yp);
        Exponentiate(xq, digitsQ, q, k0Q, oneQ, plainOne, table, difference, windows, h);
        xq.CopyTo(yq);

        // Garner: y = yq + q·((yp − yq)·q⁻¹ mod p). q < 2p, so one subtraction brings yq below p.
        Span<TVec> yqModP = xq;
        Montgomery<TVec, TOps>.SubtractIfNotBelow(yqModP, p, h);
        TVec borrow = Montgomery<TVec, TOps>.Subtract(yp, yqModP, difference, h);
        Montgomery<TVec, TOps>.AddMasked(difference, p, TOps.Sub(default, borrow), h);
        Montgomery<TVec, TOps>.Multiply(difference, qInverse, p, k0P, xp, h);
        Montgomery<TVec, TOps>.SubtractIfNotBelow(xp, p, h);
        Montgomery<TVec, TOps>.MultiplyPlain(q, xp, wide, h);
        recombined.Clear();
        yq.CopyTo(recombined);
        Montgomery<TVec, TOps>.AddMasked(wide, recombined, TOps.Broadcast(ulong.MaxValue), 2 * h);

        // Unblind: y·r⁻¹ mod n, fully reduced.
        Montgomery<TVec, TOps>.Multiply(wide[..nf], unblind, n, k0N, result, nf);
        Montgomery<TVec, TOps>.SubtractIfNotBelow(result, n, nf);

        for (int l = 0; l < items.Length; l++)
        {
            if (items[l].InjectFault)
            {
                Span<ulong> lanesOfResult = MemoryMarshal.Cast<TVec, ulong>(result);
                lanesOfResult[l] ^= 1;
            }
        }

        // Verify: result^e mod n must give back x (RFC 8017 leaves this out; a CRT fault would leak p).
        Montgomery<TVec, TOps>.Multiply(result, rrN, n, k0N, power, nf);
        ulong maxExponent = 0;
        var exponents = new ulong[lanes];
        for (int l = 0; l < lanes; l++)
        {
            exponents[l] = states[l].PublicExponent;
            maxExponent = Math.Max(maxExponent, exponents[l]);
        }
        oneN.CopyTo(full);
        Span<ulong> bitLanes = stackalloc ulong[lanes];
        for (int bit = 63 - System.Numerics.BitOperations.LeadingZeroCount(maxExponent); bit >= 0; bit--)
        {
            Montgomery<TVec, TOps>.Square(full, n, k0N, full, nf);
            ulong any = 0;
            for (int l = 0; l < lanes; l++)
            {
                bitLanes[l] = 0 - ((exponents[l] >> bit) & 1);
                any |= bitLanes[l];
            }
            if (any == 0)
                continue; // the public exponent's bits are public
            Montgomery<TVec, TOps>.Multiply(full, power, n, k0N, product, nf);
            TVec take = TOps.Load(bitLanes);
            TVec keep = TOps.Sub(TOps.Broadcast(ulong.MaxValue), take);
            for (int j = 0; j < nf; j++)
                full[j] = TOps.Or(TOps.And(product[j], take), TOps.And(full[j], keep));
        }
        Span<TVec> nPlainOne = product;
        nPlainOne.Clear();
        nPlainOne[0] = TOps.Broadcast(1);
        Montgomery<TVec, TOps>.Multiply(full, nPlainOne, n, k0N, power, nf);
        Montgomery<TVec, TOps>.SubtractIfNotBelow(power, n, nf);
        TVec verified = Montgomery<TVec, TOps>.EqualLanes(power, x, nf);
        Span<ulong> verifiedLanes = stackalloc ulong[lanes];
        TOps.Store(verified, verifiedLanes);

        // Fresh blinding for the next use of each pair: (A², (r⁻¹)²) is again a matching pair.
        Montgomery<TVec, TOps>.Square(blind, n, k0N, blind, nf);
        Montgomery<TVec, TOps>.Square(unblind, n, k0N, unblind, nf);
        Span<ulong> blindLanes = MemoryMarshal.Cast<TVec, ulong>(blind), unblindLanes = MemoryMarshal.Cast<TVec, ulong>(unblind);
        Span<ulong> resultLanes = MemoryMarshal.Cast<TVec, ulong>(result);
        for (int l = 0; l < items.Length; l++)
        {
            for (int j = 0; j < nf; j++)
            {
                pairs[l].Blind[j] = blindLanes[j * lanes + l];
                pairs[l].Unblind[j] = unblindLanes[j * lanes + l];
            }
            LimbsToBytes(resultLanes, l, lanes, nf, items[l].Output.Span);
            items[l].Verified = verifiedLanes[l] != 0;
        }
        blind.Clear();
        unblind.Clear();
        xp.Clear();
        xq.Clear();
        recombined.Clear();
        wide.Clear();
        table.Clear();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ReduceToHalf(ReadOnlySpan<TVec> full, ReadOnlySpan<TVec> m, TVec k0, ReadOnlySpan<TVec> rCubed, Span<TVec> wide, Span<TVec> result, int nf, int h)
    {
        wide.Clear();
        full[..nf].CopyTo(wide);
        Montgomery<TVec, TOps>.Reduce(wide, m, k0, result, h);
        Montgomery<TVec, TOps>.Multiply(result, rCubed, m, k0, result, h);
    }

    /// <summary>
    /// value ← value^d mod m, with value in Montgomery form on entry and plain, fully reduced, on exit.
    /// Fixed 4-bit windows (ManagedWindowBits) over the exponent's byte width: the same squarings and multiplications for every
    /// exponent.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Exponentiate(Span<TVec> value, ReadOnlySpan<TVec> digits, ReadOnlySpan<TVec> m, TVec k0, ReadOnlySpan<TVec> one, ReadOnlySpan<TVec> plainOne, Span<TVec> table, Span<TVec> selected, int windows, int h)
    {
        // The table holds the powers packed two limbs per cell (see Montgomery.Pack); `selected` is free
        // while it is built and holds the latest power.
        int packed = Montgomery<TVec, TOps>.PackedLength(h);
        Span<TVec> power = selected;
        Montgomery<TVec, TOps>.Pack(one, table[..packed], h);
        Montgomery<TVec, TOps>.Pack(value, table.Slice(packed, packed), h);
        Montgomery<TVec, TOps>.Square(value, m, k0, power, h);
        Montgomery<TVec, TOps>.Pack(power, table.Slice(2 * packed, packed), h);
        for (int e = 3; e < TableSize; e++)
        {
            Montgomery<TVec, TOps>.Multiply(power, value, m, k0, power, h);
            Montgomery<TVec, TOps>.Pack(power, table.Slice(e * packed, packed), h);
        }

        Montgomery<TVec, TOps>.Select(table, TableSize, digits[0], value, packed);
        Montgomery<TVec, TOps>.Unpack(value, h);
        for (int w = 1; w < windows; w++)
        {
            for (int s = 0; s < MontgomeryKeyState.ManagedWindowBits; s++)
                Montgomery<TVec, TOps>.Square(value, m, k0, value, h);
            Montgomery<TVec, TOps>.Select(table, TableSize, digits[w], selected, packed);
            Montgomery<TVec, TOps>.Unpack(selected, h);
            Montgomery<TVec, TOps>.Multiply(value, selected, m, k0, value, h);
        }
        Montgomery<TVec, TOps>.Multiply(value, plainOne, m, k0, value, h);
        Montgomery<TVec, TOps>.SubtractIfNotBelow(value, m, h);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Transpose(Span<TVec> destination, MontgomeryKeyState[] states, Func<MontgomeryKeyState, ulong[]> select)
    {
        Span<ulong> d = MemoryMarshal.Cast<TVec, ulong>(destination);
        int lanes = states.Length;
        for (int l = 0; l < lanes; l++)
        {
            ulong[] source = select(states[l]);
            for (int j = 0; j < source.Length; j++)
                d[j * lanes + l] = source[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposePairs(Span<TVec> destination, BlindingPair[] pairs, Func<BlindingPair, ulong[]> select)
    {
        Span<ulong> d = MemoryMarshal.Cast<TVec, ulong>(destination);
        int lanes = pairs.Length;
        for (int l = 0; l < lanes; l++)
        {
            ulong[] source = select(pairs[l]);
            for (int j = 0; j < source.Length; j++)
                d[j * lanes + l] = source[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void TransposeDigits(Span<TVec> destination, MontgomeryKeyState[] states, Func<MontgomeryKeyState, byte[]> select)
    {
        Span<ulong> d = MemoryMarshal.Cast<TVec, ulong>(destination);
        int lanes = states.Length;
        for (int l = 0; l < lanes; l++)
        {
            byte[] source = select(states[l]);
            for (int w = 0; w < source.Length; w++)
                d[w * lanes + l] = source[w];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static TVec Broadcast(MontgomeryKeyState[] states, Func<MontgomeryKeyState, ulong> select)
    {
        Span<ulong> lanes = stackalloc ulong[states.Length];
        for (int l = 0; l < states.Length; l++)
            lanes[l] = select(states[l]);
        return TOps.Load(lanes);
    }

    /// <summary>Big-endian bytes into LimbBits-bit limbs of one lane (limb j at j·lanes + lane).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void BytesToLimbs(ReadOnlySpan<byte> bigEndian, Span<ulong> destination, int lane, int lanes, int limbs)
    {
        ulong accumulator = 0;
        int bits = 0, limb = 0;
        for (int i = bigEndian.Length - 1; i >= 0 && limb < limbs; i--)
        {
            accumulator |= (ulong)bigEndian[i] << bits;
            bits += 8;
            if (bits >= LimbBits)
            {
                destination[limb++ * lanes + lane] = accumulator & Montgomery<TVec, TOps>.LimbMask;
                accumulator >>= LimbBits;
                bits -= LimbBits;
            }
        }
        for (; limb < limbs; limb++)
        {
            destination[limb * lanes + lane] = accumulator & Montgomery<TVec, TOps>.LimbMask;
            accumulator >>= LimbBits;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void LimbsToBytes(ReadOnlySpan<ulong> source, int lane, int lanes, int limbs, Span<byte> bigEndian)
    {
        ulong accumulator = 0;
        int bits = 0, limb = 0;
        for (int i = bigEndian.Length - 1; i >= 0; i--)
        {
            if (bits < 8 && limb < limbs)
            {
                accumulator |= source[limb++ * lanes + lane] << bits;
                bits += LimbBits;
            }
            bigEndian[i] = (byte)accumulator;
            accumulator >>= 8;
            bits -= 8;
        }
    }
}
