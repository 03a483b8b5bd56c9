using System.Collections.Concurrent;
using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>
/// <see cref="RsaBatchOptions.HandOff"/>: a caller on an event loop queues its request and returns at once;
/// a thread-pool runner takes what queued up meanwhile as one batch.
/// </summary>
public sealed class BatchHandOffTests
{
    /// <summary>A kernel that records each batch's size and computes every lane with BigInteger.</summary>
    private sealed class RecordingKernel : IRsaBatchKernel
    {
        public readonly ConcurrentQueue<int> BatchSizes = new();
        public readonly ConcurrentQueue<int> ThreadIds = new();
        public ManualResetEventSlim? FirstCallGate;

        public string Name => "recording";
        public int Lanes => 8;
        public int DefaultMinimumBatch => 1;
        public bool Supports(RsaPrivateKey key) => true;
        public object GroupOf(RsaPrivateKey key) => key.ModulusLength;

        public void Compute(ReadOnlySpan<RsaBatchItem> items)
        {
            BatchSizes.Enqueue(items.Length);
            ThreadIds.Enqueue(Environment.CurrentManagedThreadId);
            if (BatchSizes.Count == 1)
                FirstCallGate?.Wait(TimeSpan.FromMinutes(1));
            foreach (var item in items)
            {
                RsaTestKeys.ReferencePrivate(item.Key, item.Input.Span).CopyTo(item.Output);
                item.Verified = true;
            }
        }
    }

    [Fact]
    public async Task RequestsQueuedInOneBurstShareBatchesAndTheCallerNeverComputes()
    {
        using var gate = new ManualResetEventSlim(false);
        var kernel = new RecordingKernel { FirstCallGate = gate };
        // One runner at a time: while the first batch is held at the gate, the rest queue up behind it.
        var engine = new BatchingRsaEngine(kernel, SystemRsaEngine.Instance, new RsaBatchOptions { HandOff = true, MaxRunners = 1 });
        var key = RsaTestKeys.Key(1024);
        var inputs = Enumerable.Range(0, 6).Select(_ => RsaTestKeys.RandomBelowModulus(key)).ToArray();
        var outputs = inputs.Select(_ => new byte[key.ModulusLength]).ToArray();

        // One "event-loop round": six requests issued back to back from one thread that does not wait in
        // between; none may be computed on this thread, and they must end up in fewer than six batches.
        // (A caller that computed its own request would be held at the gate, and its task would be complete
        // by the time PrivateAsync returned.)
        var tasks = new Task[inputs.Length];
        for (int i = 0; i < inputs.Length; i++)
            tasks[i] = engine.PrivateAsync(key, inputs[i], outputs[i]).AsTask();
        Assert.All(tasks, t => Assert.False(t.IsCompleted));
        gate.Set();
        await Task.WhenAll(tasks);

        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(RsaTestKeys.ReferencePrivate(key, inputs[i]), outputs[i]);
        Assert.Equal(inputs.Length, kernel.BatchSizes.Sum());
        Assert.True(kernel.BatchSizes.Count < inputs.Length, $"batches: {string.Join(",", kernel.BatchSizes)}"); // some requests shared a batch
    }

    [Fact]
    public async Task WithoutHandOffTheCallerComputesItsOwnRequest()
    {
        var kernel = new RecordingKernel();
        var engine = new BatchingRsaEngine(kernel, SystemRsaEngine.Instance, new RsaBatchOptions());
        var key = RsaTestKeys.Key(1024);
        byte[] input = RsaTestKeys.RandomBelowModulus(key), output = new byte[key.ModulusLength];
        int callerThread = Environment.CurrentManagedThreadId;
        await engine.PrivateAsync(key, input, output);
        Assert.Equal(RsaTestKeys.ReferencePrivate(key, input), output);
        Assert.Equal([callerThread], kernel.ThreadIds);
    }

    [Fact]
    public async Task ManyConcurrentCallersAllComplete()
    {
        // No request may be stranded between a runner's last look at the queue and its exit.
        var kernel = new RecordingKernel();
        var engine = new BatchingRsaEngine(kernel, SystemRsaEngine.Instance, new RsaBatchOptions { HandOff = true });
        var key = RsaTestKeys.Key(1024);
        var work = Enumerable.Range(0, 400).Select(async _ =>
        {
            await Task.Yield();
            byte[] input = RsaTestKeys.RandomBelowModulus(key), output = new byte[key.ModulusLength];
            await engine.PrivateAsync(key, input, output);
            Assert.Equal(RsaTestKeys.ReferencePrivate(key, input), output);
        });
        var all = Task.WhenAll(work);
        Assert.Same(all, await Task.WhenAny(all, Task.Delay(TimeSpan.FromMinutes(2))));
        await all;
        Assert.Equal(400, kernel.BatchSizes.Sum());
    }
}
