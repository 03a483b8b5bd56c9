using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Brisk.Server.Hosting;

/// <summary>
/// Host-level operations wiring (docs/OPERATIONS.md): console log format, systemd integration and the
/// Prometheus metrics endpoint.
/// </summary>
public static class Observability
{
    /// <summary>Every meter of the project: Brisk.Server, Brisk.Tls, Brisk.Crypto.Rsa and those other parts add.</summary>
    public const string MeterWildcard = "Brisk.*";

    /// <summary>
    /// The runtime's own meter (GC collections and heap sizes, bytes allocated, thread-pool queue, lock
    /// contention): what an operator needs beside the server's counters to see why a rate moves.
    /// </summary>
    public const string RuntimeMeter = "System.Runtime";

    public static void Configure(HostApplicationBuilder builder, ServerConfiguration configuration)
    {
        var operations = configuration.Operations;

        // Under systemd (Type=notify): READY=1 once the listeners are bound and the host started, STOPPING=1 on
        // SIGTERM, and console lines carrying the journal's <N> priority prefixes. Outside systemd: nothing.
        builder.Services.AddSystemd();
        bool underSystemd = SystemdHelpers.IsSystemdService();

        if (operations.LogFormat == "json")
        {
            // One JSON object per line (timestamp, EventId, LogLevel, Category, Message, State with the named values).
            builder.Logging.AddJsonConsole(o =>
            {
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
                o.IncludeScopes = false;
                o.JsonWriterOptions = new JsonWriterOptions { Indented = false };
            });
        }
        else if (!underSystemd)
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            });
        }

        if (operations.MetricsEndpoint is { } endpoint)
        {
            builder.Services.AddOpenTelemetry()
                .ConfigureResource(resource => resource.AddService("brisk"))
                .WithMetrics(metrics => metrics
                .AddMeter(MeterWildcard, RuntimeMeter)
                .AddPrometheusHttpListener(o =>
                {
                    o.Host = HttpListenerHost(endpoint.Address);
                    o.Port = endpoint.Port;
                    o.ScrapeEndpointPath = "/metrics";
                }));
        }
    }

    /// <summary>HttpListener's spelling of a bind address: "*" for any, brackets around IPv6.</summary>
    private static string HttpListenerHost(IPAddress address)
    {
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any))
            return "*";
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
    }
}
