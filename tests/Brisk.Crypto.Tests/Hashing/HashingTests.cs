using System.Security.Cryptography;
using Brisk.Crypto.Hashing;
using Brisk.Crypto.Tests.KeyExchange;

namespace Brisk.Crypto.Tests.Hashing;

public class HashingTests
{
    [Theory]
    [InlineData(HashKind.Sha256, "hmac_sha256_test.json", true)]
    [InlineData(HashKind.Sha384, "hmac_sha384_test.json", true)]
    [InlineData(HashKind.Sha256, "hmac_sha256_test.json", false)]
    [InlineData(HashKind.Sha384, "hmac_sha384_test.json", false)]
    public void HmacMatchesWycheproof(HashKind kind, string file, bool libCrypto)
    {
        int valid = 0, invalid = 0;
        var tag = new byte[kind.HashLength()];
        foreach (var v in PlatformVectors.Load(file))
        {
            byte[] key = v.Hex("key"), message = v.Hex("msg"), expected = v.Hex("tag");
            int written = libCrypto
                ? Hmac.Compute(kind, key, message, tag)
                : Hmac.ComputeSystem(kind, key, message, [], [], tag);
            Assert.Equal(kind.HashLength(), written);
            // Wycheproof also lists truncated tags: compare the prefix of the tag size under test.
            bool matches = tag.AsSpan(0, expected.Length).SequenceEqual(expected);
            if (v.Result == "valid")
            {
                Assert.True(matches, v.Describe);
                valid++;
            }
            else
            {
                Assert.False(matches, v.Describe);
                invalid++;
            }
        }
        Assert.True(valid > 50 && invalid > 50, $"{valid} valid, {invalid} invalid");
    }

    [Theory]
    [InlineData(HashKind.Sha256)]
    [InlineData(HashKind.Sha384)]
    public void HmacAgreesWithDotNetForKeyAndMessageLengths(HashKind kind)
    {
        var ours = new byte[kind.HashLength()];
        foreach (int keyLength in new[] { 0, 1, 31, 32, 48, 63, 64, 65, 127, 128, 129, 300 })
        {
            foreach (int messageLength in new[] { 0, 1, 55, 64, 200, 1023, 1025, 5000 })
            {
                byte[] key = RandomNumberGenerator.GetBytes(keyLength), message = RandomNumberGenerator.GetBytes(messageLength);
                byte[] expected = kind == HashKind.Sha256 ? HMACSHA256.HashData(key, message) : HMACSHA384.HashData(key, message);
                Hmac.Compute(kind, key, message, ours);
                Assert.Equal(expected, ours);
                // The split-input overload hashes the concatenation.
                int cut1 = messageLength / 3, cut2 = 2 * messageLength / 3;
                Array.Clear(ours);
                Hmac.Compute(kind, key, message.AsSpan(0, cut1), message.AsSpan(cut1, cut2 - cut1), message.AsSpan(cut2), ours);
                Assert.Equal(expected, ours);
            }
        }
    }

    [Theory]
    [InlineData(HashKind.Sha256, "hkdf_sha256_test.json")]
    [InlineData(HashKind.Sha384, "hkdf_sha384_test.json")]
    public void HkdfMatchesWycheproof(HashKind kind, string file)
    {
        int valid = 0, tooLarge = 0;
        var prk = new byte[kind.HashLength()];
        foreach (var v in PlatformVectors.Load(file))
        {
            int size = v.Test.GetProperty("size").GetInt32();
            var okm = new byte[size];
            Hkdf.Extract(kind, v.Hex("salt"), v.Hex("ikm"), prk);
            if (v.Result == "valid")
            {
                Hkdf.Expand(kind, prk, v.Hex("info"), okm);
                Assert.Equal(Convert.ToHexString(v.Hex("okm")), Convert.ToHexString(okm));
                // Cross-check with .NET's HKDF (independent HMAC loop).
                Assert.Equal(okm, HKDF.DeriveKey(kind.ToHashAlgorithmName(), v.Hex("ikm"), size, v.Hex("salt"), v.Hex("info")));
                valid++;
            }
            else
            {
                Assert.Throws<ArgumentException>(() => Hkdf.Expand(kind, prk, v.Hex("info"), okm));
                tooLarge++;
            }
        }
        Assert.True(valid > 70 && tooLarge > 0, $"{valid} valid, {tooLarge} too large");
    }

    [Fact]
    public void HkdfRfc5869TestCase3ZeroLengthSaltAndInfo()
    {
        // RFC 5869 Appendix A.3.
        byte[] ikm = Convert.FromHexString("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b");
        var prk = new byte[32];
        Hkdf.Extract(HashKind.Sha256, [], ikm, prk);
        Assert.Equal("19EF24A32C717B167F33A91D6F648BDF96596776AFDB6377AC434C1C293CCB04", Convert.ToHexString(prk));
        var okm = new byte[42];
        Hkdf.Expand(HashKind.Sha256, prk, [], okm);
        Assert.Equal("8DA4E775A563C18F715F802A063C5A31B8A11F5C5EE1879EC3454E5F3C738D2D9D201395FAA4B61A96C8", Convert.ToHexString(okm));
    }

    [Theory]
    [InlineData(HashKind.Sha256, true)]
    [InlineData(HashKind.Sha384, true)]
    [InlineData(HashKind.Sha256, false)]
    [InlineData(HashKind.Sha384, false)]
    public void TranscriptHashTracksEveryPrefix(HashKind kind, bool libCrypto)
    {
        using var transcript = new TranscriptHash(kind, libCrypto);
        Assert.Equal(libCrypto, transcript.IsLibCrypto);
        var all = new List<byte>();
        var current = new byte[kind.HashLength()];
        TranscriptHash? fork = null;
        byte[]? forkPrefix = null;
        foreach (int length in new[] { 0, 4, 38, 512, 1024, 1025, 3000, 64, 1, 127, 128, 129 })
        {
            byte[] message = RandomNumberGenerator.GetBytes(length);
            transcript.Append(message);
            all.AddRange(message);
            Assert.Equal(kind.HashLength(), transcript.GetCurrentHash(current));
            Assert.Equal(Reference(kind, all.ToArray()), current);
            // Reading twice must not disturb the running state.
            transcript.GetCurrentHash(current);
            Assert.Equal(Reference(kind, all.ToArray()), current);
            if (length == 3000)
            {
                fork = transcript.Clone();
                forkPrefix = all.ToArray();
            }
        }
        using (fork)
        {
            fork!.Append("hrr"u8);
            fork.GetCurrentHash(current);
            Assert.Equal(Reference(kind, [.. forkPrefix!, .. "hrr"u8.ToArray()]), current);
            transcript.GetCurrentHash(current);
            Assert.Equal(Reference(kind, all.ToArray()), current);
        }
    }

    private static byte[] Reference(HashKind kind, byte[] data) => kind == HashKind.Sha256 ? SHA256.HashData(data) : SHA384.HashData(data);
}

public class Sha2Tests
{
    [Theory]
    [InlineData(HashKind.Sha256)]
    [InlineData(HashKind.Sha384)]
    public void OneShotAgreesWithDotNet(HashKind kind)
    {
        var ours = new byte[kind.HashLength()];
        foreach (int length in new[] { 0, 1, 32, 55, 56, 64, 111, 112, 128, 200, 1024, 1025, 10000 })
        {
            byte[] data = RandomNumberGenerator.GetBytes(length);
            Assert.Equal(kind.HashLength(), Sha2.Hash(kind, data, ours));
            Assert.Equal(kind == HashKind.Sha256 ? SHA256.HashData(data) : SHA384.HashData(data), ours);
        }
    }

    [Fact]
    public void KnownAnswerAbc()
    {
        // FIPS 180-2 Appendix B.1 / D.1.
        var digest = new byte[48];
        Sha2.Hash(HashKind.Sha256, "abc"u8, digest);
        Assert.Equal("BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD", Convert.ToHexString(digest, 0, 32));
        Sha2.Hash(HashKind.Sha384, "abc"u8, digest);
        Assert.Equal("CB00753F45A35E8BB5A03D699AC65007272C32AB0EDED1631A8B605A43FF5BED8086072BA1E7CC2358BAECA134C825A7", Convert.ToHexString(digest));
    }
}

public class TranscriptHashLifetimeTests
{
    [Fact]
    public void UseAfterDisposeThrows()
    {
        var transcript = new TranscriptHash(HashKind.Sha256);
        transcript.Dispose();
        Assert.Throws<ObjectDisposedException>(() => transcript.Append([1]));
        Assert.Throws<ObjectDisposedException>(() => transcript.GetCurrentHash(new byte[32]));
    }
}
