using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Threading.Tasks.Sources;

namespace Brisk.Crypto.KeyExchange;

/// <summary>
/// Batches the server's X25519 derivations across handshakes into the 8-lane IFMA kernel
/// (<see cref="NativeX25519MultiBuffer"/>), the way <c>BatchingRsaEngine</c>'s hand-off mode batches RSA.
/// A caller queues its request and, if no runner is scheduled, schedules one on the thread pool; the
/// runner drains the queue up to 8 requests at a time. Nothing ever waits for a batch to fill: requests
/// that queued while the runner was busy (or before it started) form the next batch, and a lone request
/// goes to the scalar kernel at once, which is faster for one than a whole 8-lane call
/// (<see cref="DefaultMinimumBatch"/>; `quick kex` measures the break-even).
/// </summary>
internal sealed class X25519Batcher
{
    /// <summary>
    /// Batches smaller than this run one by one on the scalar kernel. An 8-lane call (whatever its number of
    /// requests) cost 1.35-1.8 scalar derivations on Zen 4 (`quick kex`, row x25519-mb52-lanes-1, three runs;
    /// docs/performance-handshake.md), so two requests already gain.
    /// </summary>
    public const int DefaultMinimumBatch = 2;

    private static readonly Lazy<X25519Batcher?> s_shared = new(() => NativeX25519MultiBuffer.IsAvailable ? new X25519Batcher(DefaultMinimumBatch) : null);

    private readonly ConcurrentQueue<Request> _queue = new();
    private readonly int _minimumBatch;
    private readonly int _maxRunners = Environment.ProcessorCount;
    private int _scheduled;
    private int _runners;

    internal X25519Batcher(int minimumBatch) => _minimumBatch = Math.Clamp(minimumBatch, 1, NativeX25519MultiBuffer.Lanes + 1);

    /// <summary>The process-wide batcher, or null when the 8-lane kernel is not available (then derive synchronously).</summary>
    public static X25519Batcher? Shared => s_shared.Value;

    /// <summary>
    /// Queues X25519(key, peerPublicKey) into sharedSecret[..32]. Completes with false (sharedSecret's first
    /// 32 bytes zero) for a refused peer key (wrong length, all-zero result) or a disposed key; never throws
    /// for bad input. The continuation runs on the thread pool, never inside the runner.
    /// </summary>
    public ValueTask<bool> DeriveAsync(NativeX25519Key key, ReadOnlyMemory<byte> peerPublicKey, Memory<byte> sharedSecret, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
            return ValueTask.FromCanceled<bool>(cancellationToken);
        if (!TryEnqueue(key, peerPublicKey, sharedSecret, out var request))
            return new ValueTask<bool>(false);
        ScheduleRunner();
        return new ValueTask<bool>(request, 0);
    }

    /// <summary>Tests: queue without scheduling a runner, so that <see cref="DrainPending"/> sees a known batch.</summary>
    internal ValueTask<bool> EnqueueWithoutRunner(NativeX25519Key key, ReadOnlyMemory<byte> peerPublicKey, Memory<byte> sharedSecret)
        => TryEnqueue(key, peerPublicKey, sharedSecret, out var request) ? new ValueTask<bool>(request, 0) : new ValueTask<bool>(false);

    /// <summary>Tests: run what is queued on the calling thread.</summary>
    internal void DrainPending() => Drain();

    private bool TryEnqueue(NativeX25519Key key, ReadOnlyMemory<byte> peerPublicKey, Memory<byte> sharedSecret, out Request request)
    {
        // RFC 7748 §5: any 32-byte string is a u-coordinate, so the length is the only syntactic check.
        if (key.IsDisposed || peerPublicKey.Length != NativeX25519.KeyLength || sharedSecret.Length < NativeX25519.KeyLength)
        {
            request = null!;
            return false;
        }
        request = new Request(key, peerPublicKey, sharedSecret[..NativeX25519.KeyLength]);
        _queue.Enqueue(request);
        return true;
    }

    /// <summary>
    /// At most one runner is waiting to start at a time. The flag is cleared when the runner starts, before
    /// it looks at the queue, so a request queued after its last look always schedules another (none is stranded).
    /// </summary>
    private void ScheduleRunner()
    {
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(static batcher =>
            {
                Volatile.Write(ref batcher._scheduled, 0);
                batcher.Drain();
            }, this, preferLocal: false);
    }

    private void Drain()
    {
        Request[]? batch = null;
        while (!_queue.IsEmpty)
        {
            if (Interlocked.Increment(ref _runners) > _maxRunners)
            {
                Interlocked.Decrement(ref _runners);
                return; // a busy runner re-checks the queue before it leaves
            }
            try
            {
                batch ??= new Request[NativeX25519MultiBuffer.Lanes];
                int count = 0;
                while (count < batch.Length && _queue.TryDequeue(out var next))
                    batch[count++] = next;
                if (count > 0)
                    Run(batch.AsSpan(0, count));
                Array.Clear(batch);
            }
            finally
            {
                Interlocked.Decrement(ref _runners);
            }
        }
    }

    private void Run(Span<Request> batch)
    {
        X25519Metrics.RecordBatch(batch.Length);
        try
        {
            if (batch.Length < _minimumBatch)
            {
                foreach (var request in batch)
                {
                    request.Succeeded = !request.Key.IsDisposed
                        && NativeX25519.TryScalarMultiply(request.Output.Span, request.Key.PrivateScalar, request.Peer.Span);
                    if (!request.Succeeded)
                        request.Output.Span.Clear();
                }
                X25519Metrics.RecordDerivations(X25519Metrics.ScalarPath, batch.Length);
            }
            else
            {
                RunLanes(batch);
                X25519Metrics.RecordDerivations(X25519Metrics.LanesPath, batch.Length);
            }
        }
        catch (Exception e)
        {
            // Only a broken library gets here (lengths were checked when queued); no result leaves.
            foreach (var request in batch)
            {
                request.Output.Span.Clear();
                request.Fail(e);
            }
            return;
        }
        // Results first, then completions: each completion only queues its continuation to the thread pool.
        foreach (var request in batch)
            request.Complete();
    }

    private static void RunLanes(Span<Request> batch)
    {
        const int KeyLength = NativeX25519.KeyLength;
        int lanes = batch.Length;
        Span<byte> scalars = stackalloc byte[NativeX25519MultiBuffer.Lanes * KeyLength];
        Span<byte> points = stackalloc byte[NativeX25519MultiBuffer.Lanes * KeyLength];
        Span<byte> outputs = stackalloc byte[NativeX25519MultiBuffer.Lanes * KeyLength];
        try
        {
            for (int i = 0; i < lanes; i++)
            {
                batch[i].Key.PrivateScalar.CopyTo(scalars.Slice(i * KeyLength, KeyLength));
                batch[i].Peer.Span.CopyTo(points.Slice(i * KeyLength, KeyLength));
            }
            int nonZero = NativeX25519MultiBuffer.Compute(outputs, scalars, points, lanes);
            for (int i = 0; i < lanes; i++)
            {
                var request = batch[i];
                // A key disposed while queued gave an empty scalar (its lane computed on zeros): the result is not its key's.
                request.Succeeded = ((nonZero >> i) & 1) == 1 && !request.Key.IsDisposed;
                if (request.Succeeded)
                    outputs.Slice(i * KeyLength, KeyLength).CopyTo(request.Output.Span);
                else
                    request.Output.Span.Clear();
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(scalars);
            CryptographicOperations.ZeroMemory(outputs);
        }
    }

    /// <summary>One queued derivation; its own one-shot awaitable (one allocation per request).</summary>
    private sealed class Request(NativeX25519Key key, ReadOnlyMemory<byte> peer, Memory<byte> output) : IValueTaskSource<bool>
    {
        // Continuations go to the thread pool, not into the runner that still has requests to complete.
        private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };

        public NativeX25519Key Key { get; } = key;
        public ReadOnlyMemory<byte> Peer { get; } = peer;
        public Memory<byte> Output { get; } = output;
        public bool Succeeded { get; set; }

        public void Complete() => _core.SetResult(Succeeded);

        public void Fail(Exception e) => _core.SetException(e);

        public bool GetResult(short token) => _core.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
            => _core.OnCompleted(continuation, state, token, flags);
    }
}

/// <summary>
/// A native X25519 key from <see cref="NativeKeyExchangeProvider.Batched"/>: everything is the wrapped key's,
/// except that <see cref="DeriveSharedSecretAsync"/> goes through the batcher. A wrapper (one small object per
/// handshake) rather than a flag in <see cref="NativeX25519Key"/>, which keeps the key itself synchronous.
/// </summary>
internal sealed class BatchedX25519Key(NativeX25519Key key, X25519Batcher batcher) : IEphemeralKey
{
    public NamedGroup Group => NamedGroup.X25519;

    public ReadOnlySpan<byte> PublicKey => key.PublicKey;

    internal NativeX25519Key Inner => key;

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret) => key.TryDeriveSharedSecret(peerPublicKey, sharedSecret);

    public ValueTask<bool> DeriveSharedSecretAsync(ReadOnlyMemory<byte> peerPublicKey, Memory<byte> sharedSecret, CancellationToken cancellationToken = default)
        => batcher.DeriveAsync(key, peerPublicKey, sharedSecret, cancellationToken);

    public void Dispose() => key.Dispose();
}

/// <summary>
/// X25519 derivation counters on the <see cref="MeterName"/> meter: derivations by path ("mb52" = the 8-lane
/// kernel, "scalar" = a batch too small for it) and requests per batch. Readable directly for tests.
/// </summary>
public static class X25519Metrics
{
    public const string MeterName = "Brisk.Crypto.KeyExchange";
    internal const string LanesPath = "mb52";
    internal const string ScalarPath = "scalar";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> DerivationsCounter = Meter.CreateCounter<long>("brisk.x25519.batched_derivations", description: "X25519 derivations through the batcher, by path (mb52 or scalar).");
    private static readonly Histogram<int> BatchSizeHistogram = Meter.CreateHistogram<int>("brisk.x25519.batch_size", description: "Derivations the batcher took at once.");
    private static long s_lanes;
    private static long s_scalar;

    /// <summary>Derivations computed by the 8-lane kernel in this process.</summary>
    public static long LaneDerivations => Interlocked.Read(ref s_lanes);

    /// <summary>Derivations the batcher sent to the scalar kernel (batches below the minimum).</summary>
    public static long ScalarDerivations => Interlocked.Read(ref s_scalar);

    internal static void RecordDerivations(string path, int count)
    {
        Interlocked.Add(ref path == LanesPath ? ref s_lanes : ref s_scalar, count);
        DerivationsCounter.Add(count, new KeyValuePair<string, object?>("path", path));
    }

    internal static void RecordBatch(int size) => BatchSizeHistogram.Record(size);
}
