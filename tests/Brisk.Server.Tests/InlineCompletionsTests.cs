using System.Diagnostics;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Server.Tests.Interop;

namespace Brisk.Server.Tests;

/// <summary>
/// --inline-completions: the same behaviour with the connection's work on the socket event thread (inline pipes,
/// no thread-pool hop) as on the thread pool. In process the runtime's socket completions stay as the test host
/// has them; the real process (last tests) also switches those.
/// </summary>
public sealed class InlineCompletionsTests
{
    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll");

    [Theory]
    [InlineData("on", true)]
    [InlineData("off", false)]
    [InlineData("ON", true)]
    public void Option_sets_the_mode(string value, bool expected)
    {
        var configuration = ServerConfiguration.Build(new BriskServerOptions { InlineCompletions = value });
        Assert.Equal(expected, configuration.InlineCompletions);
    }

    [Fact]
    public void Auto_is_off_with_an_rsa_batch_wait()
    {
        // A batch runner waiting to fill its lanes would spin on the socket event thread.
        var configuration = ServerConfiguration.Build(new BriskServerOptions { InlineCompletions = "auto", RsaBatchWait = "1ms" });
        Assert.False(configuration.InlineCompletions);
    }

    [Fact]
    public void Auto_follows_the_cpu_count()
    {
        var configuration = ServerConfiguration.Build(new BriskServerOptions());
        Assert.Equal(Environment.ProcessorCount <= 2, configuration.InlineCompletions);
    }

    [Fact]
    public void Bad_value_names_the_key()
    {
        var ex = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(new BriskServerOptions { InlineCompletions = "sometimes" }));
        Assert.Equal("InlineCompletions: 'sometimes' is not on or off", ex.Message);
    }

    [Fact]
    public async Task Bad_flag_value_gives_one_line_and_exit_2()
    {
        var result = await ExternalTool.RunAsync("dotnet", [ServerDll, "--inline-completions", "sometimes"], timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("InlineCompletions: 'sometimes' is not on or off", line);
    }

    [Fact]
    public void Reload_keeps_the_running_mode_and_says_so()
    {
        var running = ServerConfiguration.Build(new BriskServerOptions { InlineCompletions = "on" });
        var reloaded = ServerConfiguration.Build(new BriskServerOptions { InlineCompletions = "off" }, running);
        Assert.True(reloaded.InlineCompletions);
        Assert.Contains(reloaded.ReloadWarnings, w => w.StartsWith("InlineCompletions changed (on -> off)", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("on", SslProtocols.Tls12)]
    [InlineData("on", SslProtocols.Tls13)]
    [InlineData("off", SslProtocols.Tls12)]
    [InlineData("off", SslProtocols.Tls13)]
    public async Task Concurrent_handshakes_and_requests(string mode, SslProtocols protocol)
    {
        await using var server = await ServerFixture.StartAsync(o => o.InlineCompletions = mode);
        Assert.Equal(mode == "on", server.Configuration.InlineCompletions);
        string version = protocol == SslProtocols.Tls13 ? "TLSv1.3" : "TLSv1.2";
        var clients = Enumerable.Range(0, 24).Select(async _ =>
        {
            await using var ssl = await SslStreamTests.ConnectAsync(server, protocols: protocol);
            for (int i = 0; i < 2; i++)
            {
                await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
                var response = await SslStreamTests.ReadHttpResponseAsync(ssl);
                Assert.StartsWith("HTTP/1.1 200 OK", response);
                Assert.Contains($"brisk {version} ", response);
            }
        }).ToArray();
        await Task.WhenAll(clients);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task Echo_under_backpressure_in_both_modes(string mode)
    {
        // Four megabytes through the echo responder (far past the pipes' 64 KiB pause thresholds), written while
        // read: the server's pipes pause their writers, which (inline) resume from the reading side's own thread.
        await using var server = await ServerFixture.StartAsync(o => { o.Responder = "echo"; o.InlineCompletions = mode; });
        await using var ssl = await SslStreamTests.ConnectAsync(server, protocols: SslProtocols.Tls13);
        await SslStreamTests.EchoRoundTripAsync(ssl, 4 << 20, writeSize: 10_000);
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task Garbage_gets_an_alert_or_a_close_and_the_server_goes_on(string mode)
    {
        await using var server = await ServerFixture.StartAsync(o => o.InlineCompletions = mode);
        for (int i = 0; i < 4; i++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync("127.0.0.1", server.Port);
            var stream = tcp.GetStream();
            // A ClientHello far too short to parse (RFC 8446 §4.1.2), then a record of no known content type.
            await stream.WriteAsync(new byte[] { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00, 0x99, 0x03, 0x03, 0xff, 0xff });
            var buffer = new byte[64];
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            int n;
            do
            {
                try { n = await stream.ReadAsync(buffer, timeout.Token); }
                catch (IOException) { n = 0; } // a reset is a close too
            } while (n > 0 && buffer[0] != 0x15);
            Assert.True(n == 0 || buffer[0] == 0x15); // closed, or an alert record
        }
        await using var ssl = await SslStreamTests.ConnectAsync(server, protocols: SslProtocols.Tls13);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        Assert.StartsWith("HTTP/1.1 200 OK", await SslStreamTests.ReadHttpResponseAsync(ssl));
    }

    [Theory]
    [InlineData("on", null, "inline completions: on (socket completions: on;")]
    [InlineData("off", null, "inline completions: off (socket completions: off;")]
    [InlineData("on", "0", "inline completions: on (socket completions: DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 from the environment;")]
    public async Task Real_process_serves_in_each_mode_and_logs_it(string mode, string? environment, string expectedLog)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var pki = TestCertificates.Instance;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { ServerDll, "--listen", "127.0.0.1:0", "--cert", pki.ServerEcdsaCert, "--key", pki.ServerEcdsaKey, "--responder", "http", "--inline-completions", mode })
            info.ArgumentList.Add(a);
        info.Environment.Remove("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS");
        if (environment is not null)
            info.Environment["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = environment;
        using var process = Process.Start(info)!;
        try
        {
            string? listening = null;
            var log = new StringBuilder();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while (listening is null)
                {
                    var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                    Assert.NotNull(line);
                    log.AppendLine(line);
                    if (line.StartsWith("listening on ", StringComparison.Ordinal))
                        listening = line["listening on ".Length..];
                }
            }
            Assert.Contains(expectedLog, log.ToString());
            foreach (var version in new[] { "-tls1_2", "-tls1_3" })
            {
                var result = await ExternalTool.RunAsync("openssl", ["s_client", "-connect", listening, version, "-ign_eof"],
                    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                Assert.Contains("HTTP/1.1 200 OK", result.StandardOutput);
            }
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
