using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto;

namespace Brisk.Crypto.Tests.KeyExchange;

/// <summary>
/// Brisk's own X25519 kernel (native/src/x25519.c) through <see cref="NativeKeyExchangeProvider"/>: the
/// RFC 7748 vectors, all of Wycheproof's x25519_test.json, the fixed-base method against the ladder, and
/// agreement with libcrypto's X25519. The build compiles native/ when cmake and a C compiler exist; under
/// CI=true these tests require the library, elsewhere they return early without it.
/// </summary>
public sealed class NativeX25519Tests
{
    private static readonly bool InCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    private static bool LibraryBuilt => File.Exists(Path.Combine(AppContext.BaseDirectory, "libbrisk_native.so"));

    /// <summary>True when the kernel can be tested here; fails under CI=true when it cannot.</summary>
    private static bool NativeAvailable()
    {
        if (InCi)
            Assert.True(NativeX25519.IsAvailable, "libbrisk_native.so with X25519 is required under CI=true");
        return NativeX25519.IsAvailable;
    }

    private static string Multiply(string scalarHex, string uHex)
    {
        var output = new byte[32];
        Assert.True(NativeX25519.TryScalarMultiply(output, Convert.FromHexString(scalarHex), Convert.FromHexString(uHex)));
        return Convert.ToHexString(output).ToLowerInvariant();
    }

    [Fact]
    public void AvailableExactlyWhenTheLibraryIsBuilt()
    {
        if (InCi)
            Assert.True(LibraryBuilt, "libbrisk_native.so was not built (cmake and a C compiler are part of the CI image)");
        Assert.Equal(LibraryBuilt, NativeX25519.IsAvailable);
        Assert.Equal(LibraryBuilt, NativeKeyExchangeProvider.IsLibraryAvailable);
    }

    [Theory]
    // RFC 7748 §5.2, the two single-multiplication vectors (the second has bit 255 of u set, which must be ignored).
    [InlineData("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
                "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
                "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552")]
    [InlineData("4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d",
                "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493",
                "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957")]
    public void Rfc7748Section52Vectors(string scalar, string u, string expected)
    {
        if (!NativeAvailable())
            return;
        Assert.Equal(expected, Multiply(scalar, u));
    }

    [Theory]
    // RFC 7748 §5.2, iterated: k = u = 9, then repeatedly u = old k, k = X25519(k, u).
    [InlineData(1, "422c8e7a6227d7bca1350b3e2bb7279f7897b87bb6854b783c60e80311ae3079")]
    [InlineData(1000, "684cf59ba83309552800ef566f2f4d3c1c3887c49360e3875f2eb94d99532c51")]
    public void Rfc7748Section52Iterated(int iterations, string expected)
    {
        if (!NativeAvailable())
            return;
        var k = new byte[32];
        var u = new byte[32];
        var next = new byte[32];
        k[0] = 9;
        u[0] = 9;
        for (int i = 0; i < iterations; i++)
        {
            Assert.True(NativeX25519.TryScalarMultiply(next, k, u));
            k.CopyTo(u, 0);
            next.CopyTo(k, 0);
        }
        Assert.Equal(expected, Convert.ToHexString(k).ToLowerInvariant());
    }

    [Fact]
    public void Rfc7748Section61AliceAndBob()
    {
        if (!NativeAvailable())
            return;
        using var alice = NativeKeyExchangeProvider.ImportX25519(Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"));
        using var bob = NativeKeyExchangeProvider.ImportX25519(Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"));
        Assert.Equal("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A", Convert.ToHexString(alice.PublicKey));
        Assert.Equal("DE9EDB7D7B7DC1B4D35B61C2ECE435373F8343C85B78674DADFC7E146F882B4F", Convert.ToHexString(bob.PublicKey));
        var fromAlice = new byte[32];
        var fromBob = new byte[32];
        Assert.True(alice.TryDeriveSharedSecret(bob.PublicKey, fromAlice));
        Assert.True(bob.TryDeriveSharedSecret(alice.PublicKey, fromBob));
        Assert.Equal("4A5D9D5BA4CE2DE1728E3BF480350F25E07E21C947D19E3376F09B3C1E161742", Convert.ToHexString(fromAlice));
        Assert.Equal(fromAlice, fromBob);
    }

    [Fact]
    public void MatchesAllOfWycheproof()
    {
        if (!NativeAvailable())
            return;
        var (total, agreed, rejected) = PlatformVectors.CheckX25519(privateKey => NativeKeyExchangeProvider.ImportX25519(privateKey));
        Assert.True(total > 500, $"only {total} vectors read");
        Assert.True(rejected >= 30, $"only {rejected} rejections checked");
        Assert.Equal(total - rejected, agreed);
    }

    [Fact]
    public void FixedBaseEqualsTheLadderWithNine()
    {
        if (!NativeAvailable())
            return;
        var scalars = new List<byte[]> { new byte[32], Enumerable.Repeat((byte)0xFF, 32).ToArray(), Enumerable.Repeat((byte)0x80, 32).ToArray() };
        for (int i = 0; i < 500; i++)
            scalars.Add(RandomNumberGenerator.GetBytes(32));
        var fixedBase = new byte[32];
        var ladder = new byte[32];
        var nine = new byte[32];
        nine[0] = 9;
        var general = new byte[32];
        foreach (byte[] scalar in scalars)
        {
            Assert.True(NativeX25519.TryPublicKey(fixedBase, scalar));
            Assert.True(NativeX25519.TryPublicKeyByLadder(ladder, scalar));
            Assert.True(NativeX25519.TryScalarMultiply(general, scalar, nine));
            Assert.Equal(Convert.ToHexString(ladder), Convert.ToHexString(fixedBase));
            Assert.Equal(ladder, general);
        }
    }

    [Fact]
    public void AgreesWithLibCryptoBothWays()
    {
        if (!NativeAvailable())
            return;
        var native = NativeKeyExchangeProvider.Instance;
        var libcrypto = LibCryptoKeyExchangeProvider.Instance;
        var ours = new byte[32];
        var theirs = new byte[32];
        for (int i = 0; i < 200; i++)
        {
            using var a = native.Generate(NamedGroup.X25519);
            using var b = libcrypto.Generate(NamedGroup.X25519);
            Assert.True(a.TryDeriveSharedSecret(b.PublicKey, ours));
            Assert.True(b.TryDeriveSharedSecret(a.PublicKey, theirs));
            Assert.Equal(Convert.ToHexString(theirs), Convert.ToHexString(ours));
        }
    }

    [Fact]
    public void GeneratedKeysDifferAndAgree()
    {
        if (!NativeAvailable())
            return;
        using var a = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        using var b = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        Assert.Equal(NamedGroup.X25519, a.Group);
        Assert.Equal(32, a.PublicKey.Length);
        Assert.False(a.PublicKey.SequenceEqual(b.PublicKey));
        var s1 = new byte[32];
        var s2 = new byte[32];
        Assert.True(a.TryDeriveSharedSecret(b.PublicKey, s1));
        Assert.True(b.TryDeriveSharedSecret(a.PublicKey, s2));
        Assert.Equal(s1, s2);
        Assert.NotEqual(new byte[32], s1);
    }

    [Fact]
    public void MalformedOrLowOrderPeerKeysReturnFalse()
    {
        if (!NativeAvailable())
            return;
        using var key = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        using var peer = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        byte[] good = peer.PublicKey.ToArray();
        var secret = new byte[32];

        Assert.False(key.TryDeriveSharedSecret([], secret));
        Assert.False(key.TryDeriveSharedSecret(good.AsSpan(0, 31), secret));
        Assert.False(key.TryDeriveSharedSecret([.. good, 0], secret));
        Assert.False(key.TryDeriveSharedSecret(new byte[65], secret));
        Assert.False(key.TryDeriveSharedSecret(good, new byte[31]));
        // u = 0, u = 1 and u = p - 1 (= -1) have small order: the result is all zero (RFC 7748 §6.1).
        byte[] one = new byte[32];
        one[0] = 1;
        byte[] minusOne = Convert.FromHexString("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f");
        foreach (byte[] lowOrder in new[] { new byte[32], one, minusOne })
        {
            secret.AsSpan().Fill(0xA5);
            Assert.False(key.TryDeriveSharedSecret(lowOrder, secret));
            Assert.Equal(new byte[32], secret);
        }
        Assert.True(key.TryDeriveSharedSecret(good, secret));
    }

    [Fact]
    public void TopBitOfThePeerKeyIsIgnored()
    {
        if (!NativeAvailable())
            return;
        using var key = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        using var peer = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        byte[] withTopBit = peer.PublicKey.ToArray();
        withTopBit[31] |= 0x80;
        var plain = new byte[32];
        var masked = new byte[32];
        Assert.True(key.TryDeriveSharedSecret(peer.PublicKey, plain));
        Assert.True(key.TryDeriveSharedSecret(withTopBit, masked));
        Assert.Equal(plain, masked);
    }

    [Fact]
    public void DisposedKeyReturnsFalse()
    {
        if (!NativeAvailable())
            return;
        var key = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        using var peer = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        byte[] publicKey = key.PublicKey.ToArray();
        key.Dispose();
        key.Dispose();
        Assert.False(key.TryDeriveSharedSecret(peer.PublicKey, new byte[32]));
        // The key pair's block went back to SecretMemory erased: nothing of it is readable through the old key.
        Assert.True(key.PublicKey.IsEmpty);
        Assert.Equal(32, publicKey.Length);
    }

    [Fact]
    public void ServesManyThreadsAtOnce()
    {
        if (!NativeAvailable())
            return;
        // Per-thread random pools and the once-built fixed-base table under concurrency: every pair must agree
        // and no public key may repeat.
        int failures = 0;
        var publicKeys = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        Parallel.For(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            using var a = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
            using var b = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
            var s1 = new byte[32];
            var s2 = new byte[32];
            if (!a.TryDeriveSharedSecret(b.PublicKey, s1) || !b.TryDeriveSharedSecret(a.PublicKey, s2) || !s1.AsSpan().SequenceEqual(s2) ||
                !publicKeys.TryAdd(Convert.ToHexString(a.PublicKey), true) || !publicKeys.TryAdd(Convert.ToHexString(b.PublicKey), true))
                Interlocked.Increment(ref failures);
        });
        Assert.Equal(0, failures);
        Assert.Equal(400, publicKeys.Count);
    }

    [Fact]
    public void NistGroupsAreDelegatedToLibCrypto()
    {
        var provider = NativeKeyExchangeProvider.Instance;
        Assert.Equal("native", provider.Name);
        Assert.False(provider.IsSupported((NamedGroup)0x0019));
        foreach (var group in new[] { NamedGroup.Secp256r1, NamedGroup.Secp384r1 })
        {
            Assert.True(provider.IsSupported(group));
            using var a = provider.Generate(group);
            using var b = LibCryptoKeyExchangeProvider.Instance.Generate(group);
            var s1 = new byte[group.SharedSecretLength()];
            var s2 = new byte[group.SharedSecretLength()];
            Assert.True(a.TryDeriveSharedSecret(b.PublicKey, s1));
            Assert.True(b.TryDeriveSharedSecret(a.PublicKey, s2));
            Assert.Equal(s1, s2);
        }
        Assert.Equal(NativeX25519.IsAvailable, provider.IsSupported(NamedGroup.X25519));
    }

    [Fact]
    public void DefaultPrefersNativeAndFallsBack()
    {
        Assert.Same(NativeKeyExchangeProvider.Instance, KeyExchangeProviders.Select(nativeX25519Available: true, libCryptoAvailable: true));
        Assert.Same(LibCryptoKeyExchangeProvider.Instance, KeyExchangeProviders.Select(nativeX25519Available: false, libCryptoAvailable: true));
        Assert.Same(SystemKeyExchangeProvider.Instance, KeyExchangeProviders.Select(nativeX25519Available: false, libCryptoAvailable: false));

        IKeyExchangeProvider expected = NativeX25519.IsAvailable ? NativeKeyExchangeProvider.Instance : LibCryptoKeyExchangeProvider.Instance;
        Assert.Same(expected, KeyExchangeProviders.Default);
        Assert.Same(NativeX25519.IsAvailable ? NativeKeyExchangeProvider.Instance : null, KeyExchangeProviders.ByName("native"));
        Assert.True(KeyExchangeProviders.Default.IsSupported(NamedGroup.X25519));
    }
}
