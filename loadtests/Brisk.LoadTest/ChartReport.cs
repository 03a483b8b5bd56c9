using ScottPlot;

namespace Brisk.LoadTest;

/// <summary>--report FILE: a PNG with the rate over time (top) and the latency percentile distribution (bottom).</summary>
internal static class ChartReport
{
    public static void Write(RunSummary s, string path)
    {
        var multiplot = new Multiplot();
        multiplot.AddPlots(2);

        Plot rate = multiplot.GetPlot(0);
        double[] seconds = Enumerable.Range(1, s.Timeline.Count).Select(i => (double)i).ToArray();
        bool bulk = s.BulkGigabytesPerSecond is not null;
        double[] values = s.Timeline.Select(v => bulk ? v / 1e9 : v).ToArray();
        if (values.Length > 0) rate.Add.Scatter(seconds, values);
        rate.Title($"{s.Engine} → {s.Target}  tls {s.Tls ?? "any"}  c={s.Concurrency}: "
            + (bulk ? $"{ReportMath.Num(s.BulkGigabytesPerSecond!.Value, 3)} GB/s" : $"{ReportMath.Num(s.HandshakesPerSecond, 0)} handshakes/s"));
        rate.XLabel("time (s)");
        rate.YLabel(bulk ? "GB/s" : "handshakes/s");
        rate.Axes.SetLimitsY(0, Math.Max(1, values.DefaultIfEmpty(0).Max() * 1.1));

        Plot latency = multiplot.GetPlot(1);
        if (s.LatencyHistogram is { TotalCount: > 0 } h)
        {
            // x = number of nines: 0 → p0, 1 → p90, 2 → p99, 3 → p99.9 (HdrHistogram's usual percentile view).
            var xs = new List<double>();
            var ys = new List<double>();
            for (double nines = 0; nines <= 4.0001; nines += 0.05)
            {
                double p = 100 * (1 - Math.Pow(10, -nines));
                xs.Add(nines);
                ys.Add(h.GetValueAtPercentile(Math.Min(p, 100)) / 1000.0);
            }
            latency.Add.Scatter(xs.ToArray(), ys.ToArray());
            latency.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(
                [0, 0.301, 1, 2, 3, 4], ["0%", "50%", "90%", "99%", "99.9%", "99.99%"]);
        }
        latency.Title($"handshake latency: p50 {ReportMath.Num(s.HandshakeLatencyMs.P50Ms, 3)} ms, p99 {ReportMath.Num(s.HandshakeLatencyMs.P99Ms, 3)} ms, max {ReportMath.Num(s.HandshakeLatencyMs.MaxMs, 3)} ms");
        latency.XLabel("percentile");
        latency.YLabel("ms");

        multiplot.SavePng(path, 1000, 900);
    }
}
