using System.Security.Cryptography;
using System.Text.Json;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Signing;
using Brisk.Crypto.Tests.KeyExchange;

namespace Brisk.Crypto.Tests.Signing;

public sealed class PublicKeyVerifierTests
{
    private static readonly byte[] Message = "TLS 1.3, server CertificateVerify\0 and a transcript hash"u8.ToArray();

    [Theory]
    [InlineData("ecdsa_secp256r1_sha256_test.json", NamedGroup.Secp256r1, true)]
    [InlineData("ecdsa_secp256r1_sha256_test.json", NamedGroup.Secp256r1, false)]
    [InlineData("ecdsa_secp384r1_sha384_test.json", NamedGroup.Secp384r1, true)]
    [InlineData("ecdsa_secp384r1_sha384_test.json", NamedGroup.Secp384r1, false)]
    public void EcdsaAgreesWithWycheproof(string file, NamedGroup curve, bool table)
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        var hash = curve == NamedGroup.Secp256r1 ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384;
        var keys = new Dictionary<string, PublicKeyVerifier?>();
        int valid = 0, invalid = 0;
        try
        {
            foreach (var v in PlatformVectors.Load(file))
            {
                var publicKey = v.Group.GetProperty("publicKey");
                string id = publicKey.GetProperty("uncompressed").GetString()!;
                if (!keys.TryGetValue(id, out var key))
                {
                    key = PublicKeyVerifier.CreateEcdsa(curve, Hex(publicKey, "wx"), Hex(publicKey, "wy"), TableMode(table));
                    keys[id] = key;
                    Assert.NotNull(key);
                    Assert.Equal(table, key!.HasPublicPointTable);
                }
                Tally(v, key!.VerifyEcdsa(Digest(hash, v.Hex("msg")), v.Hex("sig")), ref valid, ref invalid);
            }
        }
        finally
        {
            foreach (var key in keys.Values)
                key?.Dispose();
        }
        Assert.True(valid > 100 && invalid > 100, $"{valid} valid, {invalid} invalid");
    }

    [Theory]
    [InlineData("rsa_pss_2048_sha256_mgf1_32_test.json", true)]
    [InlineData("rsa_signature_2048_sha256_test.json", false)]
    public void RsaAgreesWithWycheproof(string file, bool pss)
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        int valid = 0, invalid = 0;
        PublicKeyVerifier? key = null;
        string? keyOf = null;
        try
        {
            foreach (var v in PlatformVectors.Load(file))
            {
                var publicKey = v.Group.GetProperty("publicKey");
                string modulusHex = publicKey.GetProperty("modulus").GetString()!;
                if (keyOf != modulusHex)
                {
                    key?.Dispose();
                    key = PublicKeyVerifier.CreateRsa(Hex(publicKey, "modulus"), Hex(publicKey, "publicExponent"));
                    Assert.NotNull(key);
                    keyOf = modulusHex;
                }
                byte[] digest = Digest(HashAlgorithmName.SHA256, v.Hex("msg"));
                bool verified = pss
                    ? key!.VerifyRsaPss(HashAlgorithmName.SHA256, digest, v.Hex("sig"))
                    : key!.VerifyRsaPkcs1(HashAlgorithmName.SHA256, digest, v.Hex("sig"));
                Tally(v, verified, ref valid, ref invalid);
            }
        }
        finally
        {
            key?.Dispose();
        }
        Assert.True(valid >= 9 && invalid >= 45, $"{valid} valid, {invalid} invalid");
    }

    [Theory]
    [InlineData(256, true)]
    [InlineData(256, false)]
    [InlineData(384, true)]
    public void EcdsaSignatureFromDotNetVerifiesAndAFlippedBitDoesNot(int bits, bool table)
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        var (curve, hash) = bits == 256 ? (ECCurve.NamedCurves.nistP256, HashAlgorithmName.SHA256) : (ECCurve.NamedCurves.nistP384, HashAlgorithmName.SHA384);
        using var signer = ECDsa.Create(curve);
        using var key = EcdsaKey(signer, table);
        byte[] digest = Digest(hash, Message);
        for (int round = 0; round < 8; round++)
        {
            byte[] signature = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
            Assert.True(key.VerifyEcdsa(digest, signature));
            for (int bit = 0; bit < signature.Length * 8; bit += 7)
            {
                byte[] flipped = (byte[])signature.Clone();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.False(key.VerifyEcdsa(digest, flipped), $"signature bit {bit}");
            }
            byte[] otherDigest = (byte[])digest.Clone();
            otherDigest[round] ^= 0x40;
            Assert.False(key.VerifyEcdsa(otherDigest, signature));
        }
    }

    [Fact]
    public void EcdsaKeyOfTheSameShapeIsNotConfused()
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signerA = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var signerB = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var keyA = EcdsaKey(signerA, table: true);
        using var keyB = EcdsaKey(signerB, table: true);
        byte[] digest = Digest(HashAlgorithmName.SHA256, Message);
        byte[] byA = signerA.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        byte[] byB = signerB.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        Assert.True(keyA.VerifyEcdsa(digest, byA));
        Assert.True(keyB.VerifyEcdsa(digest, byB));
        Assert.False(keyA.VerifyEcdsa(digest, byB));
        Assert.False(keyB.VerifyEcdsa(digest, byA));
    }

    [Fact]
    public void EcdsaRefusesNonDerAndOutOfRangeSignatures()
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var key = EcdsaKey(signer, table: true);
        byte[] digest = Digest(HashAlgorithmName.SHA256, Message);
        byte[] der = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        Assert.True(key.VerifyEcdsa(digest, der));
        Assert.False(key.VerifyEcdsa(digest, [.. der, 0])); // trailing byte
        Assert.False(key.VerifyEcdsa(digest, der[..^1])); // truncated
        Assert.False(key.VerifyEcdsa(digest, []));
        Assert.False(key.VerifyEcdsa([], der));
        // The same r and s in IEEE P1363 form (r || s), not DER.
        Assert.False(key.VerifyEcdsa(digest, signer.SignHash(digest, DSASignatureFormat.IeeeP1363FixedFieldConcatenation)));
        // r = 0 and s = 0, and r = s = n (out of range).
        Assert.False(key.VerifyEcdsa(digest, [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00]));
        byte[] order = Convert.FromHexString("00FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551");
        byte[] rsEqualN = [0x30, 0x44, 0x02, 0x21, .. order, 0x02, 0x21, .. order];
        Assert.False(key.VerifyEcdsa(digest, rsEqualN));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void RsaSignatureFromDotNetVerifiesAndAFlippedBitDoesNot(bool pss)
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signer = RSA.Create(2048);
        using var key = RsaKey(signer);
        var padding = pss ? RSASignaturePadding.Pss : RSASignaturePadding.Pkcs1;
        foreach (var hash in new[] { HashAlgorithmName.SHA256, HashAlgorithmName.SHA384, HashAlgorithmName.SHA512 })
        {
            byte[] digest = Digest(hash, Message);
            byte[] signature = signer.SignHash(digest, hash, padding);
            Assert.True(Verify(key, pss, hash, digest, signature), $"{hash}");
            // The other padding over the same digest must not pass, nor the same padding under another hash.
            Assert.False(Verify(key, !pss, hash, digest, signature));
            var otherHash = hash == HashAlgorithmName.SHA256 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
            Assert.False(Verify(key, pss, otherHash, Digest(otherHash, Message), signature));
            for (int bit = 0; bit < signature.Length * 8; bit += 61)
            {
                byte[] flipped = (byte[])signature.Clone();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.False(Verify(key, pss, hash, digest, flipped), $"{hash} signature bit {bit}");
            }
            byte[] otherDigest = (byte[])digest.Clone();
            otherDigest[^1] ^= 1;
            Assert.False(Verify(key, pss, hash, otherDigest, signature));
            Assert.False(Verify(key, pss, hash, digest, signature[1..]));
            Assert.False(Verify(key, pss, hash, digest, [.. signature, 0]));
        }
    }

    [Fact]
    public void RsaKeyOfTheSameShapeIsNotConfused()
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signerA = RSA.Create(2048);
        using var signerB = RSA.Create(2048);
        using var keyA = RsaKey(signerA);
        using var keyB = RsaKey(signerB);
        byte[] digest = Digest(HashAlgorithmName.SHA256, Message);
        byte[] byA = signerA.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        byte[] byB = signerB.SignHash(digest, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        Assert.True(keyA.VerifyRsaPss(HashAlgorithmName.SHA256, digest, byA));
        Assert.True(keyB.VerifyRsaPss(HashAlgorithmName.SHA256, digest, byB));
        Assert.False(keyA.VerifyRsaPss(HashAlgorithmName.SHA256, digest, byB));
        Assert.False(keyB.VerifyRsaPss(HashAlgorithmName.SHA256, digest, byA));
    }

    [Fact]
    public void RefusesAPointOffTheCurveAndAnUnsupportedCurve()
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = signer.ExportParameters(false).Q;
        byte[] y = (byte[])q.Y!.Clone();
        y[^1] ^= 1;
        Assert.Null(PublicKeyVerifier.CreateEcdsa(NamedGroup.Secp256r1, q.X, y));
        Assert.Null(PublicKeyVerifier.CreateEcdsa(NamedGroup.X25519, q.X, q.Y));
        Assert.Null(PublicKeyVerifier.CreateEcdsa(NamedGroup.Secp384r1, q.X, q.Y)); // a P-256 point is not on P-384
    }

    [Fact]
    public void ManyThreadsShareOneKey()
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = signer.ExportParameters(false).Q;
        // Default threshold: the table gets built by one of the threads while the others verify.
        using var key = PublicKeyVerifier.CreateEcdsa(NamedGroup.Secp256r1, q.X, q.Y)!;
        byte[] digest = Digest(HashAlgorithmName.SHA256, Message);
        byte[] signature = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        byte[] bad = (byte[])signature.Clone();
        bad[^1] ^= 1;
        int failures = 0;
        Parallel.For(0, 400, i =>
        {
            bool expected = i % 2 == 0;
            if (key.VerifyEcdsa(digest, expected ? signature : bad) != expected)
                Interlocked.Increment(ref failures);
        });
        Assert.Equal(0, failures);
        Assert.True(key.HasPublicPointTable);
    }

    private static int TableMode(bool table) => table ? PublicKeyVerifier.BuildTableNow : PublicKeyVerifier.NeverBuildTable;

    [Fact]
    public void TableIsBuiltOnTheThresholdUseAndResultsDoNotChange()
    {
        if (!PublicKeyVerifier.IsSupported)
            return;
        using var signer = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var q = signer.ExportParameters(false).Q;
        using var key = PublicKeyVerifier.CreateEcdsa(NamedGroup.Secp256r1, q.X, q.Y, tableAfterUses: 5)!;
        byte[] digest = Digest(HashAlgorithmName.SHA256, Message);
        byte[] signature = signer.SignHash(digest, DSASignatureFormat.Rfc3279DerSequence);
        byte[] bad = (byte[])signature.Clone();
        bad[^2] ^= 0x10;
        int uses = 0;
        while (!key.HasPublicPointTable)
        {
            Assert.True(key.VerifyEcdsa(digest, signature), $"use {uses + 1}");
            uses++;
            Assert.True(uses <= 5, "no table after 5 uses");
        }
        Assert.Equal(5, uses);
        for (int i = 0; i < 4; i++)
        {
            Assert.True(key.VerifyEcdsa(digest, signature));
            Assert.False(key.VerifyEcdsa(digest, bad));
        }
    }

    private static bool Verify(PublicKeyVerifier key, bool pss, HashAlgorithmName hash, byte[] digest, byte[] signature) =>
        pss ? key.VerifyRsaPss(hash, digest, signature) : key.VerifyRsaPkcs1(hash, digest, signature);

    private static PublicKeyVerifier EcdsaKey(ECDsa signer, bool table)
    {
        var parameters = signer.ExportParameters(false);
        var curve = signer.KeySize == 256 ? NamedGroup.Secp256r1 : NamedGroup.Secp384r1;
        var key = PublicKeyVerifier.CreateEcdsa(curve, parameters.Q.X, parameters.Q.Y, TableMode(table));
        Assert.NotNull(key);
        Assert.Equal(table, key!.HasPublicPointTable);
        return key;
    }

    private static PublicKeyVerifier RsaKey(RSA signer)
    {
        var parameters = signer.ExportParameters(false);
        var key = PublicKeyVerifier.CreateRsa(parameters.Modulus, parameters.Exponent);
        Assert.NotNull(key);
        Assert.Equal(signer.KeySize / 8, key!.RsaModulusLength);
        return key;
    }

    /// <summary>A Wycheproof "valid" case must verify and an "invalid" one must not ("acceptable" is either).</summary>
    private static void Tally(PlatformVectors.Case v, bool verified, ref int valid, ref int invalid)
    {
        if (v.Result == "valid")
        {
            Assert.True(verified, v.Describe);
            valid++;
        }
        else if (v.Result == "invalid")
        {
            Assert.False(verified, v.Describe);
            invalid++;
        }
    }

    private static byte[] Digest(HashAlgorithmName hash, byte[] data)
    {
        var digest = new byte[64];
        return digest[..Brisk.Crypto.Hashing.Sha2.Hash(hash, data, digest)];
    }

    private static byte[] Hex(JsonElement element, string name) => Convert.FromHexString(element.GetProperty(name).GetString()!);
}
