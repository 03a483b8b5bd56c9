using System.Globalization;
using System.Net;

namespace Brisk.Server.Hosting;

/// <summary>The validated limits, metrics endpoint and log settings (keys in <see cref="BriskServerOptions"/>).</summary>
public sealed class OperationsSettings
{
    /// <summary>0: no limit.</summary>
    public int MaxConnections { get; init; }

    /// <summary>0: no limit.</summary>
    public int MaxHandshakes { get; init; }

    /// <summary>Null: connections are never closed for idleness.</summary>
    public TimeSpan? IdleTimeout { get; init; }

    /// <summary>Handshakes per second per client address; 0: no limit.</summary>
    public int HandshakeRatePerSecond { get; init; }

    /// <summary>The token bucket size per client address.</summary>
    public int HandshakeRateBurst { get; init; }

    public IPEndPoint? MetricsEndpoint { get; init; }

    /// <summary>simple | json.</summary>
    public string LogFormat { get; init; } = "simple";

    /// <summary>A file path, "stdout", or null for no access log.</summary>
    public string? AccessLog { get; init; }

    internal static OperationsSettings Build(BriskServerOptions options)
    {
        if (options.MaxConnections < 0)
            throw new ConfigurationException("MaxConnections: must be 0 (no limit) or positive");
        if (options.MaxHandshakes < 0)
            throw new ConfigurationException("MaxHandshakes: must be 0 (no limit) or positive");

        TimeSpan? idle = null;
        string idleText = options.IdleTimeout?.Trim() ?? "";
        if (idleText.Length > 0 && !idleText.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            var value = ServerConfiguration.ParseDuration("IdleTimeout", idleText, allowZero: true);
            idle = value > TimeSpan.Zero ? value : null;
        }

        int rate = 0;
        if (!string.IsNullOrWhiteSpace(options.HandshakeRateLimit))
        {
            string text = options.HandshakeRateLimit.Trim();
            if (text.EndsWith("/s", StringComparison.OrdinalIgnoreCase))
                text = text[..^2];
            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out rate) || rate <= 0)
                throw new ConfigurationException($"HandshakeRateLimit: '{options.HandshakeRateLimit}' is not a positive rate like 20/s");
        }
        if (options.HandshakeRateBurst < 0)
            throw new ConfigurationException("HandshakeRateBurst: must be positive (or 0 for the per-second rate)");
        if (options.HandshakeRateBurst > 0 && rate == 0)
            throw new ConfigurationException("HandshakeRateBurst: set, but HandshakeRateLimit is not");

        IPEndPoint? metrics = null;
        if (!string.IsNullOrWhiteSpace(options.Metrics))
        {
            if (!IPEndPoint.TryParse(options.Metrics.Trim(), out metrics) || metrics.Port is <= 0 or > 65535 || !options.Metrics.Contains(':'))
                throw new ConfigurationException($"Metrics: '{options.Metrics}' is not IP:PORT (with a port other than 0)");
        }

        string format = (options.LogFormat ?? "simple").Trim().ToLowerInvariant();
        if (format is not ("simple" or "json"))
            throw new ConfigurationException($"LogFormat: '{options.LogFormat}' is not simple or json");

        string? accessLog = string.IsNullOrWhiteSpace(options.AccessLog) ? null : options.AccessLog.Trim();
        if (accessLog is not null && !accessLog.Equals("stdout", StringComparison.OrdinalIgnoreCase))
        {
            string? directory = Path.GetDirectoryName(Path.GetFullPath(accessLog));
            if (directory is not null && !Directory.Exists(directory))
                throw new ConfigurationException($"AccessLog: directory '{directory}' does not exist");
        }

        return new OperationsSettings
        {
            MaxConnections = options.MaxConnections,
            MaxHandshakes = options.MaxHandshakes,
            IdleTimeout = idle,
            HandshakeRatePerSecond = rate,
            HandshakeRateBurst = options.HandshakeRateBurst > 0 ? options.HandshakeRateBurst : rate,
            MetricsEndpoint = metrics,
            LogFormat = format,
            AccessLog = accessLog,
        };
    }
}
