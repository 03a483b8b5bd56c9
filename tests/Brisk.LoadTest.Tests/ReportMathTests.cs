using HdrHistogram;

namespace Brisk.LoadTest.Tests;

public class ReportMathTests
{
    [Fact]
    public void Percentiles_of_a_uniform_histogram_match_the_recorded_values()
    {
        var h = new LongHistogram(1, RunStats.HighestTrackableMicros, 3);
        for (long us = 1; us <= 10_000; us++) h.RecordValue(us);

        LatencySummary s = ReportMath.Latency(h);

        Assert.Equal(10_000, s.Count);
        // HdrHistogram with 3 significant digits: each value is within 0.1% of the recorded one.
        Assert.InRange(s.P50Ms, 5.000 * 0.999, 5.000 * 1.001);
        Assert.InRange(s.P90Ms, 9.000 * 0.999, 9.000 * 1.001);
        Assert.InRange(s.P99Ms, 9.900 * 0.999, 9.900 * 1.001);
        Assert.InRange(s.P999Ms, 9.990 * 0.999, 9.990 * 1.001);
        Assert.InRange(s.MaxMs, 10.000 * 0.999, 10.000 * 1.001);
    }

    [Fact]
    public void Percentiles_see_a_slow_tail()
    {
        var h = new LongHistogram(1, RunStats.HighestTrackableMicros, 3);
        for (int i = 0; i < 990; i++) h.RecordValue(1_000);   // 1 ms
        for (int i = 0; i < 10; i++) h.RecordValue(50_000);   // 50 ms: exactly the slowest 1%

        LatencySummary s = ReportMath.Latency(h);

        Assert.InRange(s.P50Ms, 0.999, 1.001);
        Assert.InRange(s.P99Ms, 0.999, 1.001);      // the 99th percentile is still the fast value
        Assert.InRange(s.P999Ms, 49.9, 50.1);
        Assert.InRange(s.MaxMs, 49.9, 50.1);
    }

    [Fact]
    public void Empty_histogram_gives_zeros_not_an_exception()
    {
        var h = new LongHistogram(1, RunStats.HighestTrackableMicros, 3);
        Assert.Equal(new LatencySummary(0, 0, 0, 0, 0, 0), ReportMath.Latency(h));
    }

    [Fact]
    public void Run_stats_record_microseconds_from_stopwatch_timestamps()
    {
        var stats = new RunStats();
        long start = 1_000;
        long end = start + System.Diagnostics.Stopwatch.Frequency / 1000 * 3; // 3 ms later
        stats.RecordHandshake(start, end, resumed: true);
        stats.RecordHandshake(start, end, resumed: false);

        Assert.Equal(2, stats.Handshakes);
        Assert.Equal(1, stats.Resumed);
        Assert.InRange(ReportMath.Latency(stats.HandshakeMicros).P50Ms, 2.997, 3.003);
    }

    [Theory]
    [InlineData(1000, 2.0, 500.0)]
    [InlineData(0, 2.0, 0.0)]
    [InlineData(5, 0.0, 0.0)]
    public void Rate_is_count_over_seconds(long count, double seconds, double expected) =>
        Assert.Equal(expected, ReportMath.Rate(count, seconds), 9);

    [Fact]
    public void Cpu_per_handshake_is_in_microseconds()
    {
        Assert.Equal(200.0, ReportMath.CpuMicrosPerHandshake(2.0, 10_000), 9);
        Assert.True(double.IsNaN(ReportMath.CpuMicrosPerHandshake(1.0, 0)));
    }

    [Fact]
    public void Handshakes_per_server_cpu_second()
    {
        Assert.Equal(4000.0, ReportMath.HandshakesPerCpuSecond(10_000, 2.5), 9);
        Assert.True(double.IsNaN(ReportMath.HandshakesPerCpuSecond(10, 0)));
    }

    [Theory]
    [InlineData(9.0, 10.0, 1, true)]    // 90% of one core
    [InlineData(8.9, 10.0, 1, false)]
    [InlineData(9.0, 10.0, 2, false)]   // 45% of two cores
    [InlineData(18.0, 10.0, 2, true)]
    public void Saturation_is_90_percent_of_the_allowed_cores(double cpu, double wall, int cores, bool saturated) =>
        Assert.Equal(saturated, ReportMath.IsSaturated(cpu, wall, cores));

    [Fact]
    public void Result_line_has_the_documented_keys_and_invariant_numbers()
    {
        string line = ReportMath.ResultLine(1234.56, 0.8126, 2.5, 3, 412.34, null, null);
        Assert.Equal("RESULT handshakes_per_s=1234.6 p50_ms=0.813 p99_ms=2.500 errors=3 client_cpu_us_per_hs=412.3", line);
    }

    [Fact]
    public void Result_line_adds_server_cpu_when_known()
    {
        string line = ReportMath.ResultLine(1000, 1, 2, 0, double.NaN, 1.5, 666.66);
        Assert.EndsWith(" client_cpu_us_per_hs=nan server_cpu_s=1.50 hs_per_server_cpu_s=666.7", line);

        var parsed = ReportMath.ParseResultLine(line);
        Assert.Equal(["handshakes_per_s", "p50_ms", "p99_ms", "errors", "client_cpu_us_per_hs", "server_cpu_s", "hs_per_server_cpu_s"], parsed.Keys);
        Assert.Equal("1000.0", parsed["handshakes_per_s"]);
    }

    [Fact]
    public void Errors_are_summed_by_kind()
    {
        var stats = new RunStats();
        stats.RecordError(ConnectionError.Alert("protocol_version"));
        stats.RecordError(ConnectionError.Alert("protocol_version"));
        stats.RecordError(ConnectionError.Alert("handshake_failure"));
        stats.RecordError(ConnectionError.Refused);
        stats.RecordError(ConnectionError.Reset("eof"));
        stats.RecordError(ConnectionError.Other("weird thing"));

        var byKind = RunStats.ErrorsByKind(stats.ErrorTable);

        Assert.Equal(6, stats.Errors);
        Assert.Equal(3, byKind["alert"]);
        Assert.Equal(1, byKind["refused"]);
        Assert.Equal(1, byKind["reset"]);
        Assert.Equal(1, byKind["other"]);
        Assert.Equal(0, byKind["timeout"]);
        Assert.Equal(2, stats.ErrorTable["alert:protocol_version"]);
        Assert.True(stats.ErrorTable.ContainsKey("other:weird_thing"));
    }
}
