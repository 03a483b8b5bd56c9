using System.Numerics;
using System.Security.Cryptography;
using Brisk.Crypto.Signing;

namespace Brisk.Crypto.Tests.Signing;

public sealed class P256OrderInverseTests
{
    private static readonly BigInteger N = new(P256OrderInverse.Order, isUnsigned: true, isBigEndian: true);

    [Fact]
    public void OrderConstantIsP256s()
    {
        Assert.Equal(BigInteger.Parse("115792089210356248762697446949407573529996955224135760342422259061068512044369"), N);
    }

    [Fact]
    public void InverseTimesValueIsOne()
    {
        var values = new List<BigInteger> { 1, 2, 3, N - 1, N - 2, (N - 1) / 2, (N + 1) / 2, BigInteger.One << 255, (BigInteger.One << 64) - 1, BigInteger.One << 64 };
        for (int i = 0; i < 500; i++)
            values.Add(new BigInteger(RandomNumberGenerator.GetBytes(32 - i % 9), isUnsigned: true) % N);
        var inverse = new byte[32];
        foreach (var a in values)
        {
            if (a.IsZero)
                continue;
            Assert.True(P256OrderInverse.TryInvert(a.ToByteArray(isUnsigned: true, isBigEndian: true), inverse), $"{a}");
            var w = new BigInteger(inverse, isUnsigned: true, isBigEndian: true);
            Assert.True(w < N);
            Assert.Equal(BigInteger.One, a * w % N);
        }
    }

    [Fact]
    public void RefusesZeroAndValuesNotBelowTheOrder()
    {
        var inverse = new byte[32];
        Assert.False(P256OrderInverse.TryInvert([], inverse));
        Assert.False(P256OrderInverse.TryInvert([0], inverse));
        Assert.False(P256OrderInverse.TryInvert(P256OrderInverse.Order, inverse));
        Assert.False(P256OrderInverse.TryInvert((N + 5).ToByteArray(isUnsigned: true, isBigEndian: true), inverse));
        Assert.False(P256OrderInverse.TryInvert(new byte[33], inverse));
    }
}
