using System.Numerics;
using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// Keys for Fiat batch RSA: one modulus, one key per small public exponent. The primes come from
/// OpenSSL's RSA key generation with e = product of the exponents, which guarantees gcd(eᵢ, p−1) =
/// gcd(eᵢ, q−1) = 1 for every eᵢ; each key's d, dp, dq are then inverses of its own eᵢ.
/// </summary>
public static class FiatKeyFamily
{
    /// <summary>The exponents Shacham and Boneh suggest: small odd primes.</summary>
    public static IReadOnlyList<int> DefaultExponents { get; } = [3, 5, 7, 11, 13, 17, 19, 23];

    public static RsaPrivateKey[] Generate(int modulusBits, int count = 4)
        => Generate(modulusBits, DefaultExponents.Take(count).ToArray());

    public static unsafe RsaPrivateKey[] Generate(int modulusBits, IReadOnlyList<int> exponents)
    {
        if (exponents.Count == 0 || exponents.Any(e => e < 3 || e % 2 == 0))
            throw new ArgumentException("Exponents must be odd and at least 3.", nameof(exponents));
        for (int i = 0; i < exponents.Count; i++)
            for (int j = i + 1; j < exponents.Count; j++)
                if (!BigInteger.GreatestCommonDivisor(exponents[i], exponents[j]).IsOne)
                    throw new ArgumentException("Exponents must be pairwise coprime.", nameof(exponents));
        ulong product = 1;
        foreach (int e in exponents)
            product = checked(product * (ulong)e);

        IntPtr rsa = LibCrypto.RsaNew(), exponent = LibCrypto.BnNew();
        try
        {
            LibCrypto.BnSetWord(exponent, product);
            if (LibCrypto.RsaGenerateKeyEx(rsa, modulusBits, exponent, IntPtr.Zero) != 1)
            {
                LibCrypto.ErrClearError();
                throw new CryptographicException("RSA_generate_key_ex failed.");
            }
            LibCrypto.RsaGet0Factors(rsa, out IntPtr pBn, out IntPtr qBn);
            int k = (modulusBits + 7) / 8, half = (modulusBits / 2 + 7) / 8;
            byte[] pBytes = new byte[half], qBytes = new byte[half];
            fixed (byte* pp = pBytes)
            fixed (byte* qq = qBytes)
            {
                if (LibCrypto.BnBn2BinPad(pBn, pp, half) != half || LibCrypto.BnBn2BinPad(qBn, qq, half) != half)
                    throw new CryptographicException("Unexpected prime size.");
            }
            BigInteger p = new(pBytes, isUnsigned: true, isBigEndian: true), q = new(qBytes, isUnsigned: true, isBigEndian: true);
            if (p < q)
                (p, q) = (q, p); // p > q, the usual convention for qInv
            BigInteger n = p * q, phi = (p - 1) * (q - 1);
            byte[] modulus = Fixed(n, k), pFixed = Fixed(p, half), qFixed = Fixed(q, half);
            byte[] inverseQ = Fixed(RsaMath.ModInverse(q, p), half);
            CryptographicOperations.ZeroMemory(pBytes);
            CryptographicOperations.ZeroMemory(qBytes);
            return exponents.Select(e => new RsaPrivateKey(new RSAParameters
            {
                Modulus = modulus,
                Exponent = new BigInteger(e).ToByteArray(isUnsigned: true, isBigEndian: true),
                D = Fixed(RsaMath.ModInverse(e, phi), k),
                P = pFixed,
                Q = qFixed,
                DP = Fixed(RsaMath.ModInverse(e, p - 1), half),
                DQ = Fixed(RsaMath.ModInverse(e, q - 1), half),
                InverseQ = inverseQ,
            })).ToArray();
        }
        finally
        {
            LibCrypto.BnClearFree(exponent);
            LibCrypto.RsaFree(rsa);
        }
    }

    private static byte[] Fixed(BigInteger value, int length) => RsaMath.ToFixedLength(value.ToByteArray(isUnsigned: true, isBigEndian: true), length);
}
