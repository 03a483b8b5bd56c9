using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Brisk.LoadTest.Engines;

namespace Brisk.LoadTest;

/// <summary>One sample of the live progress (once per second).</summary>
internal sealed record ProgressSnapshot(string Phase, double ElapsedSeconds, double HandshakesPerSecond, long Handshakes,
    long Errors, IReadOnlyDictionary<string, long> ErrorsByKind, double P50Ms, double P99Ms, double BytesPerSecond);

/// <summary>Figures of the measured window, before formatting.</summary>
internal sealed record MeasuredWindow(RunStats Stats, double WallSeconds, double ClientCpuSeconds, double? ServerCpuSeconds,
    List<double> HandshakesPerSecondTimeline, long? ServerRssBeforeBytes, long? ServerRssAfterBytes, int IdleOpen);

/// <summary>
/// Drives connections against the target: closed model (N workers, each connects again as soon as its
/// previous connection ends) or open model (--rate: arrivals at fixed intervals, latency measured from the
/// scheduled arrival so a slow server cannot hide queueing — "coordinated omission").
/// </summary>
internal sealed class LoadRunner
{
    private readonly LoadOptions _o;
    private readonly IConnectionEngine _engine;
    private readonly Func<ProgressSnapshot, ValueTask>? _onProgress;
    private volatile RunStats _stats = new();
    private volatile bool _stopping;
    private volatile bool _measuring;
    private long _countTickets;
    private long _resumeCounter;
    private readonly byte[] _httpRequest;
    private readonly byte[] _payload;

    public LoadRunner(LoadOptions options, IConnectionEngine engine, Func<ProgressSnapshot, ValueTask>? onProgress)
    {
        _o = options;
        _engine = engine;
        _countTickets = options.Count;
        _onProgress = onProgress;
        _httpRequest = Encoding.ASCII.GetBytes($"GET / HTTP/1.1\r\nHost: {options.Sni ?? options.TargetHost}\r\nConnection: close\r\n\r\n");
        int payloadSize = options.Mode == RunMode.Bulk ? options.BulkChunk : options.RequestBytes;
        _payload = new byte[Math.Max(1, payloadSize)];
        new Random(42).NextBytes(_payload);
    }

    public static async Task<IPEndPoint> ResolveAsync(LoadOptions o)
    {
        if (IPAddress.TryParse(o.TargetHost, out IPAddress? ip)) return new IPEndPoint(ip, o.TargetPort);
        IPAddress[] all = await Dns.GetHostAddressesAsync(o.TargetHost).ConfigureAwait(false);
        IPAddress? v4 = all.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        return new IPEndPoint(v4 ?? throw new OptionsException($"cannot resolve {o.TargetHost} to IPv4"), o.TargetPort);
    }

    public async Task<MeasuredWindow> RunAsync(CancellationToken cancel)
    {
        using var runCts = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        if (_o.Mode == RunMode.Idle) return await RunIdleAsync(runCts).ConfigureAwait(false);

        var timeline = new List<double>();
        bool measuring = false;
        long phaseStart = Stopwatch.GetTimestamp();
        using var tickerCts = new CancellationTokenSource();
        Task ticker = TickAsync(() => measuring, () => phaseStart, timeline, tickerCts.Token);

        // Start of the measured window: fresh counters, CPU baselines. Without warm-up it starts before the
        // first connection, so that --count is exact.
        var stats = new RunStats();
        double serverCpu0 = 0, clientCpu0 = 0;
        long t0 = 0;
        void StartWindow()
        {
            serverCpu0 = ReadServerCpu() ?? 0;
            clientCpu0 = ProcStat.SelfCpuSeconds();
            t0 = Stopwatch.GetTimestamp();
            _stats = stats;
            phaseStart = t0;
            measuring = true;
            _measuring = true;
        }

        if (_o.Warmup <= TimeSpan.Zero) StartWindow();
        Task load = _o.Rate > 0 ? RunOpenModelAsync(runCts.Token) : RunClosedModelAsync(runCts.Token);
        if (_o.Warmup > TimeSpan.Zero)
        {
            await DelayUnlessDone(_o.Warmup, load, cancel).ConfigureAwait(false);
            StartWindow();
        }

        if (_o.Count > 0)
        {
            while (stats.Completed < _o.Count && !load.IsCompleted && !cancel.IsCancellationRequested)
                await Task.Delay(5, CancellationToken.None).ConfigureAwait(false);
        }
        else
        {
            await DelayUnlessDone(_o.Duration, load, cancel).ConfigureAwait(false);
        }

        long t1 = Stopwatch.GetTimestamp();
        double clientCpu1 = ProcStat.SelfCpuSeconds();
        double? serverCpu1 = ReadServerCpu();
        _stats = new RunStats(); // completions after the window are not counted
        measuring = false;
        _stopping = true;
        runCts.Cancel();
        try { await load.WaitAsync(TimeSpan.FromSeconds(15), CancellationToken.None).ConfigureAwait(false); }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException) { }
        tickerCts.Cancel();
        try { await ticker.ConfigureAwait(false); } catch (OperationCanceledException) { }

        double wall = (t1 - t0) / (double)Stopwatch.Frequency;
        return new MeasuredWindow(stats, wall, clientCpu1 - clientCpu0,
            serverCpu1 is double s1 && _o.ServerPids.Length > 0 ? s1 - serverCpu0 : null, timeline, null, null, 0);
    }

    private static async Task DelayUnlessDone(TimeSpan delay, Task load, CancellationToken cancel)
    {
        try { await Task.WhenAny(Task.Delay(delay, cancel), load).ConfigureAwait(false); }
        catch (OperationCanceledException) { }
    }

    private double? ReadServerCpu() => _o.ServerPids.Length > 0 ? ProcStat.ReadCpuSeconds(_o.ServerPids) : null;

    private async Task TickAsync(Func<bool> measuring, Func<long> phaseStart, List<double> timeline, CancellationToken ct)
    {
        long lastTs = Stopwatch.GetTimestamp();
        RunStats lastStats = _stats;
        long lastHandshakes = 0, lastBytes = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            RunStats s = _stats;
            long now = Stopwatch.GetTimestamp();
            if (!ReferenceEquals(s, lastStats)) { lastStats = s; lastHandshakes = 0; lastBytes = 0; lastTs = phaseStart(); }
            double dt = Math.Max(1e-6, (now - lastTs) / (double)Stopwatch.Frequency);
            long hs = s.Handshakes, bytes = s.Bytes;
            double rate = (hs - lastHandshakes) / dt;
            double bps = (bytes - lastBytes) / dt;
            lastHandshakes = hs; lastBytes = bytes; lastTs = now;
            bool m = measuring();
            if (m) timeline.Add(_o.Mode == RunMode.Bulk ? bps : rate);
            if (_onProgress is not null)
            {
                var byKind = RunStats.ErrorsByKind(s.ErrorTable);
                var lat = s.HandshakeMicros.TotalCount > 0 ? ReportMath.Latency(s.HandshakeMicros.Copy()) : new LatencySummary(0, 0, 0, 0, 0, 0);
                await _onProgress(new ProgressSnapshot(m ? "measure" : "warmup", (now - phaseStart()) / (double)Stopwatch.Frequency,
                    rate, hs, s.Errors, byKind, lat.P50Ms, lat.P99Ms, bps)).ConfigureAwait(false);
            }
        }
    }

    private Task RunClosedModelAsync(CancellationToken ct)
    {
        var workers = new Task[_o.Concurrency];
        for (int i = 0; i < workers.Length; i++)
            workers[i] = _o.Mode == RunMode.Bulk ? Task.Run(() => BulkWorkerAsync(ct)) : Task.Run(() => HandshakeWorkerAsync(ct));
        return Task.WhenAll(workers);
    }

    private async Task HandshakeWorkerAsync(CancellationToken runToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(runToken);
        try
        {
            while (!_stopping && !runToken.IsCancellationRequested && TakeCountTicket())
            {
                cts.CancelAfter(_o.Timeout);
                Task connection = OneConnectionAsync(Stopwatch.GetTimestamp(), cts.Token, runToken);
                bool completedSynchronously = connection.IsCompleted;
                await connection.ConfigureAwait(false);
                // A connection that ended without ever waiting (a refused connect on the epoll path fails inside
                // connect()) would otherwise let this loop run on its thread forever: the timers that end the run
                // and the progress ticker need the thread pool too.
                if (completedSynchronously) await Task.Yield();
                if (!cts.TryReset())
                {
                    cts.Dispose();
                    cts = CancellationTokenSource.CreateLinkedTokenSource(runToken);
                }
            }
        }
        finally { cts.Dispose(); }
    }

    /// <summary>
    /// Open model: arrivals at fixed intervals from a dedicated pacing thread that sleeps until the next one is due
    /// (nanosleep: ~0.1 ms late at most on Linux, no spinning — the earlier Task.Yield spin for the last millisecond
    /// before each arrival cost 0.1–0.3 s of CPU per second at 50–200 arrivals/s, charged to the client's CPU per
    /// handshake). Latency is measured from the scheduled arrival, so that lateness is counted, not hidden.
    /// </summary>
    private Task RunOpenModelAsync(CancellationToken runToken)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { PaceArrivals(runToken); }
            finally { done.SetResult(); }
        }) { IsBackground = true, Name = "open-model pacing" };
        thread.Start();
        return WaitForInFlightAsync(done.Task);
    }

    private int _openInFlight;

    private async Task WaitForInFlightAsync(Task pacing)
    {
        await pacing.ConfigureAwait(false);
        // Let in-flight connections observe the cancellation.
        for (int i = 0; i < 1500 && Volatile.Read(ref _openInFlight) > 0; i++) await Task.Delay(10, CancellationToken.None).ConfigureAwait(false);
    }

    private void PaceArrivals(CancellationToken runToken)
    {
        long start = Stopwatch.GetTimestamp();
        double ticksPerArrival = Stopwatch.Frequency / _o.Rate;
        long launched = 0;
        int cap = _o.Concurrency;
        while (!_stopping && !runToken.IsCancellationRequested)
        {
            long due = (long)((Stopwatch.GetTimestamp() - start) / ticksPerArrival) + 1;
            while (launched < due)
            {
                long intended = start + (long)(launched * ticksPerArrival);
                launched++;
                if (Volatile.Read(ref _openInFlight) >= cap) { _stats.RecordDropped(); continue; }
                if (!TakeCountTicket()) { _stopping = true; break; }
                Interlocked.Increment(ref _openInFlight);
                // Started on this thread (socket, connect, ClientHello: tens of µs) rather than queued to the thread
                // pool: a pool thread woken per arrival spins before it parks again, which cost more CPU than the
                // arrival itself at low rates. The connection continues wherever its I/O completes.
                _ = OpenArrivalAsync(intended, runToken);
            }
            long next = start + (long)(launched * ticksPerArrival);
            long waitTicks = next - Stopwatch.GetTimestamp();
            // At most 50 ms per sleep so that the end of the run is noticed promptly.
            if (waitTicks > 0) SleepPrecisely(Math.Min(waitTicks, Stopwatch.Frequency / 20));
        }
    }

    private async Task OpenArrivalAsync(long intended, CancellationToken runToken)
    {
        try
        {
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(runToken);
            cts.CancelAfter(_o.Timeout);
            await OneConnectionAsync(intended, cts.Token, runToken).ConfigureAwait(false);
        }
        finally { Interlocked.Decrement(ref _openInFlight); }
    }

    /// <summary>Sleeps for the given Stopwatch ticks with sub-millisecond precision where the OS has it (Linux nanosleep).</summary>
    private static void SleepPrecisely(long ticks)
    {
        long nanoseconds = (long)(ticks * (1e9 / Stopwatch.Frequency));
        if (OperatingSystem.IsLinux())
        {
            Engines.Epoll.LibC.Sleep(nanoseconds);
            return;
        }
        Thread.Sleep(TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerMillisecond, nanoseconds / 100)));
    }

    /// <summary>--count: each connection started in the measured window takes a ticket; none left = stop.</summary>
    private bool TakeCountTicket() => _o.Count == 0 || !_measuring || Interlocked.Decrement(ref _countTickets) >= 0;

    private bool ShouldResume()
    {
        if (_o.Resume == ResumeMode.None || _o.ResumeShare <= 0) return false;
        return ResumesAt(Interlocked.Increment(ref _resumeCounter) - 1, _o.ResumeShare);
    }

    /// <summary>Spreads resumptions evenly: connection n (from 0) resumes when floor((n+1)·share) > floor(n·share).</summary>
    internal static bool ResumesAt(long n, double share) => Math.Floor((n + 1) * share) > Math.Floor(n * share);

    /// <summary>One connection: connect + handshake, the optional request, close. Every failure is recorded, none escapes.</summary>
    private async Task OneConnectionAsync(long startTimestamp, CancellationToken ct, CancellationToken runToken)
    {
        IClientConnection? c = null;
        try
        {
            c = await _engine.ConnectAsync(ShouldResume(), ct).ConfigureAwait(false);
            long handshakeDone = Stopwatch.GetTimestamp();
            _stats.RecordHandshake(startTimestamp, handshakeDone, c.Resumed);
            if (_o.Request != RequestKind.None)
            {
                long firstByte = _o.Request == RequestKind.Http
                    ? await HttpExchangeAsync(c, ct).ConfigureAwait(false)
                    : await EchoExchangeAsync(c, _o.RequestBytes, ct).ConfigureAwait(false);
                _stats.RecordFirstByte(startTimestamp, firstByte);
            }
            if (_o.Resume != ResumeMode.None && !c.Resumed)
                await c.CaptureSessionAsync(ct).ConfigureAwait(false);
        }
        catch (ConnectionFailedException e) { if (!runToken.IsCancellationRequested) _stats.RecordError(e.Error); }
        catch (OperationCanceledException) { if (!runToken.IsCancellationRequested) _stats.RecordError(ConnectionError.TimedOut); }
        catch (SocketException e) { if (!runToken.IsCancellationRequested) _stats.RecordError(OpenSslEngine.SocketErrorKind(e)); }
        catch (Exception e) { if (!runToken.IsCancellationRequested) _stats.RecordError(ConnectionError.Other(e.GetType().Name)); }
        finally { c?.Dispose(); }
        if (!runToken.IsCancellationRequested) _stats.RecordCompleted();
    }

    /// <summary>Sends GET / and reads one response (Content-Length, chunked, or until close). Returns the first-byte timestamp.</summary>
    private async Task<long> HttpExchangeAsync(IClientConnection c, CancellationToken ct)
    {
        await c.WriteAsync(_httpRequest, ct).ConfigureAwait(false);
        byte[] buf = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long firstByte = 0;
            int have = 0;
            var parser = new HttpResponseReader();
            while (true)
            {
                int n = await c.ReadAsync(buf.AsMemory(have), ct).ConfigureAwait(false);
                if (n == 0)
                {
                    if (firstByte == 0) throw new ConnectionFailedException(ConnectionError.Reset("eof_before_response"));
                    return firstByte;
                }
                if (firstByte == 0) firstByte = Stopwatch.GetTimestamp();
                have += n;
                int consumed = parser.Feed(buf.AsSpan(0, have), out bool complete);
                if (complete) return firstByte;
                if (consumed == 0 && have == buf.Length)
                    throw new ConnectionFailedException(ConnectionError.Other("http_header_too_large"));
                buf.AsSpan(consumed, have - consumed).CopyTo(buf);
                have -= consumed;
            }
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    /// <summary>Sends n bytes and reads n bytes back (an echo responder). Returns the first-byte timestamp.</summary>
    private async Task<long> EchoExchangeAsync(IClientConnection c, int n, CancellationToken ct)
    {
        await c.WriteAsync(_payload.AsMemory(0, n), ct).ConfigureAwait(false);
        byte[] buf = ArrayPool<byte>.Shared.Rent(Math.Min(n, 64 * 1024));
        try
        {
            long firstByte = 0;
            int received = 0;
            while (received < n)
            {
                int r = await c.ReadAsync(buf.AsMemory(0, Math.Min(buf.Length, n - received)), ct).ConfigureAwait(false);
                if (r == 0) throw new ConnectionFailedException(ConnectionError.Reset("eof_before_echo"));
                if (firstByte == 0) firstByte = Stopwatch.GetTimestamp();
                received += r;
            }
            return firstByte;
        }
        finally { ArrayPool<byte>.Shared.Return(buf); }
    }

    /// <summary>Bulk mode: one connection echoing chunks until the run ends; bytes counted once (payload sent and echoed back).</summary>
    private async Task BulkWorkerAsync(CancellationToken runToken)
    {
        IClientConnection? c = null;
        try
        {
            using (var cts = CancellationTokenSource.CreateLinkedTokenSource(runToken))
            {
                cts.CancelAfter(_o.Timeout);
                long start = Stopwatch.GetTimestamp();
                c = await _engine.ConnectAsync(false, cts.Token).ConfigureAwait(false);
                _stats.RecordHandshake(start, Stopwatch.GetTimestamp(), c.Resumed);
            }
            byte[] buf = new byte[64 * 1024];
            int chunk = _o.BulkChunk;
            while (!_stopping && !runToken.IsCancellationRequested)
            {
                await c.WriteAsync(_payload.AsMemory(0, chunk), runToken).ConfigureAwait(false);
                int received = 0;
                while (received < chunk)
                {
                    int r = await c.ReadAsync(buf.AsMemory(0, Math.Min(buf.Length, chunk - received)), runToken).ConfigureAwait(false);
                    if (r == 0) throw new ConnectionFailedException(ConnectionError.Reset("eof_in_bulk"));
                    received += r;
                }
                _stats.AddBytes(chunk);
            }
        }
        catch (ConnectionFailedException e) { if (!runToken.IsCancellationRequested) _stats.RecordError(e.Error); }
        catch (OperationCanceledException) { if (!runToken.IsCancellationRequested) _stats.RecordError(ConnectionError.TimedOut); }
        catch (Exception e) { if (!runToken.IsCancellationRequested) _stats.RecordError(ConnectionError.Other(e.GetType().Name)); }
        finally { c?.Dispose(); }
    }

    /// <summary>Idle mode: open N connections (handshake done, nothing sent), hold them, and read the server's RSS growth.</summary>
    private async Task<MeasuredWindow> RunIdleAsync(CancellationTokenSource runCts)
    {
        var stats = new RunStats();
        _stats = stats;
        long? rssBefore = _o.ServerPids.Length > 0 ? ProcStat.ReadRssBytes(_o.ServerPids) : null;
        double serverCpu0 = ReadServerCpu() ?? 0;
        double clientCpu0 = ProcStat.SelfCpuSeconds();
        long t0 = Stopwatch.GetTimestamp();
        var held = new ConcurrentBag<IClientConnection>();
        int next = -1;
        CancellationToken runToken = runCts.Token;
        async Task Opener()
        {
            while (Interlocked.Increment(ref next) < _o.IdleConnections && !runToken.IsCancellationRequested)
            {
                using var cts = CancellationTokenSource.CreateLinkedTokenSource(runToken);
                cts.CancelAfter(_o.Timeout);
                long start = Stopwatch.GetTimestamp();
                try
                {
                    IClientConnection c = await _engine.ConnectAsync(false, cts.Token).ConfigureAwait(false);
                    stats.RecordHandshake(start, Stopwatch.GetTimestamp(), c.Resumed);
                    held.Add(c);
                }
                catch (ConnectionFailedException e) { stats.RecordError(e.Error); }
                catch (OperationCanceledException) { if (!runToken.IsCancellationRequested) stats.RecordError(ConnectionError.TimedOut); }
                catch (Exception e) { stats.RecordError(ConnectionError.Other(e.GetType().Name)); }
            }
        }
        using var tickerCts = new CancellationTokenSource();
        var timeline = new List<double>();
        Task ticker = TickAsync(() => true, () => t0, timeline, tickerCts.Token);
        await Task.WhenAll(Enumerable.Range(0, _o.Concurrency).Select(_ => Task.Run(Opener))).ConfigureAwait(false);
        long t1 = Stopwatch.GetTimestamp();
        double clientCpu1 = ProcStat.SelfCpuSeconds();
        await Task.Delay(_o.IdleHold).ConfigureAwait(false);
        long? rssAfter = _o.ServerPids.Length > 0 ? ProcStat.ReadRssBytes(_o.ServerPids) : null;
        double? serverCpu1 = ReadServerCpu();
        int open = held.Count;
        tickerCts.Cancel();
        try { await ticker.ConfigureAwait(false); } catch (OperationCanceledException) { }
        foreach (IClientConnection c in held) c.Dispose();
        double wall = (t1 - t0) / (double)Stopwatch.Frequency;
        return new MeasuredWindow(stats, wall, clientCpu1 - clientCpu0,
            serverCpu1 is double s1 && _o.ServerPids.Length > 0 ? s1 - serverCpu0 : null, timeline, rssBefore, rssAfter, open);
    }
}

/// <summary>Incremental HTTP/1.x response framing: headers, then Content-Length, chunked, or read-until-close.</summary>
internal sealed class HttpResponseReader
{
    private bool _headersDone;
    private long _bodyRemaining = -1; // -1: until close
    private bool _chunked;
    private readonly byte[] _tail = new byte[5];
    private int _tailLength;

    /// <summary>Consumes bytes; returns how many were consumed (unconsumed bytes must be presented again with more data).</summary>
    public int Feed(ReadOnlySpan<byte> data, out bool complete)
    {
        complete = false;
        int consumed = 0;
        if (!_headersDone)
        {
            int end = data.IndexOf("\r\n\r\n"u8);
            if (end < 0) return 0;
            ParseHeaders(Encoding.ASCII.GetString(data[..end]));
            _headersDone = true;
            consumed = end + 4;
            data = data[consumed..];
            if (_bodyRemaining == 0) { complete = true; return consumed; }
        }
        if (_chunked)
        {
            // Body end is the zero-size last chunk "0\r\n\r\n" (RFC 9112 §7.1); trailers are not expected.
            foreach (byte b in data)
            {
                if (_tailLength == _tail.Length) { Array.Copy(_tail, 1, _tail, 0, _tail.Length - 1); _tailLength--; }
                _tail[_tailLength++] = b;
            }
            complete = _tailLength == 5 && _tail.AsSpan().SequenceEqual("0\r\n\r\n"u8);
        }
        else if (_bodyRemaining > 0)
        {
            _bodyRemaining -= Math.Min(_bodyRemaining, data.Length);
            complete = _bodyRemaining == 0;
        }
        return consumed + data.Length;
    }

    private void ParseHeaders(string headers)
    {
        foreach (string line in headers.Split("\r\n"))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) continue;
            string name = line[..colon].Trim();
            string value = line[(colon + 1)..].Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase) && long.TryParse(value, out long len) && len >= 0)
                _bodyRemaining = len;
            else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && value.Contains("chunked", StringComparison.OrdinalIgnoreCase))
                _chunked = true;
        }
        if (_chunked) _bodyRemaining = -1;
    }
}
