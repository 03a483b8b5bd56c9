using System.Collections.Concurrent;
using System.Diagnostics;

namespace Brisk.Crypto.Rsa;

/// <summary>Batching policy for <see cref="BatchingRsaEngine"/>.</summary>
public sealed record RsaBatchOptions
{
    /// <summary>
    /// How long a runner may wait for more requests to fill its lanes (option <c>rsa-batch-wait</c>).
    /// Zero (the default) never waits: batches form only from requests that queued up while every runner
    /// was busy, so an idle server answers with single-request latency.
    /// </summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// Fewer pending requests than this run one by one on the fallback (lowest-latency) engine instead of
    /// occupying a whole batch. Default (-1): the kernel's choice — half its lanes for the
    /// multi-buffer kernels, since a batch of 8 costs about as much as 8 / (speed-up) single operations;
    /// 2 for Fiat, where two requests for two keys of a family already cost less than two operations.
    /// </summary>
    public int MinimumBatch { get; init; } = -1;

    /// <summary>
    /// The caller never computes: it queues its request and makes sure a runner is scheduled on the thread
    /// pool. Meant for callers on an event loop (the server's inline socket completions): the loop goes on
    /// with the other ready connections, whose requests join the queue, and the runner then takes them as
    /// one batch — batches form from one round of socket events without any waiting. Off by default: a
    /// thread-pool caller is better served by computing at once.
    /// </summary>
    public bool HandOff { get; init; }

    /// <summary>Concurrent batch runners per queue; default: the processor count.</summary>
    public int MaxRunners { get; init; } = Environment.ProcessorCount;
}

/// <summary>
/// An <see cref="IRsaEngine"/> that feeds a batch kernel. One queue per batch group (modulus length, or
/// the shared modulus for Fiat). The calling thread enqueues its request and, if fewer than
/// <see cref="RsaBatchOptions.MaxRunners"/> runners are active on the queue, becomes one: it drains up to
/// <c>Lanes</c> requests, computes them and completes them, until the queue is empty. Requests arriving
/// while all runners are busy wait in the queue and fill the next batch. A short queue never waits
/// (unless <see cref="RsaBatchOptions.MaxWait"/> says so) and runs on the fallback engine.
/// </summary>
public sealed class BatchingRsaEngine : IRsaEngine
{
    private readonly IRsaBatchKernel _kernel;
    private readonly IRsaEngine _fallback;
    private readonly RsaBatchOptions _options;
    private readonly int _minimumBatch;
    private readonly ConcurrentDictionary<object, BatchQueue> _queues = new();

    internal BatchingRsaEngine(IRsaBatchKernel kernel, IRsaEngine fallback, RsaBatchOptions? options)
    {
        _kernel = kernel;
        _fallback = fallback;
        _options = options ?? new RsaBatchOptions();
        _minimumBatch = _options.MinimumBatch >= 1 ? Math.Min(_options.MinimumBatch, kernel.Lanes) : Math.Clamp(kernel.DefaultMinimumBatch, 1, kernel.Lanes);
    }

    public string Name => _kernel.Name;

    /// <summary>Requests per kernel call at most.</summary>
    public int Lanes => _kernel.Lanes;

    internal IRsaBatchKernel Kernel => _kernel;

    public bool Supports(RsaPrivateKey key) => _kernel.Supports(key);

    public ValueTask PrivateAsync(RsaPrivateKey key, ReadOnlyMemory<byte> input, Memory<byte> output, CancellationToken cancellationToken = default)
        => PrivateAsync(key, input, output, injectFault: false, cancellationToken);

    internal ValueTask PrivateAsync(RsaPrivateKey key, ReadOnlyMemory<byte> input, Memory<byte> output, bool injectFault, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled(cancellationToken);
        int k = key.ModulusLength;
        if (input.Length != k || output.Length != k)
            return ValueTask.FromException(new ArgumentException($"Input and output must be {k} bytes (the modulus length)."));
        if (!RsaMath.IsLessThanModulus(input.Span, key.Modulus))
            return ValueTask.FromException(new ArgumentException("The input is not less than the modulus.", nameof(input)));
        if (!_kernel.Supports(key))
            return _fallback.PrivateAsync(key, input, output, cancellationToken);

        var pending = new Pending(new RsaBatchItem(key, input, output) { InjectFault = injectFault });
        var queue = _queues.GetOrAdd(_kernel.GroupOf(key), static _ => new BatchQueue());
        queue.Items.Enqueue(pending);
        if (_options.HandOff)
            ScheduleRunner(queue);
        else
            Drain(queue);
        return new ValueTask(pending.Completion.Task);
    }

    /// <summary>
    /// Hand-off mode: at most one drain is scheduled on the thread pool per queue at a time. The flag is
    /// cleared before the drain starts, so a request enqueued after the runner's last look at the queue
    /// always schedules another one (none is stranded).
    /// </summary>
    private void ScheduleRunner(BatchQueue queue)
    {
        if (Interlocked.CompareExchange(ref queue.Scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static state =>
            {
                var (engine, q) = state;
                Volatile.Write(ref q.Scheduled, 0);
                engine.Drain(q);
            }, (this, queue), preferLocal: false);
    }

    private void Drain(BatchQueue queue)
    {
        var batch = new Pending[_kernel.Lanes];
        while (!queue.Items.IsEmpty)
        {
            if (Interlocked.Increment(ref queue.Runners) > _options.MaxRunners)
            {
                Interlocked.Decrement(ref queue.Runners);
                return; // a busy runner re-checks the queue before it leaves
            }
            try
            {
                int count = Take(queue, batch, 0);
                if (count > 0 && count < batch.Length && _options.MaxWait > TimeSpan.Zero)
                {
                    long deadline = Stopwatch.GetTimestamp() + (long)(_options.MaxWait.TotalSeconds * Stopwatch.Frequency);
                    var spinner = new SpinWait();
                    while (count < batch.Length && Stopwatch.GetTimestamp() < deadline)
                    {
                        spinner.SpinOnce(sleep1Threshold: -1);
                        count = Take(queue, batch, count);
                    }
                }
                if (count > 0)
                    Run(batch.AsSpan(0, count));
            }
            finally
            {
                Interlocked.Decrement(ref queue.Runners);
            }
        }
    }

    private static int Take(BatchQueue queue, Pending[] batch, int count)
    {
        while (count < batch.Length && queue.Items.TryDequeue(out var next))
            batch[count++] = next;
        return count;
    }

    private void Run(Span<Pending> batch)
    {
        long now = Stopwatch.GetTimestamp();
        foreach (var pending in batch)
            RsaMetrics.RecordQueueWait(Stopwatch.GetElapsedTime(pending.Enqueued, now));

        if (batch.Length < _minimumBatch)
        {
            // Too few to pay for a whole batch: the fallback engine answers each with lower latency.
            foreach (var pending in batch)
            {
                var item = pending.Item;
                try
                {
                    var task = _fallback.PrivateAsync(item.Key, item.Input, item.Output);
                    if (task.IsCompletedSuccessfully)
                        pending.Completion.TrySetResult();
                    else
                        _ = CompleteLater(task, pending);
                }
                catch (Exception e)
                {
                    pending.Completion.TrySetException(e);
                }
            }
            return;
        }

        var items = new RsaBatchItem[batch.Length];
        for (int i = 0; i < batch.Length; i++)
            items[i] = batch[i].Item;
        RsaMetrics.RecordBatch(_kernel.Name, items.Length);
        try
        {
            _kernel.Compute(items);
        }
        catch (Exception e)
        {
            foreach (var pending in batch)
            {
                pending.Item.Output.Span.Clear();
                pending.Completion.TrySetException(e);
            }
            return;
        }
        int verified = 0;
        foreach (var pending in batch)
        {
            if (pending.Item.Verified)
            {
                verified++;
                pending.Completion.TrySetResult();
            }
            else
            {
                pending.Item.Output.Span.Clear();
                RsaMetrics.RecordFault(_kernel.Name);
                pending.Completion.TrySetException(new RsaFaultException($"RSA engine '{_kernel.Name}': the private result failed verification with the public key; the result was withheld."));
            }
        }
        RsaMetrics.RecordOperations(_kernel.Name, verified);
    }

    private static async Task CompleteLater(ValueTask task, Pending pending)
    {
        try
        {
            await task.ConfigureAwait(false);
            pending.Completion.TrySetResult();
        }
        catch (Exception e)
        {
            pending.Completion.TrySetException(e);
        }
    }

    private sealed class BatchQueue
    {
        public readonly ConcurrentQueue<Pending> Items = new();
        public int Runners;
        public int Scheduled;
    }

    private sealed class Pending(RsaBatchItem item)
    {
        public RsaBatchItem Item { get; } = item;
        public long Enqueued { get; } = Stopwatch.GetTimestamp();

        // Continuations run on the thread pool, not inside the runner that still has a batch to finish.
        public TaskCompletionSource Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
