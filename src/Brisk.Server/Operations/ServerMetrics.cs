using System.Collections.Frozen;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls;
using Brisk.Tls.Protocol;

namespace Brisk.Server.Operations;

/// <summary>Which protection limit turned a connection away or ended it (the <c>limit</c> tag of brisk.server.limit_triggered).</summary>
internal enum LimitKind
{
    MaxConnections,
    MaxHandshakes,
    HandshakeTimeout,
    IdleTimeout,
    HandshakeRate,
}

/// <summary>
/// The server's instruments on the <see cref="MeterName"/> meter. One instance (and one Meter object) per
/// <see cref="Hosting.BriskServer"/>: an exporter listening to "Brisk.*" sees every server in the process,
/// and a test's MeterListener can pick exactly one server's meter by object identity.
///
/// Hot path: every tag value is a cached string (suite, group, version and alert names are interned once),
/// and tags travel in a <see cref="TagList"/> (inline up to eight), so recording a handshake allocates nothing.
/// </summary>
internal sealed class ServerMetrics : IDisposable
{
    public const string MeterName = "Brisk.Server";

    public const string ResultOk = "ok";
    public const string ResultTimeout = "timeout";
    public const string ResultClosed = "closed";
    private const string None = "none";

    private static readonly FrozenDictionary<CipherSuite, string> SuiteNames =
        Enum.GetValues<CipherSuite>().Distinct().ToFrozenDictionary(s => s, s => s.ToString());
    private static readonly FrozenDictionary<NamedGroup, string> GroupNames =
        Enum.GetValues<NamedGroup>().Distinct().ToFrozenDictionary(g => g, g => g.ToString().ToLowerInvariant());
    private static readonly string[] LimitNames = ["max_connections", "max_handshakes", "handshake_timeout", "idle_timeout", "handshake_rate"];

    private readonly Counter<long> _handshakes;
    private readonly Histogram<double> _handshakeDuration;
    private readonly Counter<long> _connections;
    private readonly UpDownCounter<long> _activeConnections;
    private readonly Counter<long> _bytesReceived;
    private readonly Counter<long> _bytesSent;
    private readonly Counter<long> _limitTriggered;
    private readonly Counter<long> _accessLogDropped;

    public ServerMetrics()
    {
        Meter = new Meter(MeterName);
        _handshakes = Meter.CreateCounter<long>("brisk.server.handshakes", unit: "{handshake}",
            description: "Handshakes by version, suite, group, mode (full/resumed) and result (ok, the alert's name, timeout, closed).");
        // Buckets for a handshake in seconds: sub-millisecond (resumption on a fast core) to the default timeout.
        _handshakeDuration = Meter.CreateHistogram<double>("brisk.server.handshake.duration", unit: "s",
            description: "Time from the start of the handshake (after admission) to its end.",
            tags: null,
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10] });
        _connections = Meter.CreateCounter<long>("brisk.server.connections", unit: "{connection}", description: "Connections accepted (including those a limit refused).");
        _activeConnections = Meter.CreateUpDownCounter<long>("brisk.server.active_connections", unit: "{connection}", description: "Connections open now (handshaking or established).");
        _bytesReceived = Meter.CreateCounter<long>("brisk.server.received", unit: "By", description: "Bytes received from clients (TLS records, as on the wire).");
        _bytesSent = Meter.CreateCounter<long>("brisk.server.sent", unit: "By", description: "Bytes sent to clients (TLS records, as on the wire).");
        _limitTriggered = Meter.CreateCounter<long>("brisk.server.limit_triggered", unit: "{event}",
            description: "Protection limits that triggered: max_connections, max_handshakes (a handshake had to wait), handshake_timeout, idle_timeout, handshake_rate.");
        _accessLogDropped = Meter.CreateCounter<long>("brisk.server.access_log.dropped", unit: "{line}", description: "Access-log lines dropped because the writer fell behind.");
    }

    public Meter Meter { get; }

    public static string VersionName(ushort version) => version switch
    {
        ProtocolVersion.Tls13 => "TLSv1.3",
        ProtocolVersion.Tls12 => "TLSv1.2",
        _ => None,
    };

    public static string SuiteName(CipherSuite suite) => suite != 0 && SuiteNames.TryGetValue(suite, out var name) ? name : None;

    public static string GroupName(NamedGroup? group) => group is { } g && GroupNames.TryGetValue(g, out var name) ? name : None;

    public static string LimitName(LimitKind limit) => LimitNames[(int)limit];

    /// <summary>
    /// Counts one handshake and records its duration (from <paramref name="startTimestamp"/>; 0: it never
    /// started, e.g. it timed out waiting for a slot). <paramref name="result"/> must be a cached string.
    /// </summary>
    public void RecordHandshake(TlsConnectionInfo info, string result, long startTimestamp)
    {
        var tags = new TagList
        {
            { "version", VersionName(info.Version) },
            { "suite", SuiteName(info.CipherSuite) },
            { "group", GroupName(info.Group) },
            { "mode", info.Resumed ? "resumed" : "full" },
            { "result", result },
        };
        _handshakes.Add(1, tags);
        if (startTimestamp != 0 && _handshakeDuration.Enabled)
        {
            var durationTags = new TagList
            {
                { "version", VersionName(info.Version) },
                { "mode", info.Resumed ? "resumed" : "full" },
                { "result", ReferenceEquals(result, ResultOk) ? ResultOk : "failed" },
            };
            _handshakeDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, durationTags);
        }
    }

    public void ConnectionAccepted() => _connections.Add(1);

    public void ConnectionOpened() => _activeConnections.Add(1);

    public void ConnectionClosed() => _activeConnections.Add(-1);

    public void BytesReceived(int count) => _bytesReceived.Add(count);

    public void BytesSent(int count) => _bytesSent.Add(count);

    public void LimitTriggered(LimitKind limit) => _limitTriggered.Add(1, new KeyValuePair<string, object?>("limit", LimitNames[(int)limit]));

    public void AccessLogDropped() => _accessLogDropped.Add(1);

    public void Dispose() => Meter.Dispose();
}
