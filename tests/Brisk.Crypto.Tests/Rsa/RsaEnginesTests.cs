using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

public sealed class RsaEnginesTests
{
    [Theory]
    [InlineData("system")]
    [InlineData("multibuffer")]
    [InlineData("native")]
    [InlineData("fiat")]
    public async Task EveryNamedEngineComputesTheSameResultAsSystem(string name)
    {
        var engine = RsaEngines.Create(name, new RsaBatchOptions { MinimumBatch = 1 });
        Assert.NotNull(engine); // this machine has AVX-512 IFMA and builds native/
        Assert.Equal(name, engine!.Name);
        var key = RsaTestKeys.Key(2048);
        byte[] input = RsaTestKeys.RandomBelowModulus(key), output = new byte[key.ModulusLength];
        await engine.PrivateAsync(key, input, output);
        Assert.Equal(RsaTestKeys.ReferencePrivate(key, input), output);
    }

    [Fact]
    public void UnknownNameIsRejected() => Assert.Throws<ArgumentException>(() => RsaEngines.Create("bogus"));

    [Fact]
    public async Task ShortQueueRunsOnTheFallbackEngine()
    {
        // Default MinimumBatch is half the lanes: a lone request goes to system, not into a batch.
        var engine = MultiBufferRsaEngine.Create()!;
        var key = RsaTestKeys.Key(1024);
        long systemBefore = RsaMetrics.OperationsOf("system");
        long batchedBefore = RsaMetrics.OperationsOf(engine.Name);
        byte[] input = RsaTestKeys.RandomBelowModulus(key), output = new byte[key.ModulusLength];
        await engine.PrivateAsync(key, input, output);
        Assert.Equal(RsaTestKeys.ReferencePrivate(key, input), output);
        Assert.True(RsaMetrics.OperationsOf("system") > systemBefore);
        Assert.True(RsaMetrics.OperationsOf(engine.Name) >= batchedBefore);
    }
}
