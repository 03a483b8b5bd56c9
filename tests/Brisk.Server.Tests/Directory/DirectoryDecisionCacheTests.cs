using Brisk.Server.ClientDirectory;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>The answer cache: expiry after the TTL, a hard size bound, and off at TTL 0.</summary>
public sealed class DirectoryDecisionCacheTests
{
    private sealed class ManualClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Answers_expire_after_the_ttl()
    {
        var cache = new DirectoryDecisionCache(10, TimeSpan.FromSeconds(60), _clock);
        cache.Add("a", DirectoryOutcome.Listed);
        _clock.Now += TimeSpan.FromSeconds(59);
        Assert.True(cache.TryGet("a", out var outcome));
        Assert.Equal(DirectoryOutcome.Listed, outcome);
        _clock.Now += TimeSpan.FromSeconds(1);
        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Size_is_bounded_and_the_oldest_goes_first()
    {
        var cache = new DirectoryDecisionCache(3, TimeSpan.FromMinutes(5), _clock);
        for (int i = 0; i < 10; i++)
        {
            cache.Add($"k{i}", DirectoryOutcome.NotFound);
            _clock.Now += TimeSpan.FromSeconds(1);
            Assert.True(cache.Count <= 3);
        }
        Assert.False(cache.TryGet("k6", out _));
        Assert.True(cache.TryGet("k7", out _));
        Assert.True(cache.TryGet("k9", out _));
    }

    [Fact]
    public void Replacing_an_answer_renews_it()
    {
        var cache = new DirectoryDecisionCache(3, TimeSpan.FromSeconds(10), _clock);
        cache.Add("a", DirectoryOutcome.NotListed);
        _clock.Now += TimeSpan.FromSeconds(8);
        cache.Add("a", DirectoryOutcome.Listed);
        _clock.Now += TimeSpan.FromSeconds(8);
        Assert.True(cache.TryGet("a", out var outcome));
        Assert.Equal(DirectoryOutcome.Listed, outcome);
        Assert.Equal(1, cache.Count);
    }

    [Theory]
    [InlineData(0, 60)]
    [InlineData(100, 0)]
    public void Zero_size_or_ttl_turns_it_off(int size, int ttlSeconds)
    {
        var cache = new DirectoryDecisionCache(size, TimeSpan.FromSeconds(ttlSeconds), _clock);
        cache.Add("a", DirectoryOutcome.Listed);
        Assert.False(cache.TryGet("a", out _));
    }
}
