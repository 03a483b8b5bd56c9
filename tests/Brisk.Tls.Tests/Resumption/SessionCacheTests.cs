using System.Security.Cryptography;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Tests.Resumption;

public sealed class SessionCacheTests
{
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    private SessionState NewState(TimeSpan lifetime) => new()
    {
        Version = ProtocolVersion.Tls12,
        CipherSuite = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        Secret = RandomNumberGenerator.GetBytes(48),
        ExtendedMasterSecret = true,
        CreatedAt = _clock.GetUtcNow(),
        Lifetime = lifetime,
    };

    [Fact]
    public void Stored_session_is_found_by_its_id_as_a_copy()
    {
        using var cache = new SessionCache(4, _clock);
        var id = RandomNumberGenerator.GetBytes(32);
        var state = NewState(TimeSpan.FromHours(1));
        var secret = state.Secret.ToArray();
        cache.Add(id, state);

        using var found = cache.TryGet(id);
        Assert.NotNull(found);
        Assert.Equal(secret, found.Secret);
        found.Dispose(); // the caller's copy; the cached one stays
        using var again = cache.TryGet(id);
        Assert.Equal(secret, again!.Secret);
        Assert.Null(cache.TryGet(RandomNumberGenerator.GetBytes(32)));
        Assert.Null(cache.TryGet([]));
    }

    [Fact]
    public void Least_recently_used_session_is_evicted_at_capacity()
    {
        using var cache = new SessionCache(2, _clock);
        byte[] a = [1], b = [2], c = [3];
        cache.Add(a, NewState(TimeSpan.FromHours(1)));
        cache.Add(b, NewState(TimeSpan.FromHours(1)));
        cache.TryGet(a)!.Dispose(); // a is now the most recently used
        cache.Add(c, NewState(TimeSpan.FromHours(1)));

        Assert.Equal(2, cache.Count);
        Assert.Null(cache.TryGet(b));
        Assert.NotNull(cache.TryGet(a));
        Assert.NotNull(cache.TryGet(c));
    }

    [Fact]
    public void Expired_session_is_not_returned_and_is_removed()
    {
        using var cache = new SessionCache(4, _clock);
        byte[] id = [7];
        cache.Add(id, NewState(TimeSpan.FromMinutes(5)));
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(cache.TryGet(id));
        Assert.Equal(0, cache.Count);
    }
}
