using System.Globalization;
using System.Text.Json;

namespace Brisk.LoadTest.Tests;

using static BriskEngineRun;

/// <summary>
/// The brisk engine (Brisk's own TLS client) end to end: against Brisk's server core in-process and against
/// `openssl s_server`, an independent implementation — a client only Brisk's server accepted would prove little.
/// </summary>
[Collection("end-to-end")]
public class BriskEngineTests
{
    [Theory]
    [InlineData("TLS 1.2 ECDHE-RSA", false, "--tls", "1.2", "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256")]
    [InlineData("TLS 1.2 RSA key exchange", false, "--tls", "1.2", "--ciphers", "AES128-GCM-SHA256")]
    [InlineData("TLS 1.2 ECDHE-ECDSA ChaCha20", true, "--tls", "1.2", "--ciphers", "ECDHE-ECDSA-CHACHA20-POLY1305")]
    [InlineData("TLS 1.3 RSA", false, "--tls", "1.3", "--groups", "x25519")]
    [InlineData("TLS 1.3 ECDSA P-256 key share", true, "--tls", "1.3", "--groups", "P-256")]
    public async Task Handshakes_and_echo_complete_against_brisk_server(string name, bool ecdsa, string o1, string v1, string o2, string v2)
    {
        await using var server = new BriskTlsServer(ecdsa);
        var (exit, output, result, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", o1, v1, o2, v2,
            "--request", "bytes:2000", "--count", "30", "--concurrency", "3", "--quiet");

        Assert.True(exit == 0, name + "\n" + output);
        Assert.True(Errors(json) == 0, name + "\n" + output);
        Assert.Equal(30, Handshakes(json));
        Assert.Equal(30, json.GetProperty("first_byte_latency_ms").GetProperty("count").GetInt64()); // echoed back
        Assert.True(server.Handshakes >= 30, output);
        Assert.Equal("brisk", json.GetProperty("engine").GetString());
        Assert.True(double.Parse(result["client_cpu_us_per_hs"], CultureInfo.InvariantCulture) > 0, output);
    }

    [Theory]
    [InlineData("1.3")]
    [InlineData("1.2")]
    public async Task Tickets_resume_against_brisk_server(string tls)
    {
        await using var server = new BriskTlsServer(ecdsa: false);
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", tls, "--resume", "ticket:0.5",
            "--request", "bytes:100", "--count", "40", "--concurrency", "1", "--quiet");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        long resumed = json.GetProperty("resumed_handshakes").GetInt64();
        // Every second connection offers the latest ticket; the first has none yet.
        Assert.InRange(resumed, 15, 20);
    }

    [Fact]
    public async Task Bulk_mode_moves_data_through_brisk_server()
    {
        await using var server = new BriskTlsServer(ecdsa: false);
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", "1.3", "--bulk", "--chunk", "40000",
            "--concurrency", "1", "--duration", "1s", "--quiet");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        long bytes = json.GetProperty("bulk_bytes").GetInt64();
        Assert.True(bytes > 0 && bytes % 40000 == 0, output);
    }

    [OpenSslTheory]
    [InlineData("1.3", "http", new string[0])]
    [InlineData("1.2", "http", new[] { "--ciphers", "ECDHE-RSA-AES128-GCM-SHA256" })]
    [InlineData("1.2", "none", new[] { "--ciphers", "AES128-GCM-SHA256" })]
    [InlineData("1.2", "none", new[] { "--ciphers", "ECDHE-RSA-AES256-GCM-SHA384", "--groups", "P-384" })]
    [InlineData("1.3", "http", new[] { "--ciphers", "TLS_CHACHA20_POLY1305_SHA256" })]
    [InlineData("1.3", "http", new[] { "--ciphers", "TLS_AES_256_GCM_SHA384", "--alpn", "http/1.1" })]
    public async Task Handshakes_complete_against_openssl_s_server(string tls, string request, string[] extra)
    {
        using var server = OpenSslServer.Start("-alpn", "http/1.1");
        var (exit, output, _, json) = await RunAsync(["--target", $"127.0.0.1:{server.Port}", "--tls", tls, "--request", request,
            "--count", "20", "--concurrency", "2", "--quiet", .. extra]);
        Assert.True(exit == 0, output);
        Assert.True(Errors(json) == 0, output);
        Assert.Equal(20, Handshakes(json));
        if (request == "http")
            Assert.Equal(20, json.GetProperty("first_byte_latency_ms").GetProperty("count").GetInt64());
    }

    [OpenSslTheory]
    [InlineData("1.2", new[] { "--ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256" })] // the suite forces the ECDSA certificate
    [InlineData("1.3", new string[0])] // the client lists ecdsa_secp256r1_sha256 first
    public async Task Ecdsa_handshakes_complete_against_openssl_s_server(string tls, string[] extra)
    {
        using var server = OpenSslServer.Start((openssl, dir) =>
        {
            string cert = Path.Combine(dir, "ec.pem"), key = Path.Combine(dir, "ec.key");
            OpenSslServer.Run(openssl, ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "2"]);
            return ["-dcert", cert, "-dkey", key]; // a second (ECDSA) certificate beside the RSA one
        });
        var (exit, output, _, json) = await RunAsync(["--target", $"127.0.0.1:{server.Port}", "--tls", tls, "--request", "http",
            "--count", "10", "--concurrency", "1", "--quiet", .. extra]);
        Assert.True(exit == 0 && Errors(json) == 0 && Handshakes(json) == 10, output);
    }

    [OpenSslFact]
    public async Task HelloRetryRequest_from_openssl_is_answered()
    {
        // The client shares x25519 first; a server that only takes P-256 asks again (RFC 8446 §4.1.4).
        using var server = OpenSslServer.Start("-groups", "P-256");
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", "1.3", "--groups", "x25519:P-256",
            "--request", "http", "--count", "10", "--concurrency", "1", "--quiet");
        Assert.True(exit == 0 && Errors(json) == 0 && Handshakes(json) == 10, output);
    }

    [OpenSslTheory]
    [InlineData("1.3")]
    [InlineData("1.2")]
    public async Task Tickets_resume_against_openssl_s_server(string tls)
    {
        using var server = OpenSslServer.Start();
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", tls, "--resume", "ticket",
            "--request", "http", "--count", "20", "--concurrency", "1", "--quiet");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.True(json.GetProperty("resumed_handshakes").GetInt64() >= 15, output);
    }

    [OpenSslFact]
    public async Task Version_mismatch_is_counted_as_alert_protocol_version()
    {
        using var server = OpenSslServer.Start("-tls1_3");
        var (exit, output, result, _) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", "1.2", "--duration", "1s", "--concurrency", "2");
        Assert.True(exit == 0, output);
        Assert.True(long.Parse(result["errors"], CultureInfo.InvariantCulture) > 0, output);
        Assert.True(double.Parse(result["handshakes_per_s"], CultureInfo.InvariantCulture) == 0, output);
        Assert.Contains("alert:protocol_version", output);
    }

    [Fact]
    public async Task Version_the_brisk_server_refuses_is_counted_as_alert_protocol_version()
    {
        await using var server = new BriskTlsServer(ecdsa: false, enableTls12: false);
        var (exit, output, result, _) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--tls", "1.2", "--count", "5", "--concurrency", "1");
        Assert.True(exit == 0, output);
        Assert.Equal("5", result["errors"]);
        Assert.Contains("alert:protocol_version", output);
    }

    [Fact]
    public async Task Closed_port_is_counted_as_refused()
    {
        int port;
        using (var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
        }
        var (exit, output, result, _) = await RunAsync("--target", $"127.0.0.1:{port}", "--duration", "300ms", "--concurrency", "1");
        Assert.Equal(0, exit);
        Assert.True(long.Parse(result["errors"], CultureInfo.InvariantCulture) > 0, output);
        Assert.Contains("refused", output);
    }

    [Theory]
    [InlineData("--verify", "/etc/hostname", "--verify")]
    [InlineData("--client-cert", "/etc/hostname", "--client-cert")]
    [InlineData("--resume", "id", "--resume id")]
    [InlineData("--groups", "ffdhe2048", "--groups")]
    [InlineData("--ciphers", "ECDHE-RSA-AES128-SHA", "--ciphers")]
    public async Task Unsupported_options_are_usage_errors(string option, string value, string named)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        string[] args = ["--target", "127.0.0.1:1", "--engine", "brisk", option, value, .. option == "--client-cert" ? new[] { "--client-key", value } : []];
        int exit = await LoadTestApp.RunAsync(args, output, error, false, CancellationToken.None);
        Assert.Equal(LoadTestApp.ExitUsage, exit);
        Assert.Contains(named, error.ToString());
    }
}
