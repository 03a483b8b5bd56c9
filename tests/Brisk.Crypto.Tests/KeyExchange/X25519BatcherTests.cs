using Brisk.Crypto.KeyExchange;

namespace Brisk.Crypto.Tests.KeyExchange;

/// <summary>
/// <see cref="X25519Batcher"/> and <see cref="IEphemeralKey.DeriveSharedSecretAsync"/>: concurrent calls get
/// the synchronous path's results, a bad peer key fails only its own request, batches of every size (the
/// scalar path below the minimum, the 8-lane kernel above) complete every request, and the default
/// implementation (libcrypto keys) is the synchronous call.
/// </summary>
public sealed class X25519BatcherTests
{
    private static byte[] LowOrderPoint(int which) => which switch
    {
        0 => new byte[32],                                                                                  // u = 0
        1 => [1, .. new byte[31]],                                                                          // u = 1
        _ => Convert.FromHexString("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),  // u = p - 1
    };

    private static (NativeX25519Key Key, byte[] Peer, byte[]? Expected) MakeCase(int i)
    {
        var key = (NativeX25519Key)NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        byte[] peer;
        if (i % 7 == 3)
        {
            peer = LowOrderPoint(i % 3); // refused: all-zero result
        }
        else
        {
            using var other = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
            peer = other.PublicKey.ToArray();
        }
        var expected = new byte[32];
        bool ok = key.TryDeriveSharedSecret(peer, expected);
        Assert.Equal(i % 7 != 3, ok);
        return (key, peer, ok ? expected : null);
    }

    private static void AssertResult(bool ok, byte[] secret, byte[]? expected, string label)
    {
        if (expected is null)
        {
            Assert.False(ok, label);
            Assert.True(secret.AsSpan().IndexOfAnyExcept((byte)0) < 0, label + ": a refused derive leaves the output zero");
        }
        else
        {
            Assert.True(ok, label);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(secret));
        }
    }

    [Fact]
    public async Task SixtyFourConcurrentDerivationsMatchTheSynchronousPath()
    {
        if (!NativeX25519.IsAvailable)
            return;
        X25519MultiBufferTests.KernelAvailable();
        var cases = Enumerable.Range(0, 64).Select(MakeCase).ToArray();
        try
        {
            var secrets = cases.Select(_ => Enumerable.Repeat((byte)0xA5, 32).ToArray()).ToArray();
            // Started together from the thread pool, so they queue while a runner computes and share batches.
            // Keys as the server's provider hands them out: batched where the 8-lane kernel exists.
            var keys = cases.Select(c => X25519Batcher.Shared is { } batcher ? new BatchedX25519Key(c.Key, batcher) : (IEphemeralKey)c.Key).ToArray();
            var tasks = cases.Select((c, i) => Task.Run(async () =>
                await keys[i].DeriveSharedSecretAsync(c.Peer, secrets[i]).ConfigureAwait(false))).ToArray();
            bool[] results = await Task.WhenAll(tasks);
            for (int i = 0; i < cases.Length; i++)
                AssertResult(results[i], secrets[i], cases[i].Expected, $"request {i}");
        }
        finally
        {
            foreach (var c in cases)
                c.Key.Dispose();
        }
    }

    [Fact]
    public async Task EveryBatchSizeCompletesEveryRequestAndABadKeyFailsOnlyItself()
    {
        if (!X25519MultiBufferTests.KernelAvailable())
            return;
        var batcher = new X25519Batcher(X25519Batcher.DefaultMinimumBatch);
        for (int size = 1; size <= 2 * NativeX25519MultiBuffer.Lanes + 1; size++)
        {
            var cases = Enumerable.Range(size, size).Select(MakeCase).ToArray();
            try
            {
                var secrets = cases.Select(_ => Enumerable.Repeat((byte)0xA5, 32).ToArray()).ToArray();
                long lanesBefore = X25519Metrics.LaneDerivations;
                var pending = cases.Select((c, i) => batcher.EnqueueWithoutRunner(c.Key, c.Peer, secrets[i])).ToArray();
                Assert.All(pending, p => Assert.False(p.IsCompleted));
                batcher.DrainPending();
                for (int i = 0; i < size; i++)
                    AssertResult(await pending[i], secrets[i], cases[i].Expected, $"request {i} of {size}");
                if (size >= X25519Batcher.DefaultMinimumBatch)
                    Assert.True(X25519Metrics.LaneDerivations - lanesBefore >= Math.Min(size, NativeX25519MultiBuffer.Lanes), "the 8-lane kernel was not used");
            }
            finally
            {
                foreach (var c in cases)
                    c.Key.Dispose();
            }
        }
    }

    [Fact]
    public async Task MalformedRequestsFailWithoutQueueing()
    {
        if (!NativeX25519.IsAvailable)
            return;
        var key = NativeKeyExchangeProvider.Batched.Generate(NamedGroup.X25519);
        Assert.Equal(NativeKeyExchangeProvider.Batched.BatchesDerivations, key is BatchedX25519Key);
        using var peer = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        byte[] good = peer.PublicKey.ToArray();
        Assert.False(await key.DeriveSharedSecretAsync(good.AsMemory(0, 31), new byte[32]));
        Assert.False(await key.DeriveSharedSecretAsync(new byte[33], new byte[32]));
        Assert.False(await key.DeriveSharedSecretAsync(good, new byte[31]));
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await key.DeriveSharedSecretAsync(good, new byte[32], cancelled.Token));
        var secret = new byte[32];
        Assert.True(await key.DeriveSharedSecretAsync(good, secret));
        key.Dispose();
        Assert.False(await key.DeriveSharedSecretAsync(good, secret));
    }

    [Fact]
    public void TheUnbatchedProviderDerivesOnTheCallersThread()
    {
        if (!NativeX25519.IsAvailable)
            return;
        // NativeKeyExchangeProvider.Instance (clients, the in-memory handshake benchmark) must complete before
        // returning: its callers rely on the whole handshake step running inside their own call.
        Assert.False(NativeKeyExchangeProvider.Instance.BatchesDerivations);
        using var key = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        using var peer = NativeKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
        Assert.IsType<NativeX25519Key>(key);
        var secret = new byte[32];
        var pending = key.DeriveSharedSecretAsync(peer.PublicKey.ToArray(), secret);
        Assert.True(pending.IsCompletedSuccessfully);
        Assert.True(pending.Result);
        var expected = new byte[32];
        Assert.True(peer.TryDeriveSharedSecret(key.PublicKey, expected));
        Assert.Equal(expected, secret);
        Assert.Same(NativeKeyExchangeProvider.Instance, KeyExchangeProviders.Default);
        Assert.Same(NativeKeyExchangeProvider.Batched, KeyExchangeProviders.ServerDefault);
    }

    [Fact]
    public async Task DisposedWhileQueuedFailsOnlyThatRequest()
    {
        if (!X25519MultiBufferTests.KernelAvailable())
            return;
        var batcher = new X25519Batcher(X25519Batcher.DefaultMinimumBatch);
        var cases = Enumerable.Range(0, 3).Select(i => MakeCase(i)).ToArray();
        var secrets = cases.Select(_ => new byte[32]).ToArray();
        var pending = cases.Select((c, i) => batcher.EnqueueWithoutRunner(c.Key, c.Peer, secrets[i])).ToArray();
        cases[1].Key.Dispose();
        batcher.DrainPending();
        AssertResult(await pending[0], secrets[0], cases[0].Expected, "first");
        AssertResult(await pending[1], secrets[1], null, "disposed");
        AssertResult(await pending[2], secrets[2], cases[2].Expected, "third");
        cases[0].Key.Dispose();
        cases[2].Key.Dispose();
    }

    [Fact]
    public async Task TheDefaultImplementationIsTheSynchronousDerive()
    {
        if (!LibCryptoKeyExchangeProvider.IsLibraryAvailable)
            return;
        var provider = LibCryptoKeyExchangeProvider.Instance;
        foreach (var group in new[] { NamedGroup.X25519, NamedGroup.Secp256r1 })
        {
            using var a = provider.Generate(group);
            using var b = provider.Generate(group);
            var sync = new byte[group.SharedSecretLength()];
            var viaAsync = new byte[group.SharedSecretLength()];
            Assert.True(a.TryDeriveSharedSecret(b.PublicKey, sync));
            Assert.True(await a.DeriveSharedSecretAsync(b.PublicKey.ToArray(), viaAsync));
            Assert.Equal(sync, viaAsync);
            Assert.False(await a.DeriveSharedSecretAsync(new byte[group.PublicKeyLength()], viaAsync));
        }
    }
}
