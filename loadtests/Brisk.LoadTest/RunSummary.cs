using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Brisk.LoadTest;

/// <summary>Everything the final report says; serialized as-is by --json.</summary>
internal sealed record RunSummary
{
    public required string Target { get; init; }
    public required string Engine { get; init; }
    public required string Mode { get; init; }
    public string? Tls { get; init; }
    public string? Ciphers { get; init; }
    public string? Groups { get; init; }
    public required string Resume { get; init; }
    public required string Request { get; init; }
    public required int Concurrency { get; init; }
    public double? RatePerSecond { get; init; }
    public required double MeasuredSeconds { get; init; }
    public required long Handshakes { get; init; }
    public required long ResumedHandshakes { get; init; }
    public required double HandshakesPerSecond { get; init; }
    public required LatencySummary HandshakeLatencyMs { get; init; }
    public LatencySummary? FirstByteLatencyMs { get; init; }
    public required long Errors { get; init; }
    public required IReadOnlyDictionary<string, long> ErrorsByKind { get; init; }
    public required IReadOnlyDictionary<string, long> ErrorDetails { get; init; }
    public long DroppedArrivals { get; init; }
    public required double ClientCpuSeconds { get; init; }
    public required double ClientCpuMicrosPerHandshake { get; init; }
    public required int ClientCores { get; init; }
    public required double ClientCoreUtilization { get; init; }
    public required bool ClientSaturated { get; init; }
    public double? ServerCpuSeconds { get; init; }
    public double? HandshakesPerServerCpuSecond { get; init; }
    public long? BulkBytes { get; init; }
    public double? BulkGigabytesPerSecond { get; init; }
    public int? IdleConnectionsOpen { get; init; }
    public long? ServerRssBeforeBytes { get; init; }
    public long? ServerRssAfterBytes { get; init; }
    public double? ServerRssPerConnectionBytes { get; init; }
    /// <summary>Per-second samples of the measured window: handshakes/s, or bytes/s in bulk mode.</summary>
    public required IReadOnlyList<double> Timeline { get; init; }
    [JsonIgnore] public HdrHistogram.HistogramBase? LatencyHistogram { get; init; }

    public static RunSummary From(LoadOptions o, MeasuredWindow w)
    {
        RunStats s = w.Stats;
        var hist = s.HandshakeMicros.Copy();
        long hs = s.Handshakes;
        int cores = ProcStat.AllowedCores;
        double? serverCpu = w.ServerCpuSeconds;
        double? bulkGBps = o.Mode == RunMode.Bulk ? ReportMath.Rate(s.Bytes, w.WallSeconds) / 1e9 : null;
        double? rssPerConn = w.ServerRssAfterBytes is long after && w.ServerRssBeforeBytes is long before && w.IdleOpen > 0
            ? (after - before) / (double)w.IdleOpen : null;
        return new RunSummary
        {
            Target = $"{o.TargetHost}:{o.TargetPort}",
            Engine = o.Engine switch { EngineKind.OpenSsl => "openssl", EngineKind.Brisk => "brisk", _ => "sslstream" },
            Mode = o.Mode switch { RunMode.Bulk => "bulk", RunMode.Idle => "idle", _ => o.Rate > 0 ? "open" : "closed" },
            Tls = o.TlsVersion switch { 0x0303 => "1.2", 0x0304 => "1.3", _ => null },
            Ciphers = o.Ciphers,
            Groups = o.Groups,
            Resume = o.Resume switch
            {
                ResumeMode.None => "none",
                ResumeMode.Ticket => $"ticket:{o.ResumeShare.ToString(CultureInfo.InvariantCulture)}",
                _ => $"id:{o.ResumeShare.ToString(CultureInfo.InvariantCulture)}",
            },
            Request = o.Request switch { RequestKind.Http => "http", RequestKind.Bytes => $"bytes:{o.RequestBytes}", _ => "none" },
            Concurrency = o.Concurrency,
            RatePerSecond = o.Rate > 0 ? o.Rate : null,
            MeasuredSeconds = w.WallSeconds,
            Handshakes = hs,
            ResumedHandshakes = s.Resumed,
            HandshakesPerSecond = ReportMath.Rate(hs, w.WallSeconds),
            HandshakeLatencyMs = ReportMath.Latency(hist),
            FirstByteLatencyMs = o.Request != RequestKind.None ? ReportMath.Latency(s.FirstByteMicros.Copy()) : null,
            Errors = s.Errors,
            ErrorsByKind = RunStats.ErrorsByKind(s.ErrorTable),
            ErrorDetails = new SortedDictionary<string, long>(s.ErrorTable.ToDictionary(), StringComparer.Ordinal),
            DroppedArrivals = s.Dropped,
            ClientCpuSeconds = w.ClientCpuSeconds,
            ClientCpuMicrosPerHandshake = ReportMath.CpuMicrosPerHandshake(w.ClientCpuSeconds, hs),
            ClientCores = cores,
            ClientCoreUtilization = ReportMath.CoreUtilization(w.ClientCpuSeconds, w.WallSeconds, cores),
            ClientSaturated = ReportMath.IsSaturated(w.ClientCpuSeconds, w.WallSeconds, cores),
            ServerCpuSeconds = serverCpu,
            HandshakesPerServerCpuSecond = serverCpu is double sc ? ReportMath.HandshakesPerCpuSecond(hs, sc) : null,
            BulkBytes = o.Mode == RunMode.Bulk ? s.Bytes : null,
            BulkGigabytesPerSecond = bulkGBps,
            IdleConnectionsOpen = o.Mode == RunMode.Idle ? w.IdleOpen : null,
            ServerRssBeforeBytes = w.ServerRssBeforeBytes,
            ServerRssAfterBytes = w.ServerRssAfterBytes,
            ServerRssPerConnectionBytes = rssPerConn,
            Timeline = w.HandshakesPerSecondTimeline,
            LatencyHistogram = hist,
        };
    }

    public string ResultLine()
    {
        string line = ReportMath.ResultLine(HandshakesPerSecond, HandshakeLatencyMs.P50Ms, HandshakeLatencyMs.P99Ms, Errors,
            ClientCpuMicrosPerHandshake, ServerCpuSeconds, HandshakesPerServerCpuSecond);
        var sb = new StringBuilder(line);
        if (BulkGigabytesPerSecond is double g) sb.Append(" bulk_gb_per_s=").Append(ReportMath.Num(g, 3));
        if (IdleConnectionsOpen is int open)
        {
            sb.Append(" idle_open=").Append(open.ToString(CultureInfo.InvariantCulture));
            if (ServerRssPerConnectionBytes is double r) sb.Append(" server_rss_per_conn_bytes=").Append(ReportMath.Num(r, 0));
        }
        return sb.ToString();
    }

    public string ToText()
    {
        var sb = new StringBuilder();
        string Ms(double v) => ReportMath.Num(v, 3);
        sb.AppendLine($"target {Target}  engine {Engine}  mode {Mode}  tls {Tls ?? "1.2|1.3"}  concurrency {Concurrency}"
            + (RatePerSecond is double r ? $"  rate {ReportMath.Num(r, 1)}/s" : "") + $"  resume {Resume}  request {Request}");
        sb.AppendLine($"measured          {ReportMath.Num(MeasuredSeconds, 2)} s");
        sb.AppendLine($"handshakes        {Handshakes} (resumed {ResumedHandshakes})");
        sb.AppendLine($"handshakes/s      {ReportMath.Num(HandshakesPerSecond, 1)}");
        var l = HandshakeLatencyMs;
        sb.AppendLine($"handshake ms      p50 {Ms(l.P50Ms)}  p90 {Ms(l.P90Ms)}  p99 {Ms(l.P99Ms)}  p99.9 {Ms(l.P999Ms)}  max {Ms(l.MaxMs)}");
        if (FirstByteLatencyMs is { } f)
            sb.AppendLine($"first byte ms     p50 {Ms(f.P50Ms)}  p90 {Ms(f.P90Ms)}  p99 {Ms(f.P99Ms)}  p99.9 {Ms(f.P999Ms)}  max {Ms(f.MaxMs)}");
        sb.AppendLine($"errors            {Errors}  (" + string.Join(", ", ErrorsByKind.Select(kv => $"{kv.Key} {kv.Value}")) + ")");
        foreach (var (key, n) in ErrorDetails) sb.AppendLine($"  {key,-30} {n}");
        if (DroppedArrivals > 0) sb.AppendLine($"dropped arrivals  {DroppedArrivals} (in-flight cap --concurrency {Concurrency} reached)");
        sb.AppendLine($"client CPU        {ReportMath.Num(ClientCpuSeconds, 3)} s = {ReportMath.Num(ClientCpuMicrosPerHandshake, 1)} µs/handshake, "
            + $"{ReportMath.Num(ClientCoreUtilization * 100, 0)}% of {ClientCores} core(s)");
        if (ServerCpuSeconds is double s)
            sb.AppendLine($"server CPU        {ReportMath.Num(s, 2)} s = {ReportMath.Num(HandshakesPerServerCpuSecond ?? double.NaN, 1)} handshakes per server CPU-second");
        if (BulkGigabytesPerSecond is double g) sb.AppendLine($"bulk              {BulkBytes} bytes echoed = {ReportMath.Num(g, 3)} GB/s");
        if (IdleConnectionsOpen is int open)
        {
            sb.AppendLine($"idle connections  {open} open");
            if (ServerRssPerConnectionBytes is double rss)
                sb.AppendLine($"server RSS        {ServerRssBeforeBytes / 1024} kB -> {ServerRssAfterBytes / 1024} kB = {ReportMath.Num(rss, 0)} bytes per connection");
        }
        if (ClientSaturated)
            sb.AppendLine($"WARNING: the load generator used {ReportMath.Num(ClientCoreUtilization * 100, 0)}% of its {ClientCores} core(s): it is the bottleneck, the server figures are a lower bound.");
        return sb.ToString();
    }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    });
}
