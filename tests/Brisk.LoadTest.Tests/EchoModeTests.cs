using System.Globalization;
using System.Text.Json;

namespace Brisk.LoadTest.Tests;

/// <summary>Bulk, echo-request and idle modes against an in-process SslStream echo server (no external tools).</summary>
[Collection("end-to-end")]
public class EchoModeTests
{
    private static async Task<(string Output, JsonElement Json)> RunAsync(params string[] args)
    {
        string json = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.json");
        try
        {
            var output = new StringWriter(CultureInfo.InvariantCulture);
            int exit = await LoadTestApp.RunAsync([.. args, "--json", json, "--quiet"], output, output, false, CancellationToken.None);
            Assert.True(exit == 0, output.ToString());
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            return (output.ToString(), doc.RootElement.Clone());
        }
        finally { File.Delete(json); }
    }

    [Theory]
    [InlineData("openssl")]
    [InlineData("sslstream")]
    public async Task Bulk_mode_moves_data_through_an_echo_server(string engine)
    {
        await using var server = new EchoTlsServer();
        var (output, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--bulk", "--chunk", "16384",
            "--concurrency", "1", "--duration", "1s");
        Assert.True(json.GetProperty("errors").GetInt64() == 0, output);
        long bytes = json.GetProperty("bulk_bytes").GetInt64();
        Assert.True(bytes > 0 && bytes % 16384 == 0, output); // only whole echoed chunks are counted
        Assert.Contains(" bulk_gb_per_s=", output);
    }

    [Theory]
    [InlineData("openssl")]
    [InlineData("sslstream")]
    public async Task Echo_request_reads_the_bytes_back(string engine)
    {
        await using var server = new EchoTlsServer();
        var (output, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--engine", engine, "--request", "bytes:3000",
            "--concurrency", "2", "--count", "20");
        Assert.True(json.GetProperty("errors").GetInt64() == 0, output);
        long handshakes = json.GetProperty("handshakes").GetInt64();
        Assert.True(handshakes >= 20, output);
        Assert.True(json.GetProperty("first_byte_latency_ms").GetProperty("count").GetInt64() >= 20, output);
    }

    [Fact]
    public async Task Idle_mode_holds_the_connections_and_reads_server_rss()
    {
        await using var server = new EchoTlsServer();
        var (output, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--idle", "30", "--concurrency", "4",
            "--idle-hold", "100ms", "--server-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Assert.True(json.GetProperty("errors").GetInt64() == 0, output);
        Assert.Equal(30, json.GetProperty("idle_connections_open").GetInt32());
        Assert.Equal(30, server.Accepted);
        Assert.True(json.GetProperty("server_rss_after_bytes").GetInt64() > 0, output);
        Assert.Contains(" server_rss_per_conn_bytes=", output);
    }
}
