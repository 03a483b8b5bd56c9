namespace Brisk.LoadTest.Tests;

public class OptionsTests
{
    [Fact]
    public void Defaults_and_target()
    {
        var o = LoadOptions.Parse(["--target", "127.0.0.1:4433"]);
        Assert.Equal("127.0.0.1", o.TargetHost);
        Assert.Equal(4433, o.TargetPort);
        Assert.Null(o.Sni); // no SNI for an IP literal (RFC 6066 §3)
        Assert.Equal(EngineKind.Brisk, o.Engine);
        Assert.Equal(ResumeMode.None, o.Resume);
        Assert.Null(o.VerifyCaFile);
    }

    [Fact]
    public void Host_name_target_is_the_default_sni()
    {
        var o = LoadOptions.Parse(["--target", "localhost:443"]);
        Assert.Equal("localhost", o.Sni);
    }

    [Theory]
    [InlineData("500ms", 0.5)]
    [InlineData("30s", 30)]
    [InlineData("2m", 120)]
    [InlineData("7", 7)]
    public void Durations(string text, double seconds) =>
        Assert.Equal(seconds, LoadOptions.ParseDuration("--duration", text).TotalSeconds, 9);

    [Theory]
    [InlineData("ticket", "Ticket", 1.0)]
    [InlineData("ticket:0.5", "Ticket", 0.5)]
    [InlineData("id:0.25", "SessionId", 0.25)]
    [InlineData("none", "None", 0.0)]
    public void Resume_mode_and_share(string text, string mode, double share)
    {
        var (m, s) = LoadOptions.ParseResume(text);
        Assert.Equal(mode, m.ToString());
        Assert.Equal(share, s, 9);
    }

    [Theory]
    [InlineData("--duration", "0s")]
    [InlineData("--duration", "fast")]
    [InlineData("--concurrency", "0")]
    [InlineData("--tls", "1.1")]
    [InlineData("--resume", "ticket:2")]
    [InlineData("--resume", "psk")]
    [InlineData("--request", "bytes:x")]
    [InlineData("--engine", "gnutls")]
    [InlineData("--read-ahead", "maybe")]
    [InlineData("--bogus", "1")]
    public void Bad_values_are_usage_errors(string option, string value) =>
        Assert.Throws<OptionsException>(() => LoadOptions.Parse(["--target", "127.0.0.1:1", option, value]));

    [Fact]
    public void Session_id_resumption_is_refused_for_tls13() =>
        Assert.Throws<OptionsException>(() => LoadOptions.Parse(["--target", "127.0.0.1:1", "--tls", "1.3", "--resume", "id"]));

    [Fact]
    public void Target_is_required() =>
        Assert.Throws<OptionsException>(() => LoadOptions.Parse(["--duration", "1s"]));

    [Fact]
    public void Alpn_wire_format_is_length_prefixed()
    {
        byte[] wire = Engines.OpenSslEngine.AlpnWire(["h2", "http/1.1"]);
        Assert.Equal([2, (byte)'h', (byte)'2', 8, .. "http/1.1"u8.ToArray()], wire);
    }
}

public class ResumeScheduleTests
{
    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.1)]
    [InlineData(1.0)]
    public void Resumptions_are_the_requested_share_and_evenly_spread(double share)
    {
        const int n = 1000;
        int resumed = 0, longestFullRun = 0, run = 0;
        for (int i = 0; i < n; i++)
        {
            if (LoadRunner.ResumesAt(i, share)) { resumed++; run = 0; }
            else longestFullRun = Math.Max(longestFullRun, ++run);
        }
        Assert.Equal((int)Math.Round(n * share), resumed);
        Assert.True(longestFullRun <= (int)Math.Ceiling(1 / share), $"{longestFullRun} full handshakes in a row");
    }

    [Fact]
    public void Share_zero_never_resumes() =>
        Assert.DoesNotContain(Enumerable.Range(0, 100), i => LoadRunner.ResumesAt(i, 0));
}
