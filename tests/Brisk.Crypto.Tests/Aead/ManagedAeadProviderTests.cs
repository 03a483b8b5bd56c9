using System.Reflection;
using Brisk.Crypto.Aead;

namespace Brisk.Crypto.Tests.Aead;

public class ManagedAeadProviderTests
{
    [Fact]
    public void SupportedPathsEndWithPortableAndAutoPicksTheFirst()
    {
        Assert.Equal(AeadPath.Portable, ManagedAeadProvider.SupportedPaths[^1]);
        Assert.Equal(ManagedAeadProvider.SupportedPaths[0], ManagedAeadProvider.Create(AeadPath.Auto).Path);
        Assert.Equal("managed", ManagedAeadProvider.Create(AeadPath.Portable).Name);
    }

    [Theory]
    [InlineData("auto", AeadPath.Auto)]
    [InlineData("AVX512", AeadPath.Avx512)]
    [InlineData("avx2", AeadPath.Avx2)]
    [InlineData("aesni", AeadPath.AesNi)]
    [InlineData("portable", AeadPath.Portable)]
    public void PathNamesParse(string name, AeadPath expected)
    {
        Assert.True(ManagedAeadProvider.TryParsePath(name, out var path));
        Assert.Equal(expected, path);
        if (expected != AeadPath.Auto)
            Assert.Equal(name.ToLowerInvariant(), ManagedAeadProvider.PathToName(path));
    }

    [Fact]
    public void EnvironmentVariableSelectsThePath()
    {
        string? saved = Environment.GetEnvironmentVariable(ManagedAeadProvider.PathEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(ManagedAeadProvider.PathEnvironmentVariable, "portable");
            Assert.Equal(AeadPath.Portable, ManagedAeadProvider.PathFromEnvironment());
            Environment.SetEnvironmentVariable(ManagedAeadProvider.PathEnvironmentVariable, null);
            Assert.Equal(AeadPath.Auto, ManagedAeadProvider.PathFromEnvironment());
            Environment.SetEnvironmentVariable(ManagedAeadProvider.PathEnvironmentVariable, "vaes9000");
            Assert.Throws<InvalidOperationException>(() => ManagedAeadProvider.PathFromEnvironment());
        }
        finally
        {
            Environment.SetEnvironmentVariable(ManagedAeadProvider.PathEnvironmentVariable, saved);
        }
    }

    [Fact]
    public void UnknownPathNameIsRejected() => Assert.False(ManagedAeadProvider.TryParsePath("vaes1024", out _));

    [Theory]
    [MemberData(nameof(AeadTestPaths.PathsAndAlgorithms), MemberType = typeof(AeadTestPaths))]
    public void WrongSizesThrowArgumentException(string path, AeadAlgorithm algorithm)
    {
        var provider = AeadTestPaths.Provider(path);
        Assert.Throws<ArgumentException>(() => provider.Create(algorithm, new byte[algorithm.KeySize() - 1]));
        using var aead = provider.Create(algorithm, new byte[algorithm.KeySize()]);
        Assert.Equal(algorithm, aead.Algorithm);
        Assert.Throws<ArgumentException>(() => aead.Seal(new byte[11], new byte[4], new byte[4], new byte[16], default));
        Assert.Throws<ArgumentException>(() => aead.Seal(new byte[12], new byte[4], new byte[5], new byte[16], default));
        Assert.Throws<ArgumentException>(() => aead.Seal(new byte[12], new byte[4], new byte[4], new byte[15], default));
        Assert.Throws<ArgumentException>(() => aead.Open(new byte[12], new byte[4], new byte[12], new byte[4], default));
    }

    [Theory]
    [MemberData(nameof(AeadTestPaths.PathsAndAlgorithms), MemberType = typeof(AeadTestPaths))]
    public void SealAndOpenDoNotAllocate(string path, AeadAlgorithm algorithm)
    {
        var provider = AeadTestPaths.Provider(path);
        using var aead = provider.Create(algorithm, new byte[algorithm.KeySize()]);
        var nonce = new byte[12];
        var buffer = new byte[2000];
        var tag = new byte[16];
        var aad = new byte[13];
        aead.Seal(nonce, buffer, buffer, tag, aad); // warm up (tiering, statics)
        aead.Open(nonce, buffer, tag, buffer, aad);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            aead.Seal(nonce, buffer, buffer, tag, aad);
            Assert.True(aead.Open(nonce, buffer, tag, buffer, aad));
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [MemberData(nameof(AeadTestPaths.PathsAndAlgorithms), MemberType = typeof(AeadTestPaths))]
    public void DisposeZeroesKeyMaterialAndRejectsUse(string path, AeadAlgorithm algorithm)
    {
        var provider = AeadTestPaths.Provider(path);
        var key = Enumerable.Range(1, algorithm.KeySize()).Select(i => (byte)i).ToArray();
        var aead = provider.Create(algorithm, key);
        var field = aead.GetType().GetFields(BindingFlags.NonPublic | BindingFlags.Instance).Single(f => f.FieldType == typeof(SecretBlock));
        // A copy of the block keeps its address after Dispose returns it (SecretMemory never unmaps a slab), so the
        // erased bytes can be read where they lay.
        var material = (SecretBlock)field.GetValue(aead)!;
        Assert.Contains(material.Span.ToArray(), b => b != 0);
        aead.Dispose();
        Assert.All(material.Span.ToArray(), b => Assert.Equal(0, b));
        Assert.True(((SecretBlock)field.GetValue(aead)!).IsEmpty);
        Assert.Throws<ObjectDisposedException>(() => aead.Seal(new byte[12], default, default, new byte[16], default));
    }
}
