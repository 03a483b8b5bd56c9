using System.Collections.Concurrent;
using System.Numerics;
using System.Security.Cryptography;
using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>Random keys generated once per test run (by .NET/OpenSSL, independent of the code under test) and a BigInteger reference.</summary>
internal static class RsaTestKeys
{
    private static readonly ConcurrentDictionary<int, Lazy<(RSA Rsa, RsaPrivateKey Key)>> Keys = new();

    public static (RSA Rsa, RsaPrivateKey Key) Get(int bits) => Keys.GetOrAdd(bits, static b => new Lazy<(RSA, RsaPrivateKey)>(() =>
    {
        var rsa = RSA.Create(b);
        return (rsa, RsaPrivateKey.FromRsa(rsa));
    })).Value;

    public static RsaPrivateKey Key(int bits) => Get(bits).Key;

    public static BigInteger ToInteger(ReadOnlySpan<byte> bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    public static byte[] ToBytes(BigInteger value, int length)
    {
        var result = new byte[length];
        int size = value.GetByteCount(isUnsigned: true);
        Assert.True(value.TryWriteBytes(result.AsSpan(length - size), out _, isUnsigned: true, isBigEndian: true));
        return result;
    }

    /// <summary>x^d mod n with BigInteger, the reference for the engines.</summary>
    public static byte[] ReferencePrivate(RsaPrivateKey key, ReadOnlySpan<byte> input)
    {
        var p = key.Parameters;
        BigInteger result = BigInteger.ModPow(ToInteger(input), ToInteger(p.D), ToInteger(p.Modulus));
        return ToBytes(result, key.ModulusLength);
    }

    /// <summary>x^e mod n: raw public operation, used to build test ciphertexts of arbitrary encodings.</summary>
    public static byte[] RawPublic(RsaPrivateKey key, ReadOnlySpan<byte> input)
    {
        var p = key.Parameters;
        return ToBytes(BigInteger.ModPow(ToInteger(input), ToInteger(p.Exponent), ToInteger(p.Modulus)), key.ModulusLength);
    }

    /// <summary>A uniformly random value below n.</summary>
    public static byte[] RandomBelowModulus(RsaPrivateKey key)
    {
        var value = new byte[key.ModulusLength];
        do
            RandomNumberGenerator.Fill(value);
        while (!RsaMath.IsLessThanModulus(value, key.Modulus));
        return value;
    }

    public static byte[] ModulusMinus(RsaPrivateKey key, int delta)
        => ToBytes(ToInteger(key.Modulus) - delta, key.ModulusLength);
}
