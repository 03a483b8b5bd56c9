using System.Globalization;
using System.Text;
using HdrHistogram;

namespace Brisk.LoadTest;

internal sealed record LatencySummary(long Count, double P50Ms, double P90Ms, double P99Ms, double P999Ms, double MaxMs);

/// <summary>The arithmetic of the final report, kept free of I/O so it can be unit-tested.</summary>
internal static class ReportMath
{
    public static LatencySummary Latency(HistogramBase micros)
    {
        if (micros.TotalCount == 0) return new LatencySummary(0, 0, 0, 0, 0, 0);
        static double Ms(long us) => us / 1000.0;
        return new LatencySummary(
            micros.TotalCount,
            Ms(micros.GetValueAtPercentile(50)),
            Ms(micros.GetValueAtPercentile(90)),
            Ms(micros.GetValueAtPercentile(99)),
            Ms(micros.GetValueAtPercentile(99.9)),
            Ms(micros.GetMaxValue()));
    }

    public static double Rate(long count, double seconds) => seconds > 0 ? count / seconds : 0;

    /// <summary>Client CPU microseconds per completed handshake; NaN when none completed.</summary>
    public static double CpuMicrosPerHandshake(double cpuSeconds, long handshakes) =>
        handshakes > 0 ? cpuSeconds * 1e6 / handshakes : double.NaN;

    /// <summary>Handshakes per server CPU-second: the efficiency figure independent of how many cores the server got.</summary>
    public static double HandshakesPerCpuSecond(long handshakes, double cpuSeconds) =>
        cpuSeconds > 0 ? handshakes / cpuSeconds : double.NaN;

    /// <summary>CPU time as a share of the cores available over the wall time (1.0 = all allowed cores busy).</summary>
    public static double CoreUtilization(double cpuSeconds, double wallSeconds, int cores) =>
        wallSeconds > 0 && cores > 0 ? cpuSeconds / (wallSeconds * cores) : 0;

    /// <summary>The load generator is the bottleneck when it used ≥ 90% of every core it may run on.</summary>
    public static bool IsSaturated(double cpuSeconds, double wallSeconds, int cores) =>
        CoreUtilization(cpuSeconds, wallSeconds, cores) >= 0.9;

    public static string Num(double v, int decimals) =>
        double.IsNaN(v) || double.IsInfinity(v) ? "nan" : v.ToString("F" + decimals, CultureInfo.InvariantCulture);

    /// <summary>
    /// The last line of a handshake run:
    /// <c>RESULT handshakes_per_s=… p50_ms=… p99_ms=… errors=… client_cpu_us_per_hs=…[ server_cpu_s=… hs_per_server_cpu_s=…]</c>.
    /// Keys are fixed and space-separated; values use '.' as decimal point and "nan" when undefined.
    /// </summary>
    public static string ResultLine(double handshakesPerSecond, double p50Ms, double p99Ms, long errors,
        double clientCpuMicrosPerHandshake, double? serverCpuSeconds, double? handshakesPerServerCpuSecond)
    {
        var sb = new StringBuilder("RESULT");
        sb.Append(" handshakes_per_s=").Append(Num(handshakesPerSecond, 1));
        sb.Append(" p50_ms=").Append(Num(p50Ms, 3));
        sb.Append(" p99_ms=").Append(Num(p99Ms, 3));
        sb.Append(" errors=").Append(errors.ToString(CultureInfo.InvariantCulture));
        sb.Append(" client_cpu_us_per_hs=").Append(Num(clientCpuMicrosPerHandshake, 1));
        if (serverCpuSeconds is double s)
        {
            sb.Append(" server_cpu_s=").Append(Num(s, 2));
            sb.Append(" hs_per_server_cpu_s=").Append(Num(handshakesPerServerCpuSecond ?? double.NaN, 1));
        }
        return sb.ToString();
    }

    /// <summary>Parses "RESULT k=v k=v" back into a dictionary (used by tests and compare.sh's logic).</summary>
    public static Dictionary<string, string> ParseResultLine(string line)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!line.StartsWith("RESULT ", StringComparison.Ordinal)) return d;
        foreach (string part in line["RESULT ".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            if (eq > 0) d[part[..eq]] = part[(eq + 1)..];
        }
        return d;
    }
}
