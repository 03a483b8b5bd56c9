using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Threading.RateLimiting;
using Brisk.Server.Operations;
using Brisk.Tls;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Hosting;

/// <summary>
/// Limits, metrics and the access log of <see cref="BriskServer"/> (docs/OPERATIONS.md). BriskServer.cs calls
/// in at five points: accept (<see cref="TryAdmitConnection"/>), just before the TLS handshake
/// (<see cref="AdmitHandshakeAsync"/>), after it (<see cref="RecordHandshake"/>), at close
/// (<see cref="OnConnectionClosed"/>) and at start/stop.
/// </summary>
public sealed partial class BriskServer
{
    private readonly ServerMetrics _metrics = new();
    private SemaphoreSlim? _handshakeSlots;
    private PartitionedRateLimiter<IPAddress>? _handshakeRate;
    private AccessLog? _accessLog;
    private CancellationTokenSource? _idleSweepStop;
    private Task? _idleSweep;
    private int _openConnections;

    private ServerMetrics Metrics => _metrics;

    /// <summary>This server's meter (one per server instance, named "Brisk.Server").</summary>
    internal System.Diagnostics.Metrics.Meter Meter => Metrics.Meter;

    private OperationsSettings Operations => _configuration.Operations;

    /// <summary>Handshake slots free now under --max-handshakes (-1: no limit). For tests and diagnostics.</summary>
    internal int FreeHandshakeSlots => _handshakeSlots?.CurrentCount ?? -1;

    private void StartOperations()
    {
        if (Operations.MaxHandshakes > 0)
            _handshakeSlots = new SemaphoreSlim(Operations.MaxHandshakes, Operations.MaxHandshakes);
        if (Operations.HandshakeRatePerSecond > 0)
        {
            int rate = Operations.HandshakeRatePerSecond, burst = Operations.HandshakeRateBurst;
            // One token bucket per client address. The partitioned limiter replenishes every bucket from one
            // timer, and drops a bucket that has been full (its address idle) for a while, so memory follows
            // the addresses active recently, not every address ever seen.
            _handshakeRate = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address =>
                RateLimitPartition.GetTokenBucketLimiter(address, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = burst,
                    TokensPerPeriod = rate,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                }));
        }
        if (Operations.AccessLog is { } target)
            _accessLog = AccessLog.Open(target, Metrics);
        if (Operations.IdleTimeout is { } idle)
        {
            _idleSweepStop = new CancellationTokenSource();
            _idleSweep = IdleSweepAsync(idle, _idleSweepStop.Token);
        }
    }

    private async Task StopOperationsAsync()
    {
        if (_idleSweepStop is not null)
        {
            _idleSweepStop.Cancel();
            try { await _idleSweep!.ConfigureAwait(false); } catch (OperationCanceledException) { }
            _idleSweepStop.Dispose();
            _idleSweepStop = null;
        }
        if (_accessLog is not null)
        {
            await _accessLog.DisposeAsync().ConfigureAwait(false);
            _accessLog = null;
        }
        _handshakeRate?.Dispose();
    }

    /// <summary>
    /// Counts an accepted socket against --max-connections. Over the limit it is closed at once with a reset
    /// (as Kestrel's MaxConcurrentConnections does): the client learns immediately and a balancer in front can
    /// retry elsewhere, instead of waiting in the listen backlog for a handshake it may have given up on; and
    /// the reset leaves no TIME_WAIT entry on this side during a flood.
    /// </summary>
    private bool TryAdmitConnection(Socket socket)
    {
        Metrics.ConnectionAccepted();
        int open = Interlocked.Increment(ref _openConnections);
        if (Operations.MaxConnections > 0 && open > Operations.MaxConnections)
        {
            Interlocked.Decrement(ref _openConnections);
            Metrics.LimitTriggered(LimitKind.MaxConnections);
            if (_logger.IsEnabled(LogLevel.Debug)) // no address string per refused connection in a flood unless asked for
                LogLimit(_logger, "max_connections", (socket.RemoteEndPoint as IPEndPoint)?.ToString() ?? "-");
            try { socket.LingerState = new LingerOption(true, 0); } catch (SocketException) { }
            socket.Dispose();
            return false;
        }
        Metrics.ConnectionOpened();
        return true;
    }

    /// <summary>
    /// The per-connection checks run just before the handshake (after any PROXY header, so they see the real
    /// client address): the per-address handshake rate, then a handshake slot under --max-handshakes. A
    /// connection over the concurrency limit waits for a slot rather than being refused: handshakes are short
    /// CPU work, so a burst is served a moment later at full CPU instead of being dropped; the wait counts
    /// against the handshake timeout, and --max-connections bounds how many can wait.
    /// </summary>
    private async ValueTask<HandshakeAdmission> AdmitHandshakeAsync(ActiveConnection active, string connectionId, CancellationToken handshakeTimeout)
    {
        if (_handshakeRate is not null && active.ClientAddress is { } client)
        {
            using var lease = _handshakeRate.AttemptAcquire(RateLimitKey(client.Address));
            if (!lease.IsAcquired)
            {
                active.CloseReason = "handshake_rate_limited";
                active.HandshakeResult = "rate_limited";
                Metrics.LimitTriggered(LimitKind.HandshakeRate);
                LogLimit(_logger, "handshake_rate", connectionId);
                return default;
            }
        }
        if (_handshakeSlots is { } slots)
        {
            if (!slots.Wait(0))
            {
                Metrics.LimitTriggered(LimitKind.MaxHandshakes);
                LogLimit(_logger, "max_handshakes", connectionId);
                try
                {
                    await slots.WaitAsync(handshakeTimeout).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    active.CloseReason = "handshake_timeout";
                    active.HandshakeResult = ServerMetrics.ResultTimeout;
                    Metrics.LimitTriggered(LimitKind.HandshakeTimeout);
                    Metrics.RecordHandshake(EmptyInfo, ServerMetrics.ResultTimeout, startTimestamp: 0);
                    LogLimit(_logger, "handshake_timeout (waiting for a handshake slot)", connectionId);
                    return default;
                }
            }
            return new HandshakeAdmission(slots, Stopwatch.GetTimestamp());
        }
        return new HandshakeAdmission(null, Stopwatch.GetTimestamp());
    }

    private static readonly TlsConnectionInfo EmptyInfo = new();

    /// <summary>IPv4 by address; IPv6 by its /64, the block one client usually holds.</summary>
    private static IPAddress RateLimitKey(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            return address.MapToIPv4();
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
            return address;
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>Counts the finished handshake (ok, the alert's name, timeout or closed) and notes it for the access log.</summary>
    private void RecordHandshake(ActiveConnection active, TlsServerConnection tls, string connectionId, bool established, bool timedOut, long startTimestamp)
    {
        string result;
        if (established)
            result = ServerMetrics.ResultOk;
        else if (timedOut)
        {
            result = ServerMetrics.ResultTimeout;
            active.CloseReason ??= "handshake_timeout";
            Metrics.LimitTriggered(LimitKind.HandshakeTimeout);
            LogLimit(_logger, "handshake_timeout", connectionId);
        }
        else if (tls.TerminatingAlert is { } alert)
            result = TlsMetrics.AlertName(alert);
        else
            result = ServerMetrics.ResultClosed;
        active.HandshakeResult = result;
        Metrics.RecordHandshake(tls.Info, result, startTimestamp);
    }

    /// <summary>At the end of every admitted connection: the gauges and the access-log line.</summary>
    private void OnConnectionClosed(ActiveConnection active)
    {
        Interlocked.Decrement(ref _openConnections);
        Metrics.ConnectionClosed();
        if (_accessLog is null)
            return;
        var info = active.Tls?.Info;
        var transport = active.Transport;
        string close = active.CloseReason
            ?? (active.Tls?.TerminatingAlert is { } alert ? "alert:" + TlsMetrics.AlertName(alert) : null)
            ?? (transport.CloseReason ?? "closed").Replace(' ', '_');
        _accessLog.TryWrite(new AccessLogEntry(
            DateTimeOffset.UtcNow,
            active.ClientAddress,
            transport.LocalEndPoint,
            info?.ServerName,
            info?.ApplicationProtocol,
            ServerMetrics.VersionName(info?.Version ?? 0),
            info is null ? "none" : ServerMetrics.SuiteName(info.CipherSuite),
            ServerMetrics.GroupName(info?.Group),
            info?.Resumed ?? false,
            info?.ClientIdentity?.Subject,
            transport.BytesReceived,
            transport.BytesSent,
            Stopwatch.GetElapsedTime(active.StartTimestamp).TotalMilliseconds,
            active.HandshakeResult ?? ServerMetrics.ResultClosed,
            close));
    }

    /// <summary>
    /// Closes established connections that moved no byte either way for the idle timeout: close_notify first
    /// (a clean end the client can tell from a truncation); a client that has not closed its side after a
    /// grace period is then cut off. One sweep over the table serves all connections (no timer per connection).
    /// </summary>
    private async Task IdleSweepAsync(TimeSpan idle, CancellationToken stop)
    {
        long idleMs = (long)idle.TotalMilliseconds;
        long graceMs = Math.Min(idleMs, 5000);
        // Checked four times per timeout (within 100 ms .. 5 s): a connection is closed after 1 to 1.25 timeouts.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(idleMs / 4, 100, 5000));
        using var timer = new PeriodicTimer(period);
        while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
        {
            long now = Environment.TickCount64;
            foreach (var (_, connection) in _connections)
            {
                if (!connection.Established || connection.Tls is not { } tls)
                    continue;
                if (connection.IdleCloseStarted == 0)
                {
                    if (now - connection.Transport.LastActivity < idleMs)
                        continue;
                    connection.IdleCloseStarted = now;
                    connection.CloseReason ??= "idle_timeout";
                    Metrics.LimitTriggered(LimitKind.IdleTimeout);
                    if (_logger.IsEnabled(LogLevel.Debug))
                        LogLimit(_logger, "idle_timeout", connection.ClientAddress?.ToString() ?? "-");
                    _ = tls.CloseAsync().AsTask();
                }
                else if (now - connection.IdleCloseStarted >= graceMs)
                {
                    connection.Aborted.Cancel();
                    connection.Transport.Abort("idle timeout");
                }
            }
        }
    }

    /// <summary>A handshake slot (released on dispose) and when the handshake started; default: not admitted.</summary>
    private readonly struct HandshakeAdmission(SemaphoreSlim? slots, long startTimestamp) : IDisposable
    {
        public bool Admitted { get; } = startTimestamp != 0;

        public long StartTimestamp { get; } = startTimestamp;

        public void Dispose() => slots?.Release();
    }

    [LoggerMessage(EventId = 280, Level = LogLevel.Debug, Message = "limit {Limit} triggered for {Connection}")]
    private static partial void LogLimit(ILogger logger, string limit, string connection);
}
