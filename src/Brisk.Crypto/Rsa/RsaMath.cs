namespace Brisk.Crypto.Rsa;

/// <summary>
/// Constant-time helpers on big-endian unsigned integers and byte masks. "Mask" values are 0 or all ones
/// (-1 / 0xFF…); no function here branches on or indexes by its data.
/// </summary>
public static class RsaMath
{
    /// <summary>
    /// All ones when <paramref name="value"/> &lt; <paramref name="modulus"/> (both big-endian, same length),
    /// else 0. Constant time in both values.
    /// </summary>
    public static int LessThanMask(ReadOnlySpan<byte> value, ReadOnlySpan<byte> modulus)
    {
        if (value.Length != modulus.Length)
            throw new ArgumentException("Operands must have the same length.", nameof(value));
        // Subtract value - modulus from the least significant byte up; the final borrow is 1 exactly when
        // value < modulus.
        int borrow = 0;
        for (int i = value.Length - 1; i >= 0; i--)
        {
            int difference = value[i] - modulus[i] - borrow;
            borrow = (difference >> 8) & 1;
        }
        return -borrow;
    }

    /// <summary>Whether the big-endian <paramref name="value"/> is numerically below the modulus (constant time).</summary>
    public static bool IsLessThanModulus(ReadOnlySpan<byte> value, ReadOnlySpan<byte> modulus)
        => value.Length == modulus.Length && LessThanMask(value, modulus) != 0;

    /// <summary>Bit length of a big-endian unsigned integer (public values only: branches on the data).</summary>
    public static int BitLength(ReadOnlySpan<byte> value)
    {
        int i = value.IndexOfAnyExcept((byte)0);
        if (i < 0)
            return 0;
        return (value.Length - i - 1) * 8 + (32 - System.Numerics.BitOperations.LeadingZeroCount((uint)value[i]));
    }

    /// <summary>All ones when <paramref name="a"/> == <paramref name="b"/> (both in 0..2^31), else 0.</summary>
    internal static int EqualMask(int a, int b)
    {
        int x = a ^ b;
        // x == 0 iff (x | -x) has a clear sign bit; for nonzero x it is set.
        return ~((x | -x) >> 31);
    }

    /// <summary>All ones when a &lt; b for non-negative a, b below 2^30, else 0.</summary>
    internal static int LessThanMask(int a, int b) => (a - b) >> 31;

    /// <summary>Returns <paramref name="whenSet"/> where mask is all ones, <paramref name="whenClear"/> where it is 0.</summary>
    internal static int Select(int mask, int whenSet, int whenClear) => (whenSet & mask) | (whenClear & ~mask);

    internal static byte Select(int mask, byte whenSet, byte whenClear) => (byte)((whenSet & mask) | (whenClear & ~mask));

    /// <summary>value⁻¹ mod modulus by the extended Euclidean algorithm. Variable time: public or blinded values only.</summary>
    internal static System.Numerics.BigInteger ModInverse(System.Numerics.BigInteger value, System.Numerics.BigInteger modulus)
    {
        System.Numerics.BigInteger oldR = value % modulus, r = modulus, oldS = System.Numerics.BigInteger.One, s = System.Numerics.BigInteger.Zero;
        if (oldR.Sign < 0)
            oldR += modulus;
        while (!r.IsZero)
        {
            var quotient = System.Numerics.BigInteger.DivRem(oldR, r, out var remainder);
            (oldR, r) = (r, remainder);
            (oldS, s) = (s, oldS - quotient * s);
        }
        if (!oldR.IsOne)
            throw new System.Security.Cryptography.CryptographicException("Value not invertible.");
        oldS %= modulus;
        return oldS.Sign < 0 ? oldS + modulus : oldS;
    }

    /// <summary>Big-endian unsigned bytes left-padded with zeros (or stripped of leading zeros) to exactly <paramref name="length"/>.</summary>
    internal static byte[] ToFixedLength(ReadOnlySpan<byte> value, int length)
    {
        int firstNonZero = value.IndexOfAnyExcept((byte)0);
        ReadOnlySpan<byte> significant = firstNonZero < 0 ? [] : value[firstNonZero..];
        if (significant.Length > length)
            throw new ArgumentException($"Value needs {significant.Length} bytes, more than {length}.", nameof(value));
        var result = new byte[length];
        significant.CopyTo(result.AsSpan(length - significant.Length));
        return result;
    }
}
