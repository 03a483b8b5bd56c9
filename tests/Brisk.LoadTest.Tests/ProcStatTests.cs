namespace Brisk.LoadTest.Tests;

public class ProcStatTests
{
    // Fields per proc(5): pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime stime ...
    [Fact]
    public void Cpu_ticks_are_fields_14_and_15()
    {
        const string line = "4242 (nginx) S 1 4242 4242 0 -1 4194624 120 0 0 0 731 269 0 0 20 0 1 0 12345 1000000 500 18446744073709551615";
        Assert.True(ProcStat.TryParseCpuTicks(line, out long utime, out long stime));
        Assert.Equal(731, utime);
        Assert.Equal(269, stime);
    }

    [Fact]
    public void Command_names_with_spaces_and_parentheses_do_not_shift_the_fields()
    {
        const string line = "77 (my (odd) name) R 1 77 77 0 -1 0 1 2 3 4 55 66 0 0 20 0 1 0 1 1 1";
        Assert.True(ProcStat.TryParseCpuTicks(line, out long utime, out long stime));
        Assert.Equal(55, utime);
        Assert.Equal(66, stime);
    }

    [Theory]
    [InlineData("")]
    [InlineData("12 (x) S 1 2 3")]
    [InlineData("12 x S 1 2 3 4 5 6 7 8 9 10 11 12 13 14")]
    [InlineData("12 (x) S 1 2 3 4 5 6 7 8 9 10 -5 12 13 14")]
    public void Malformed_stat_lines_are_rejected(string line) =>
        Assert.False(ProcStat.TryParseCpuTicks(line, out _, out _));

    [Fact]
    public void Ticks_convert_with_the_clock_rate() =>
        Assert.Equal(2.5, ProcStat.TicksToSeconds(250, 100), 9);

    [Fact]
    public void Own_process_is_readable_and_burns_cpu()
    {
        if (!OperatingSystem.IsLinux()) return;
        int pid = Environment.ProcessId;
        double before = ProcStat.ReadCpuSeconds([pid])!.Value;
        // Burn enough CPU to cross several clock ticks (10 ms each at 100 Hz).
        var sw = System.Diagnostics.Stopwatch.StartNew();
        double x = 0;
        while (sw.ElapsedMilliseconds < 200) x += Math.Sqrt(sw.ElapsedTicks);
        double after = ProcStat.ReadCpuSeconds([pid])!.Value;
        Assert.True(after > before, $"cpu {before} -> {after} ({x})");
        Assert.True(ProcStat.ReadRssBytes([pid]) > 1024 * 1024);
    }

    [Fact]
    public void Missing_process_gives_null() =>
        Assert.Null(ProcStat.ReadCpuSeconds([int.MaxValue]));

    [Fact]
    public void Rss_is_parsed_from_status_in_bytes()
    {
        const string status = "Name:\tnginx\nVmPeak:\t  20000 kB\nVmRSS:\t    8548 kB\nRssAnon:\t 1000 kB\n";
        Assert.True(ProcStat.TryParseRssBytes(status, out long bytes));
        Assert.Equal(8548L * 1024, bytes);
        Assert.False(ProcStat.TryParseRssBytes("Name:\tx\n", out _));
    }
}
