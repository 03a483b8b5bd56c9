using System.Globalization;
using System.Text.Json;

namespace Brisk.LoadTest.Tests;

/// <summary>Runs the load generator in-process (its real entry point) against `openssl s_server`.</summary>
[Collection("end-to-end")] // one at a time: they measure against a real server
public class EndToEndTests
{
    private static async Task<(int Exit, string Output, Dictionary<string, string> Result)> RunAsync(params string[] args)
    {
        var output = new StringWriter(CultureInfo.InvariantCulture);
        var error = new StringWriter(CultureInfo.InvariantCulture);
        int exit = await LoadTestApp.RunAsync(args, output, error, interactiveConsole: false, CancellationToken.None);
        string text = output.ToString() + error.ToString();
        string last = output.ToString().TrimEnd().Split('\n')[^1];
        Assert.StartsWith("RESULT ", last); // the last line is the machine-readable one
        return (exit, text, ReportMath.ParseResultLine(last));
    }

    private static double Num(Dictionary<string, string> r, string key) => double.Parse(r[key], CultureInfo.InvariantCulture);

    [OpenSslTheory]
    [InlineData("openssl", "1.3", "none")]
    [InlineData("openssl", "1.2", "http")]
    [InlineData("sslstream", "1.3", "http")]
    [InlineData("sslstream", "1.2", "none")]
    public async Task Handshakes_complete_against_openssl_s_server(string engine, string tls, string request)
    {
        using var server = OpenSslServer.Start();
        string json = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, result) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--tls", tls,
                "--request", request, "--duration", "2s", "--concurrency", "4", "--server-pid", server.Pid.ToString(CultureInfo.InvariantCulture),
                "--json", json);

            Assert.True(exit == 0, output);
            Assert.True(Num(result, "handshakes_per_s") > 0, output);
            Assert.True(result["errors"] == "0", output);
            Assert.True(Num(result, "client_cpu_us_per_hs") > 0, output);
            Assert.True(result.ContainsKey("hs_per_server_cpu_s"), output);
            Assert.Contains("[measure", output); // plain progress lines when not on a terminal

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.True(doc.RootElement.GetProperty("handshakes").GetInt64() > 0);
            Assert.Equal(0, doc.RootElement.GetProperty("errors").GetInt64());
            Assert.Equal(engine, doc.RootElement.GetProperty("engine").GetString());
            if (request == "http")
                Assert.True(doc.RootElement.GetProperty("first_byte_latency_ms").GetProperty("count").GetInt64() > 0);
        }
        finally { File.Delete(json); }
    }

    [OpenSslTheory]
    [InlineData("openssl")]
    [InlineData("sslstream")]
    public async Task Version_mismatch_is_counted_as_alert_protocol_version(string engine)
    {
        using var server = OpenSslServer.Start("-tls1_3");

        var (exit, output, result) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--tls", "1.2",
            "--duration", "1s", "--concurrency", "2");

        Assert.True(exit == 0, output);
        Assert.True(long.Parse(result["errors"], CultureInfo.InvariantCulture) > 0, output);
        Assert.True(Num(result, "handshakes_per_s") == 0, output);
        Assert.Contains("alert:protocol_version", output);
    }

    [OpenSslFact]
    public async Task Session_resumption_is_used_for_the_requested_share()
    {
        using var server = OpenSslServer.Start();
        string json = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, result) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", "1.3", "--resume", "ticket:0.5",
                "--duration", "2s", "--concurrency", "2", "--json", json);
            Assert.True(exit == 0 && result["errors"] == "0", output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            long total = doc.RootElement.GetProperty("handshakes").GetInt64();
            long resumed = doc.RootElement.GetProperty("resumed_handshakes").GetInt64();
            Assert.True(total > 10, output);
            // Half the attempts resume; in-flight connections at the window edges blur it slightly.
            Assert.InRange(resumed, total * 0.4, total * 0.6);
        }
        finally { File.Delete(json); }
    }

    [OpenSslFact]
    public async Task Open_model_never_exceeds_the_arrival_rate()
    {
        using var server = OpenSslServer.Start();
        string json = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, result) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", "1.3", "--rate", "50",
                "--warmup", "500ms", "--duration", "2s", "--concurrency", "64", "--json", json);
            // s_server serves one connection at a time: on a loaded machine (CI runs the test projects in
            // parallel) an arrival may time out. Failures are connections too, so they count against the bound.
            Assert.True(exit == 0, output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            Assert.Equal("open", doc.RootElement.GetProperty("mode").GetString());
            long handshakes = doc.RootElement.GetProperty("handshakes").GetInt64() + doc.RootElement.GetProperty("errors").GetInt64();
            Assert.True(doc.RootElement.GetProperty("handshakes").GetInt64() >= 1, output);
            double seconds = doc.RootElement.GetProperty("measured_seconds").GetDouble();
            // Each scheduled arrival yields at most one handshake, and arrivals come at 50/s. Connections that
            // arrived before the window but finish inside it, and a scheduler that catches up after being
            // descheduled on a loaded machine, can add some; a closed-model (unpaced) run would add hundreds.
            Assert.InRange(handshakes, 1, (long)Math.Ceiling(1.5 * 50 * seconds) + 2);
            Assert.Equal(0, doc.RootElement.GetProperty("dropped_arrivals").GetInt64());
        }
        finally { File.Delete(json); }
    }

    [OpenSslFact]
    public async Task Count_mode_stops_after_the_requested_connections()
    {
        using var server = OpenSslServer.Start();
        string json = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.json");
        try
        {
            var (exit, output, _) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--count", "40", "--concurrency", "2",
                "--duration", "10m", "--json", json);
            Assert.True(exit == 0, output);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            long done = doc.RootElement.GetProperty("handshakes").GetInt64() + doc.RootElement.GetProperty("errors").GetInt64();
            // Without warm-up exactly the requested connections run (each one handshake or one error here).
            Assert.Equal(40, done);
        }
        finally { File.Delete(json); }
    }

    [OpenSslTheory]
    [InlineData("openssl")]
    [InlineData("sslstream")]
    public async Task Verification_accepts_the_right_ca_and_rejects_another(string engine)
    {
        using var server = OpenSslServer.Start();
        string otherCa = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.pem");
        string otherKey = otherCa + ".key";
        try
        {
            OpenSslServer.Run(ExternalTools.Find("openssl")!, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", otherKey, "-out", otherCa, "-subj", "/CN=localhost", "-days", "2"]);

            var good = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--sni", "localhost",
                "--verify", server.CertificatePath, "--count", "5", "--concurrency", "1");
            Assert.True(good.Result["errors"] == "0" && Num(good.Result, "handshakes_per_s") > 0, good.Output);

            var bad = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--sni", "localhost",
                "--verify", otherCa, "--count", "5", "--concurrency", "1");
            Assert.True(bad.Result["errors"] != "0" && Num(bad.Result, "handshakes_per_s") == 0, bad.Output);
        }
        finally
        {
            File.Delete(otherCa);
            File.Delete(otherKey);
        }
    }

    [OpenSslTheory]
    [InlineData("openssl")]
    [InlineData("sslstream")]
    public async Task Client_certificate_is_sent_when_the_server_requires_one(string engine)
    {
        string clientCert = "", clientKey = "";
        using var server = OpenSslServer.Start((openssl, dir) =>
        {
            clientCert = Path.Combine(dir, "client.pem");
            clientKey = Path.Combine(dir, "client.key");
            OpenSslServer.Run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", clientKey, "-out", clientCert, "-subj", "/CN=client", "-days", "2"]);
            // -Verify: a client certificate is mandatory and must chain to -CAfile.
            return ["-Verify", "1", "-CAfile", clientCert];
        });

        var without = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--tls", "1.3", "--count", "3", "--concurrency", "1",
            "--request", "http"); // TLS 1.3: the server rejects after the client Finished (RFC 8446 §4.4.2.4), seen on the first read
        Assert.True(without.Result["errors"] != "0", without.Output);

        var with = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--tls", "1.3", "--count", "3", "--concurrency", "1",
            "--request", "http", "--client-cert", clientCert, "--client-key", clientKey);
        Assert.True(with.Result["errors"] == "0" && Num(with.Result, "handshakes_per_s") > 0, with.Output);
    }

    [Theory]
    [InlineData("openssl")]
    [InlineData("sslstream")]
    public async Task Closed_port_is_counted_as_refused(string engine)
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        } // closed again: nobody listens there now

        var (exit, output, result) = await RunAsync("--target", $"127.0.0.1:{port}", "--engine", engine, "--duration", "300ms", "--concurrency", "1");

        Assert.Equal(0, exit);
        Assert.True(long.Parse(result["errors"], CultureInfo.InvariantCulture) > 0, output);
        Assert.Contains("refused", output);
    }

    [Theory]
    [InlineData("--client-cert", "/nonexistent/cert.pem", "--client-key", "/nonexistent/key.pem", "--engine", "openssl")]
    [InlineData("--client-cert", "/nonexistent/cert.pem", "--client-key", "/nonexistent/key.pem", "--engine", "sslstream")]
    [InlineData("--verify", "/nonexistent/ca.pem", "--engine", "openssl", "", "")]
    [InlineData("--verify", "/nonexistent/ca.pem", "--engine", "sslstream", "", "")]
    public async Task Unreadable_files_are_usage_errors_not_crashes(string o1, string v1, string o2, string v2, string o3, string v3)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["--target", "127.0.0.1:1", "--duration", "1s", .. new[] { o1, v1, o2, v2, o3, v3 }.Where(a => a.Length > 0)];
        int exit = await LoadTestApp.RunAsync(args, output, error, false, CancellationToken.None);
        Assert.Equal(LoadTestApp.ExitUsage, exit);
        Assert.StartsWith("error:", error.ToString());
    }

    [Fact]
    public async Task Usage_errors_exit_with_2()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await LoadTestApp.RunAsync(["--target", "127.0.0.1:1", "--tls", "1.1"], output, error, false, CancellationToken.None);
        Assert.Equal(LoadTestApp.ExitUsage, exit);
        Assert.Contains("--tls", error.ToString());
    }
}
