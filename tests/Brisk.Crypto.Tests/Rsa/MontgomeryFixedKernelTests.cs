using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Brisk.Crypto.Rsa.MultiBuffer;
using Xunit;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>
/// The generated, unrolled Montgomery kernels (MontgomeryFixed512/256) against the loop form and against
/// BigInteger, for every limb count they are generated for, with random and extreme operands per lane.
/// </summary>
public sealed class MontgomeryFixedKernelTests
{
    public static TheoryData<int> LimbCounts => new() { 37, 55, 74, 110 };

    [Theory]
    [MemberData(nameof(LimbCounts))]
    public void Avx512KernelsMatchLoopFormAndBigInteger(int limbs)
    {
        if (!Avx512Lanes.IsSupported)
            return;
        Assert.True(MontgomeryFixed512.Supports(limbs));
        Check<Vector512<ulong>, Avx512Lanes>(limbs);
    }

    [Theory]
    [MemberData(nameof(LimbCounts))]
    public void Avx2KernelsMatchLoopFormAndBigInteger(int limbs)
    {
        if (!Avx2Lanes.IsSupported)
            return;
        Assert.True(MontgomeryFixed256.Supports(limbs));
        Check<Vector256<ulong>, Avx2Lanes>(limbs);
    }

    private static void Check<TVec, TOps>(int limbs)
        where TVec : unmanaged
        where TOps : struct, ILaneOps<TVec>
    {
        const int Bits = Montgomery<TVec, TOps>.LimbBits;
        int lanes = TOps.Lanes;
        BigInteger r = BigInteger.One << (Bits * limbs);
        for (int round = 0; round < 20; round++)
        {
            // One modulus per lane, R > 4m; operands below 2m, including the extremes 0 and 2m − 1.
            var moduli = new BigInteger[lanes];
            var a = new BigInteger[lanes];
            var b = new BigInteger[lanes];
            for (int l = 0; l < lanes; l++)
            {
                moduli[l] = RandomBits(Bits * limbs - 2 - (round % 3)) | 1 | (BigInteger.One << (Bits * limbs - 3 - (round % 3)));
                if (round == 2)
                {
                    // Extreme limbs: m = 2^(28n−2) − 1 and a = b = 2m − 1 have (nearly) every limb at its
                    // maximum, which pushes the accumulator cells towards their lazy-carry bound.
                    moduli[l] = (BigInteger.One << (Bits * limbs - 2)) - 1;
                }
                a[l] = round is 0 or 2 ? 2 * moduli[l] - 1 : round == 1 ? BigInteger.Zero : RandomBits(Bits * limbs) % (2 * moduli[l]);
                b[l] = round is 0 or 2 || l % 4 == 3 ? 2 * moduli[l] - 1 : RandomBits(Bits * limbs) % (2 * moduli[l]);
            }
            TVec[] av = ToLanes<TVec>(a, limbs, Bits), bv = ToLanes<TVec>(b, limbs, Bits), mv = ToLanes<TVec>(moduli, limbs, Bits);
            var k0Lanes = new ulong[lanes];
            for (int l = 0; l < lanes; l++)
                k0Lanes[l] = NegativeInverse(moduli[l], Bits);
            TVec k0 = TOps.Load(k0Lanes);

            var fixedProduct = new TVec[limbs];
            var loopProduct = new TVec[limbs];
            Montgomery<TVec, TOps>.Multiply(av, bv, mv, k0, fixedProduct, limbs);
            Montgomery<TVec, TOps>.MultiplyGeneric(av, bv, mv, k0, loopProduct, limbs);
            Assert.Equal(loopProduct, fixedProduct);

            var fixedSquare = new TVec[limbs];
            var loopSquare = new TVec[limbs];
            Montgomery<TVec, TOps>.Square(av, mv, k0, fixedSquare, limbs);
            Montgomery<TVec, TOps>.SquareGeneric(av, mv, k0, loopSquare, limbs);
            Assert.Equal(loopSquare, fixedSquare);

            BigInteger[] product = FromLanes(fixedProduct, lanes, Bits), square = FromLanes(fixedSquare, lanes, Bits);
            for (int l = 0; l < lanes; l++)
            {
                BigInteger rInverse = ModInverse(r % moduli[l], moduli[l]);
                Assert.True(product[l] < 2 * moduli[l]);
                Assert.True(square[l] < 2 * moduli[l]);
                Assert.Equal(a[l] * b[l] * rInverse % moduli[l], product[l] % moduli[l]);
                Assert.Equal(a[l] * a[l] * rInverse % moduli[l], square[l] % moduli[l]);
            }

            // Aliasing: result over an operand, as the exponentiation does.
            Montgomery<TVec, TOps>.Square(av, mv, k0, av, limbs);
            Assert.Equal(fixedSquare, av);
        }
    }

    private static BigInteger RandomBits(int bits)
    {
        byte[] bytes = RandomNumberGenerator.GetBytes((bits + 7) / 8 + 1);
        return new BigInteger(bytes, isUnsigned: true) & ((BigInteger.One << bits) - 1);
    }

    private static TVec[] ToLanes<TVec>(BigInteger[] values, int limbs, int bits) where TVec : unmanaged
    {
        int lanes = values.Length;
        var vectors = new TVec[limbs];
        Span<ulong> flat = MemoryMarshal.Cast<TVec, ulong>(vectors.AsSpan());
        for (int l = 0; l < lanes; l++)
        {
            BigInteger v = values[l];
            for (int j = 0; j < limbs; j++)
            {
                flat[j * lanes + l] = (ulong)(v & ((BigInteger.One << bits) - 1));
                v >>= bits;
            }
        }
        return vectors;
    }

    private static BigInteger[] FromLanes<TVec>(TVec[] vectors, int lanes, int bits) where TVec : unmanaged
    {
        ReadOnlySpan<ulong> flat = MemoryMarshal.Cast<TVec, ulong>(vectors.AsSpan());
        var values = new BigInteger[lanes];
        for (int l = 0; l < lanes; l++)
        {
            for (int j = vectors.Length - 1; j >= 0; j--)
            {
                Assert.True(flat[j * lanes + l] < 1UL << bits, "limb not normalised");
                values[l] = (values[l] << bits) + flat[j * lanes + l];
            }
        }
        return values;
    }

    private static ulong NegativeInverse(BigInteger modulus, int bits)
    {
        ulong m0 = (ulong)(modulus & ulong.MaxValue);
        ulong inverse = 1;
        for (int i = 0; i < 6; i++)
            inverse *= 2 - m0 * inverse;
        return (0 - inverse) & ((1UL << bits) - 1);
    }

    private static BigInteger ModInverse(BigInteger value, BigInteger modulus)
    {
        BigInteger t = 0, newT = 1, r = modulus, newR = value;
        while (!newR.IsZero)
        {
            BigInteger quotient = r / newR;
            (t, newT) = (newT, t - quotient * newT);
            (r, newR) = (newR, r - quotient * newR);
        }
        return t < 0 ? t + modulus : t;
    }
}
