using System.Security.Cryptography;
using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>
/// What every <see cref="IRsaEngine"/> must do, checked against BigInteger.ModPow. Each engine's test class
/// derives from this and supplies the engine (and a faulty variant).
/// </summary>
public abstract class RsaEngineContractTests
{
    protected abstract IRsaEngine Engine { get; }

    /// <summary>An engine of the same kind that corrupts its results before verification.</summary>
    protected abstract IRsaEngine FaultyEngine { get; }

    public static TheoryData<int> KeySizes => new() { 1024, 2048, 3072, 4096 };

    [Theory]
    [MemberData(nameof(KeySizes))]
    public async Task RandomInputsMatchModPow(int bits)
    {
        var key = RsaTestKeys.Key(bits);
        Assert.True(Engine.Supports(key));
        for (int i = 0; i < 4; i++)
        {
            byte[] input = RsaTestKeys.RandomBelowModulus(key);
            byte[] output = new byte[key.ModulusLength];
            await Engine.PrivateAsync(key, input, output);
            Assert.Equal(RsaTestKeys.ReferencePrivate(key, input), output);
        }
    }

    [Theory]
    [MemberData(nameof(KeySizes))]
    public async Task EdgeInputsMatchModPow(int bits)
    {
        var key = RsaTestKeys.Key(bits);
        int k = key.ModulusLength;
        var inputs = new List<byte[]>
        {
            new byte[k], // 0
            RsaTestKeys.ToBytes(1, k),
            RsaTestKeys.ToBytes(2, k),
            RsaTestKeys.ModulusMinus(key, 1),
            RsaTestKeys.ModulusMinus(key, 2),
            // Leading zero bytes: a value much shorter than the modulus.
            (byte[])[.. new byte[k - 5], 0x01, 0x02, 0x03, 0x04, 0x05],
            (byte[])[.. new byte[1], .. Enumerable.Repeat((byte)0xff, k - 1)],
        };
        // p and q themselves (x ≡ 0 mod one prime) exercise the CRT recombination.
        inputs.Add(RsaMath.ToFixedLength(key.Parameters.P, k));
        inputs.Add(RsaMath.ToFixedLength(key.Parameters.Q, k));
        foreach (byte[] input in inputs)
        {
            byte[] output = new byte[k];
            await Engine.PrivateAsync(key, input, output);
            Assert.Equal(RsaTestKeys.ReferencePrivate(key, input), output);
        }
    }

    [Fact]
    public async Task InputNotBelowModulusIsRejected()
    {
        var key = RsaTestKeys.Key(2048);
        byte[] output = new byte[key.ModulusLength];
        await Assert.ThrowsAsync<ArgumentException>(async () => await Engine.PrivateAsync(key, key.Modulus.ToArray(), output));
        byte[] all = Enumerable.Repeat((byte)0xff, key.ModulusLength).ToArray();
        await Assert.ThrowsAsync<ArgumentException>(async () => await Engine.PrivateAsync(key, all, output));
        await Assert.ThrowsAsync<ArgumentException>(async () => await Engine.PrivateAsync(key, new byte[key.ModulusLength - 1], output));
    }

    [Fact]
    public async Task FaultIsCaughtCountedAndWithheld()
    {
        var key = RsaTestKeys.Key(2048);
        long before = RsaMetrics.VerificationFailuresOf(FaultyEngine.Name);
        byte[] input = RsaTestKeys.RandomBelowModulus(key);
        byte[] output = new byte[key.ModulusLength];
        await Assert.ThrowsAsync<RsaFaultException>(async () => await FaultyEngine.PrivateAsync(key, input, output));
        Assert.True(RsaMetrics.VerificationFailuresOf(FaultyEngine.Name) > before);
        Assert.NotEqual(RsaTestKeys.ReferencePrivate(key, input), output);
    }

    [Fact]
    public async Task ConcurrentCallersOnOneKeyAllGetCorrectResults()
    {
        var key = RsaTestKeys.Key(2048);
        var tasks = Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
        {
            byte[] input = RsaTestKeys.RandomBelowModulus(key);
            byte[] output = new byte[key.ModulusLength];
            await Engine.PrivateAsync(key, input, output);
            return RsaTestKeys.ReferencePrivate(key, input).AsSpan().SequenceEqual(output);
        })).ToArray();
        Assert.All(await Task.WhenAll(tasks), Assert.True);
    }

    [Theory]
    [InlineData("SHA256")]
    [InlineData("SHA384")]
    [InlineData("SHA512")]
    [InlineData("SHA1")]
    public async Task Pkcs1V15SignatureVerifiesWithDotNet(string hashName)
    {
        var hash = new HashAlgorithmName(hashName);
        var (rsa, key) = RsaTestKeys.Get(2048);
        byte[] digest = CryptographicOperations.HashData(hash, "brisk pkcs1"u8);
        byte[] signature = new byte[key.ModulusLength];
        await RsaSignatures.SignPkcs1V15Async(Engine, key, hash, digest, signature);
        Assert.True(rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1));
        digest[0] ^= 1;
        Assert.False(rsa.VerifyHash(digest, signature, hash, RSASignaturePadding.Pkcs1));
    }

    [Theory]
    [InlineData("SHA256", 2048)]
    [InlineData("SHA384", 2048)]
    [InlineData("SHA512", 2048)]
    [InlineData("SHA256", 1024)]
    [InlineData("SHA256", 3072)]
    [InlineData("SHA512", 4096)]
    public async Task PssSignatureVerifiesWithDotNet(string hashName, int bits)
    {
        var hash = new HashAlgorithmName(hashName);
        var (rsa, key) = RsaTestKeys.Get(bits);
        byte[] digest = CryptographicOperations.HashData(hash, "brisk pss"u8);
        byte[] first = new byte[key.ModulusLength];
        byte[] second = new byte[key.ModulusLength];
        await RsaSignatures.SignPssAsync(Engine, key, hash, digest, first);
        await RsaSignatures.SignPssAsync(Engine, key, hash, digest, second);
        Assert.True(rsa.VerifyHash(digest, first, hash, RSASignaturePadding.Pss));
        Assert.True(rsa.VerifyHash(digest, second, hash, RSASignaturePadding.Pss));
        Assert.NotEqual(first, second); // random salt
        digest[^1] ^= 0x80;
        Assert.False(rsa.VerifyHash(digest, first, hash, RSASignaturePadding.Pss));
    }
}

public sealed class SystemRsaEngineTests : RsaEngineContractTests
{
    protected override IRsaEngine Engine => SystemRsaEngine.Instance;

    protected override IRsaEngine FaultyEngine { get; } = new SystemRsaEngine { FaultInjectorForTesting = output => output[^1] ^= 0x01 };
}
