using System.Globalization;
using Spectre.Console;

namespace Brisk.LoadTest;

/// <summary>Live progress: a Spectre.Console live table on a terminal, plain lines otherwise (CI, tests, pipes).</summary>
internal interface IProgressSink : IAsyncDisposable
{
    ValueTask UpdateAsync(ProgressSnapshot snapshot);
}

internal sealed class PlainProgressSink(TextWriter output) : IProgressSink
{
    public static string Format(ProgressSnapshot s)
    {
        string errors = s.Errors == 0 ? "0" : s.Errors + " (" + string.Join(" ", s.ErrorsByKind.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}")) + ")";
        string rate = s.BytesPerSecond > 0
            ? $"{ReportMath.Num(s.BytesPerSecond / 1e9, 3)} GB/s"
            : $"{ReportMath.Num(s.HandshakesPerSecond, 0)} hs/s";
        return string.Create(CultureInfo.InvariantCulture,
            $"[{s.Phase} {s.ElapsedSeconds,5:F1}s] {rate}  handshakes {s.Handshakes}  errors {errors}  p50 {s.P50Ms:F3} ms  p99 {s.P99Ms:F3} ms");
    }

    public ValueTask UpdateAsync(ProgressSnapshot snapshot)
    {
        output.WriteLine(Format(snapshot));
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

internal sealed class SpectreProgressSink : IProgressSink
{
    private readonly Task _live;
    private volatile ProgressSnapshot? _latest;
    private volatile bool _done;

    public SpectreProgressSink()
    {
        _live = AnsiConsole.Live(Build(null)).AutoClear(false).StartAsync(async ctx =>
        {
            while (!_done)
            {
                ctx.UpdateTarget(Build(_latest));
                await Task.Delay(250).ConfigureAwait(false);
            }
            ctx.UpdateTarget(Build(_latest));
        });
    }

    private static Table Build(ProgressSnapshot? s)
    {
        var t = new Table().Border(TableBorder.Rounded).Title("Brisk.LoadTest");
        t.AddColumns("phase", "elapsed", "rate", "handshakes", "errors", "p50 ms", "p99 ms");
        if (s is null) { t.AddRow("starting", "", "", "", "", "", ""); return t; }
        string errors = s.Errors == 0 ? "0" : Markup.Escape(string.Join(" ", s.ErrorsByKind.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key}={kv.Value}")));
        string rate = s.BytesPerSecond > 0 ? $"{ReportMath.Num(s.BytesPerSecond / 1e9, 3)} GB/s" : $"{ReportMath.Num(s.HandshakesPerSecond, 0)} hs/s";
        t.AddRow(s.Phase, ReportMath.Num(s.ElapsedSeconds, 1) + " s", rate, s.Handshakes.ToString(CultureInfo.InvariantCulture),
            s.Errors == 0 ? "[green]0[/]" : $"[red]{errors}[/]", ReportMath.Num(s.P50Ms, 3), ReportMath.Num(s.P99Ms, 3));
        return t;
    }

    public ValueTask UpdateAsync(ProgressSnapshot snapshot)
    {
        _latest = snapshot;
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _done = true;
        await _live.ConfigureAwait(false);
    }
}
