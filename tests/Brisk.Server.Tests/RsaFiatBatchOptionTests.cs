using Brisk.Crypto.Rsa;
using Brisk.Server.Hosting;

namespace Brisk.Server.Tests;

/// <summary>--rsa-fiat-batch reaches the Fiat engine: its lanes are the root kernel's lanes times the batch size.</summary>
public sealed class RsaFiatBatchOptionTests
{
    [Fact]
    public void Fiat_batch_size_sets_the_engine_lanes()
    {
        var engine4 = Assert.IsType<BatchingRsaEngine>(ServerConfiguration.Build(new BriskServerOptions { RsaEngine = "fiat", RsaFiatBatch = 4 }).RsaEngine);
        var engine8 = Assert.IsType<BatchingRsaEngine>(ServerConfiguration.Build(new BriskServerOptions { RsaEngine = "fiat" }).RsaEngine);
        Assert.Equal(0, engine4.Lanes % 4);
        Assert.Equal(2 * engine4.Lanes, engine8.Lanes); // the default is 8 keys per root
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void Out_of_range_fiat_batch_is_refused(int size)
    {
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(new BriskServerOptions { RsaEngine = "fiat", RsaFiatBatch = size }));
        Assert.StartsWith("RsaFiatBatch:", error.Message);
    }
}
