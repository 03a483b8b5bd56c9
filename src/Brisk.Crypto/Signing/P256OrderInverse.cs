using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Brisk.Crypto.Signing;

/// <summary>
/// s⁻¹ modulo the order n of P-256 for ECDSA verification, by the binary extended Euclidean algorithm (Menezes et al.,
/// Handbook of Applied Cryptography, Algorithm 14.61, for an odd modulus: halving modulo n is "add n when odd, then
/// shift"). Four 64-bit limbs held in locals. Variable time: only for public values (the s of a signature being
/// verified). libcrypto's BN_mod_inverse runs the same steps with a BIGNUM call per shift and subtraction.
/// </summary>
internal static class P256OrderInverse
{
    // n = FFFFFFFF00000000 FFFFFFFFFFFFFFFF BCE6FAADA7179E84 F3B9CAC2FC632551, little-endian limbs.
    private const ulong N0 = 0xF3B9CAC2FC632551, N1 = 0xBCE6FAADA7179E84, N2 = 0xFFFFFFFFFFFFFFFF, N3 = 0xFFFFFFFF00000000;

    /// <summary>The order as 32 big-endian bytes.</summary>
    internal static ReadOnlySpan<byte> Order =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xBC, 0xE6, 0xFA, 0xAD, 0xA7, 0x17, 0x9E, 0x84, 0xF3, 0xB9, 0xCA, 0xC2, 0xFC, 0x63, 0x25, 0x51,
    ];

    /// <summary>Writes s⁻¹ mod n (32 big-endian bytes); false unless 0 &lt; s &lt; n (s big-endian, at most 32 bytes).</summary>
    internal static bool TryInvert(ReadOnlySpan<byte> value, Span<byte> inverse)
    {
        if (value.Length > 32 || inverse.Length < 32)
            return false;
        Span<byte> padded = stackalloc byte[32];
        padded.Clear();
        value.CopyTo(padded[(32 - value.Length)..]);
        ulong u3 = BinaryPrimitives.ReadUInt64BigEndian(padded), u2 = BinaryPrimitives.ReadUInt64BigEndian(padded[8..]);
        ulong u1 = BinaryPrimitives.ReadUInt64BigEndian(padded[16..]), u0 = BinaryPrimitives.ReadUInt64BigEndian(padded[24..]);
        if ((u0 | u1 | u2 | u3) == 0 || !Less(u0, u1, u2, u3, N0, N1, N2, N3))
            return false;
        ulong v0 = N0, v1 = N1, v2 = N2, v3 = N3;
        ulong a0 = 1, a1 = 0, a2 = 0, a3 = 0; // a·s ≡ u (mod n)
        ulong b0 = 0, b1 = 0, b2 = 0, b3 = 0; // b·s ≡ v (mod n)
        // gcd(s, n) = 1 since n is prime and 0 < s < n, so the loop ends with u = 1 or v = 1.
        while (!IsOne(u0, u1, u2, u3) && !IsOne(v0, v1, v2, v3))
        {
            while ((u0 & 1) == 0)
            {
                ShiftRight(ref u0, ref u1, ref u2, ref u3, 0);
                Halve(ref a0, ref a1, ref a2, ref a3);
            }
            while ((v0 & 1) == 0)
            {
                ShiftRight(ref v0, ref v1, ref v2, ref v3, 0);
                Halve(ref b0, ref b1, ref b2, ref b3);
            }
            if (!Less(u0, u1, u2, u3, v0, v1, v2, v3))
            {
                Subtract(ref u0, ref u1, ref u2, ref u3, v0, v1, v2, v3);
                SubtractModN(ref a0, ref a1, ref a2, ref a3, b0, b1, b2, b3);
            }
            else
            {
                Subtract(ref v0, ref v1, ref v2, ref v3, u0, u1, u2, u3);
                SubtractModN(ref b0, ref b1, ref b2, ref b3, a0, a1, a2, a3);
            }
            if ((u0 | u1 | u2 | u3) == 0 || (v0 | v1 | v2 | v3) == 0)
                return false; // cannot happen for a prime n; kept so that a bad input can never loop forever
        }
        if (!IsOne(u0, u1, u2, u3))
        {
            a0 = b0; a1 = b1; a2 = b2; a3 = b3;
        }
        BinaryPrimitives.WriteUInt64BigEndian(inverse, a3);
        BinaryPrimitives.WriteUInt64BigEndian(inverse[8..], a2);
        BinaryPrimitives.WriteUInt64BigEndian(inverse[16..], a1);
        BinaryPrimitives.WriteUInt64BigEndian(inverse[24..], a0);
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsOne(ulong x0, ulong x1, ulong x2, ulong x3) => x0 == 1 && (x1 | x2 | x3) == 0;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Less(ulong x0, ulong x1, ulong x2, ulong x3, ulong y0, ulong y1, ulong y2, ulong y3)
    {
        if (x3 != y3) return x3 < y3;
        if (x2 != y2) return x2 < y2;
        if (x1 != y1) return x1 < y1;
        return x0 < y0;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ShiftRight(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3, ulong topBit)
    {
        x0 = (x0 >> 1) | (x1 << 63);
        x1 = (x1 >> 1) | (x2 << 63);
        x2 = (x2 >> 1) | (x3 << 63);
        x3 = (x3 >> 1) | (topBit << 63);
    }

    /// <summary>x = x / 2 mod n for 0 ≤ x &lt; n: (x + n) / 2 when x is odd, the carry of x + n becoming the top bit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Halve(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3)
    {
        ulong carry = 0;
        if ((x0 & 1) != 0)
            carry = Add(ref x0, ref x1, ref x2, ref x3, N0, N1, N2, N3);
        ShiftRight(ref x0, ref x1, ref x2, ref x3, carry);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Add(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3, ulong y0, ulong y1, ulong y2, ulong y3)
    {
        ulong carry = 0;
        x0 = AddWithCarry(x0, y0, ref carry);
        x1 = AddWithCarry(x1, y1, ref carry);
        x2 = AddWithCarry(x2, y2, ref carry);
        x3 = AddWithCarry(x3, y3, ref carry);
        return carry;
    }

    /// <summary>x -= y; returns the borrow.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Subtract(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3, ulong y0, ulong y1, ulong y2, ulong y3)
    {
        ulong borrow = 0;
        x0 = SubtractWithBorrow(x0, y0, ref borrow);
        x1 = SubtractWithBorrow(x1, y1, ref borrow);
        x2 = SubtractWithBorrow(x2, y2, ref borrow);
        x3 = SubtractWithBorrow(x3, y3, ref borrow);
        return borrow;
    }

    /// <summary>x = x - y mod n for x, y in [0, n): on a borrow, adding n wraps back into range.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SubtractModN(ref ulong x0, ref ulong x1, ref ulong x2, ref ulong x3, ulong y0, ulong y1, ulong y2, ulong y3)
    {
        if (Subtract(ref x0, ref x1, ref x2, ref x3, y0, y1, y2, y3) != 0)
            Add(ref x0, ref x1, ref x2, ref x3, N0, N1, N2, N3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong AddWithCarry(ulong x, ulong y, ref ulong carry)
    {
        ulong sum = x + y;
        ulong total = sum + carry;
        carry = (sum < x ? 1UL : 0) | (total < sum ? 1UL : 0);
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong SubtractWithBorrow(ulong x, ulong y, ref ulong borrow)
    {
        ulong difference = x - y;
        ulong total = difference - borrow;
        borrow = (x < y ? 1UL : 0) | (difference < borrow ? 1UL : 0);
        return total;
    }
}
