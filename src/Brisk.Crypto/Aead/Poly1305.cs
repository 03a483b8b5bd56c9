using System.Runtime.CompilerServices;

namespace Brisk.Crypto.Aead;

/// <summary>
/// Poly1305 (RFC 8439 §2.5) with a 130-bit accumulator in 64-bit limbs (h0, h1, h2) and 128-bit products.
/// Because the clamped r1 is a multiple of 4, h1·r1·2^128 ≡ h1·(5·r1/4) mod 2^130 − 5, so the product needs
/// only four 64×64 multiplications and two small ones per block. Only full 16-byte blocks are absorbed:
/// the AEAD construction (§2.8) pads every part to 16 bytes.
/// </summary>
[SkipLocalsInit] // every stackalloc buffer here is written before it is read
internal unsafe partial struct Poly1305
{
    private readonly ulong _r0, _r1, _s1;
    private readonly ulong _pad0, _pad1;
    private ulong _h0, _h1, _h2;

    public Poly1305(byte* oneTimeKey)
    {
        // Clamping, §2.5.1: r &= 0x0ffffffc0ffffffc0ffffffc0fffffff.
        _r0 = Unsafe.ReadUnaligned<ulong>(oneTimeKey) & 0x0ffffffc0fffffffUL;
        _r1 = Unsafe.ReadUnaligned<ulong>(oneTimeKey + 8) & 0x0ffffffc0ffffffcUL;
        _s1 = _r1 + (_r1 >> 2);
        _pad0 = Unsafe.ReadUnaligned<ulong>(oneTimeKey + 16);
        _pad1 = Unsafe.ReadUnaligned<ulong>(oneTimeKey + 24);
        _h0 = _h1 = _h2 = 0;
    }

    /// <summary>Absorbs <paramref name="blocks"/> full blocks, each with the 2^128 bit set (§2.5.1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Blocks(byte* data, int blocks)
    {
        ulong h0 = _h0, h1 = _h1, h2 = _h2;
        ulong r0 = _r0, r1 = _r1, s1 = _s1;
        for (int i = 0; i < blocks; i++, data += 16)
        {
            // h += m | 2^128
            ulong m0 = Unsafe.ReadUnaligned<ulong>(data);
            ulong m1 = Unsafe.ReadUnaligned<ulong>(data + 8);
            h0 = AddWithCarry(h0, m0, 0, out ulong carry);
            h1 = AddWithCarry(h1, m1, carry, out carry);
            h2 += carry + 1;

            // h *= r (mod 2^130 - 5), partially reduced.
            UInt128 d0 = Math.BigMul(h0, r0) + Math.BigMul(h1, s1);
            UInt128 d1 = Math.BigMul(h0, r1) + Math.BigMul(h1, r0) + (UInt128)(h2 * s1) + (d0 >> 64);
            ulong d2 = h2 * r0 + (ulong)(d1 >> 64);
            h0 = (ulong)d0;
            h1 = (ulong)d1;
            // Fold bits 130 and up: 2^130 ≡ 5.
            ulong high = d2 >> 2;
            h2 = d2 & 3;
            h0 = AddWithCarry(h0, high * 5, 0, out carry);
            h1 = AddWithCarry(h1, 0, carry, out carry);
            h2 += carry;
        }
        _h0 = h0;
        _h1 = h1;
        _h2 = h2;
    }

    /// <summary>Final reduction mod 2^130 − 5 (constant time) and tag = (h + s) mod 2^128 (§2.5.1).</summary>
    public void Finish(byte* tag)
    {
        ulong h0 = _h0, h1 = _h1, h2 = _h2;
        // g = h + 5; if g ≥ 2^130 then h ≥ p and h − p = g − 2^130 (the low 130 bits of g).
        ulong g0 = AddWithCarry(h0, 5, 0, out ulong carry);
        ulong g1 = AddWithCarry(h1, 0, carry, out carry);
        ulong g2 = h2 + carry;
        ulong useG = 0UL - (g2 >> 2); // all ones when g ≥ 2^130 (h < 2p here, so g2 >> 2 is 0 or 1)
        h0 = (h0 & ~useG) | (g0 & useG);
        h1 = (h1 & ~useG) | (g1 & useG);
        ulong t0 = AddWithCarry(h0, _pad0, 0, out carry);
        ulong t1 = h1 + _pad1 + carry;
        Unsafe.WriteUnaligned(tag, t0);
        Unsafe.WriteUnaligned(tag + 8, t1);
    }

    public void Clear() => this = default;

    /// <summary>a + b + carryIn with the carry out computed arithmetically (no secret-dependent branch).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddWithCarry(ulong a, ulong b, ulong carryIn, out ulong carryOut)
    {
        ulong sum = a + b + carryIn;
        carryOut = ((a & b) | ((a | b) & ~sum)) >> 63;
        return sum;
    }
}
