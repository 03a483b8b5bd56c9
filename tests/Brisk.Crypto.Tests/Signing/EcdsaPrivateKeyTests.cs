using System.Formats.Asn1;
using System.Numerics;
using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Signing;
using Brisk.Crypto.Tests.KeyExchange;

namespace Brisk.Crypto.Tests.Signing;

public class EcdsaPrivateKeyTests
{
    private static readonly BigInteger OrderP256 = BigInteger.Parse("0FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", System.Globalization.NumberStyles.HexNumber);
    private static readonly BigInteger OrderP384 = BigInteger.Parse("0FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973", System.Globalization.NumberStyles.HexNumber);

    public static TheoryData<string, string> CurveAndHash => new()
    {
        { "P256", "SHA256" }, { "P256", "SHA384" }, { "P384", "SHA384" }, { "P384", "SHA256" },
    };

    private static ECCurve Curve(string name) => name == "P256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;

    private static byte[] Hash(string name, byte[] message) => name == "SHA256" ? SHA256.HashData(message) : SHA384.HashData(message);

    [Theory]
    [MemberData(nameof(CurveAndHash))]
    public void SignaturesVerifyWithDotNet(string curve, string hashName)
    {
        using var dotnetKey = ECDsa.Create(Curve(curve));
        using var key = EcdsaPrivateKey.FromECDsa(dotnetKey);
        Assert.Equal(curve == "P256" ? NamedGroup.Secp256r1 : NamedGroup.Secp384r1, key.Curve);
        var message = new byte[100];
        for (int i = 0; i < 16; i++)
        {
            Random.Shared.NextBytes(message);
            byte[] hash = Hash(hashName, message);
            var signature = new byte[key.MaxSignatureLength];
            int length = key.SignHash(hash, signature);
            Assert.True(dotnetKey.VerifyHash(hash, signature.AsSpan(0, length), DSASignatureFormat.Rfc3279DerSequence));
            Assert.True(IsStrictDerSignature(signature.AsSpan(0, length).ToArray(), curve == "P256" ? OrderP256 : OrderP384));
            hash[0] ^= 1;
            Assert.False(dotnetKey.VerifyHash(hash, signature.AsSpan(0, length), DSASignatureFormat.Rfc3279DerSequence));
        }
    }

    [Fact]
    public void SignaturesAreRandomizedAndKeyIsUsableFromManyThreads()
    {
        using var dotnetKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = new EcdsaPrivateKey(dotnetKey.ExportParameters(true));
        byte[] hash = SHA256.HashData("brisk"u8);
        var signatures = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 64, _ =>
        {
            var signature = new byte[key.MaxSignatureLength];
            int length = key.SignHash(hash, signature);
            Assert.True(dotnetKey.VerifyHash(hash, signature.AsSpan(0, length), DSASignatureFormat.Rfc3279DerSequence));
            signatures.Add(Convert.ToHexString(signature, 0, length));
        });
        Assert.Equal(64, signatures.Distinct().Count());
    }

    [Fact]
    public void ShortDestinationIsReported()
    {
        using var dotnetKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        using var key = EcdsaPrivateKey.FromECDsa(dotnetKey);
        Assert.Equal(104, key.MaxSignatureLength);
        Assert.False(key.TrySignHash(new byte[48], new byte[20], out int written));
        Assert.Equal(0, written);
        Assert.Throws<ArgumentException>(() => key.SignHash(new byte[48], new byte[20]));
    }

    [Fact]
    public void MismatchedOrUnsupportedKeysAreRefused()
    {
        using var a = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var b = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        ECParameters mixed = a.ExportParameters(true);
        mixed.Q = b.ExportParameters(false).Q;
        Assert.Throws<CryptographicException>(() => new EcdsaPrivateKey(mixed));

        ECParameters offCurve = a.ExportParameters(true);
        offCurve.Q.Y![^1] ^= 1;
        Assert.Throws<CryptographicException>(() => new EcdsaPrivateKey(offCurve));

        using var p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        Assert.Throws<NotSupportedException>(() => EcdsaPrivateKey.FromECDsa(p521));
    }

    [Theory]
    [InlineData("ecdsa_secp256r1_sha256_test.json", "P256")]
    [InlineData("ecdsa_secp384r1_sha384_test.json", "P384")]
    public void DerCheckerAgreesWithWycheproofEncodingVerdicts(string file, string curve)
    {
        // Validates the strict-DER checker used above: every valid Wycheproof signature passes it and
        // every BER/malformed-encoding one is refused.
        BigInteger order = curve == "P256" ? OrderP256 : OrderP384;
        int valid = 0, badEncoding = 0;
        foreach (var v in PlatformVectors.Load(file))
        {
            bool strict = IsStrictDerSignature(v.Hex("sig"), order);
            if (v.Result == "valid")
            {
                Assert.True(strict, v.Describe);
                valid++;
            }
            else if (v.Flags.Contains("BerEncodedSignature") || v.Flags.Contains("InvalidEncoding") || v.Flags.Contains("MissingZero"))
            {
                Assert.False(strict, v.Describe);
                badEncoding++;
            }
        }
        Assert.True(valid > 100 && badEncoding > 50, $"{valid} valid, {badEncoding} bad encodings");
    }

    /// <summary>SEQUENCE { INTEGER r, INTEGER s } in DER with 0 &lt; r, s &lt; n (RFC 3279 §2.2.3).</summary>
    private static bool IsStrictDerSignature(byte[] der, BigInteger order)
    {
        try
        {
            var reader = new AsnReader(der, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            BigInteger r = sequence.ReadInteger();
            BigInteger s = sequence.ReadInteger();
            sequence.ThrowIfNotEmpty();
            return r.Sign > 0 && s.Sign > 0 && r < order && s < order;
        }
        catch (AsnContentException)
        {
            return false;
        }
    }
}
