using System.Collections.Concurrent;
using Brisk.Crypto;

namespace Brisk.Crypto.Tests;

public sealed class PooledRandomTests
{
    [Fact]
    public void SlicesNeverRepeatAcrossRefills()
    {
        // 100 slices of 32 bytes cross the 1 KiB pool boundary three times; every one must be fresh and non-trivial.
        var seen = new HashSet<string>();
        var slice = new byte[32];
        for (int i = 0; i < 100; i++)
        {
            PooledRandom.Fill(slice);
            Assert.True(seen.Add(Convert.ToHexString(slice)), $"slice {i} repeated");
        }
        Assert.DoesNotContain(Convert.ToHexString(new byte[32]), seen);
    }

    [Fact]
    public void OddSizesAndLargeRequestsAreFilled()
    {
        var large = new byte[1500]; // above MaxPooledRequest: served by the CSPRNG directly
        PooledRandom.Fill(large);
        Assert.NotEqual(new byte[1500], large);
        var seen = new HashSet<string>();
        foreach (int length in new[] { 1, 4, 7, 31, 33, PooledRandom.MaxPooledRequest })
        {
            var a = PooledRandom.GetBytes(length);
            var b = PooledRandom.GetBytes(length);
            Assert.Equal(length, a.Length);
            Assert.True(length < 4 || !a.AsSpan().SequenceEqual(b), $"two draws of {length} bytes were equal");
            if (length >= 16)
                Assert.True(seen.Add(Convert.ToHexString(a)));
        }
    }

    [Fact]
    public void ThreadsDrawDistinctValues()
    {
        var values = new ConcurrentBag<string>();
        Parallel.For(0, 400, _ => values.Add(Convert.ToHexString(PooledRandom.GetBytes(32))));
        Assert.Equal(400, values.Distinct().Count());
    }
}
