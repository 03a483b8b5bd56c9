using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Brisk.LoadTest.Tests;

using static BriskEngineRun;

/// <summary>
/// The brisk engine's two I/O paths (<c>--io epoll</c>, the default, and <c>--io socket</c>) end to end: handshakes
/// that the server sees complete (the client's last flight is kept back until the close_notify or the request, so
/// these tests make sure it still arrives), against Brisk's server core and `openssl s_server`, and failures counted
/// by kind: refused, reset, end of stream, timeout, a refused version.
/// </summary>
[Collection("end-to-end")]
public class BriskIoModeTests
{
    private static Task<(int Exit, string Output, Dictionary<string, string> Result, JsonElement Json)> RunAsync(params string[] args)
        => BriskEngineRun.RunAsync([.. args, "--quiet"]);

    /// <summary>The server counts a handshake when the client's Finished has arrived, a little after the client's close.</summary>
    private static async Task<int> ServerHandshakesAsync(BriskTlsServer server, int expected)
    {
        for (int i = 0; i < 200 && server.Handshakes < expected; i++) await Task.Delay(25);
        return server.Handshakes;
    }

    [Theory]
    [InlineData("epoll", "1.3", false)]
    [InlineData("epoll", "1.2", false)]
    [InlineData("epoll", "1.3", true)]
    [InlineData("socket", "1.3", false)]
    [InlineData("socket", "1.2", false)]
    public async Task Handshakes_without_request_complete_on_the_server(string io, string tls, bool ecdsa)
    {
        await using var server = new BriskTlsServer(ecdsa);
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--tls", tls,
            "--count", "40", "--concurrency", "4");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.Equal(40, Handshakes(json));
        Assert.True(await ServerHandshakesAsync(server, 40) >= 40, $"server saw {server.Handshakes}\n{output}");
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Echo_and_resumption_work_on_both_paths(string io)
    {
        await using var server = new BriskTlsServer(ecdsa: false);
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--tls", "1.3",
            "--resume", "ticket", "--request", "bytes:5000", "--count", "20", "--concurrency", "2");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.Equal(20, json.GetProperty("first_byte_latency_ms").GetProperty("count").GetInt64());
        Assert.True(json.GetProperty("resumed_handshakes").GetInt64() >= 10, output);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Idle_connections_finish_their_handshake_on_the_server(string io)
    {
        // Idle mode writes nothing after the handshake: the client's Finished must not wait for a write.
        await using var server = new BriskTlsServer(ecdsa: false);
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--tls", "1.3",
            "--idle", "25", "--concurrency", "5", "--idle-hold", "200ms");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.Equal(25, json.GetProperty("idle_connections_open").GetInt32());
        Assert.True(server.Handshakes >= 25, $"server saw {server.Handshakes}\n{output}");
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Idle_connection_sends_its_finished_while_held(string io)
    {
        await using var server = new BriskTlsServer(ecdsa: false);
        var options = LoadOptions.Parse(["--target", $"127.0.0.1:{server.Port}", "--idle", "1", "--tls", "1.3", "--io", io]);
        using var engine = new Engines.BriskEngine(options, new IPEndPoint(IPAddress.Loopback, server.Port));
        using var connection = await engine.ConnectAsync(tryResume: false, CancellationToken.None);
        Assert.True(await ServerHandshakesAsync(server, 1) >= 1, "the server never saw the client's Finished");
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Open_model_and_http_work_on_both_paths(string io)
    {
        // Brisk's test server echoes, so "http" here is an echo of the request line: only the first byte is checked.
        await using var server = new BriskTlsServer(ecdsa: true);
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--tls", "1.3",
            "--rate", "200", "--count", "30", "--concurrency", "8", "--request", "bytes:10");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.Equal(30, Handshakes(json));
    }

    [OpenSslTheory]
    [InlineData("epoll", "1.3", "none")]
    [InlineData("epoll", "1.2", "http")]
    [InlineData("socket", "1.3", "http")]
    [InlineData("socket", "1.2", "none")]
    public async Task Handshakes_complete_against_openssl_s_server(string io, string tls, string request)
    {
        using var server = OpenSslServer.Start();
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--tls", tls,
            "--request", request, "--count", "20", "--concurrency", "2");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.Equal(20, Handshakes(json));
    }

    [OpenSslTheory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Version_openssl_refuses_is_counted_as_alert_protocol_version(string io)
    {
        using var server = OpenSslServer.Start("-tls1_3");
        var (exit, output, result, _) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--tls", "1.2",
            "--count", "5", "--concurrency", "1");
        Assert.True(exit == 0, output);
        Assert.Equal("5", result["errors"]);
        Assert.Contains("alert:protocol_version", output);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Closed_port_is_counted_as_refused(string io)
    {
        int port;
        using (var l = new TcpListener(IPAddress.Loopback, 0))
        {
            l.Start();
            port = ((IPEndPoint)l.LocalEndpoint).Port;
        }
        var (exit, output, result, _) = await RunAsync("--target", $"127.0.0.1:{port}", "--io", io, "--count", "5", "--concurrency", "1");
        Assert.Equal(0, exit);
        Assert.Equal("5", result["errors"]);
        Assert.Matches(@"refused 5\b", output);
    }

    /// <summary>A TCP server that answers every connection with a reset (SO_LINGER 0) or a plain FIN, after reading the ClientHello.</summary>
    private sealed class RudeServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public RudeServer(bool reset)
        {
            _listener.Start();
            _loop = Task.Run(async () =>
            {
                var buffer = new byte[4096];
                while (!_stop.IsCancellationRequested)
                {
                    Socket s;
                    try { s = await _listener.AcceptSocketAsync(_stop.Token); }
                    catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { return; }
                    try
                    {
                        await s.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                        if (reset) s.LingerState = new LingerOption(true, 0);
                    }
                    catch (Exception e) when (e is OperationCanceledException or SocketException) { }
                    s.Dispose();
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            await _loop;
            _stop.Dispose();
        }
    }

    [Theory]
    [InlineData("epoll", true, "reset")]
    [InlineData("socket", true, "reset")]
    [InlineData("epoll", false, "reset:eof")]
    [InlineData("socket", false, "reset:eof")]
    public async Task Server_closing_mid_handshake_is_counted_as_reset(string io, bool reset, string kind)
    {
        await using var server = new RudeServer(reset);
        var (exit, output, result, json) = await RunAsync("--target", $"127.0.0.1:{server.Port}", "--io", io, "--count", "6", "--concurrency", "2");
        Assert.Equal(0, exit);
        Assert.Equal("6", result["errors"]);
        Assert.Equal(0, Handshakes(json));
        Assert.Matches(@"\n\s+" + System.Text.RegularExpressions.Regex.Escape(kind) + @"\s+6\b", output);
    }

    /// <summary>
    /// A TCP relay to <paramref name="target"/> with a listen backlog of 1 that starts accepting only after a pause: further
    /// SYNs are dropped meanwhile, so the clients' connects are still in progress when they try to send their ClientHello
    /// (epoll path: the send returns EAGAIN and waits for EPOLLOUT, which comes when a retransmitted SYN is accepted).
    /// </summary>
    private sealed class SlowAcceptRelay : IAsyncDisposable
    {
        private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public SlowAcceptRelay(int target, TimeSpan pause)
        {
            _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            _listener.Listen(1);
            _loop = Task.Run(async () =>
            {
                var pumps = new List<Task>();
                try
                {
                    await Task.Delay(pause, _stop.Token);
                    while (true)
                    {
                        Socket client = await _listener.AcceptAsync(_stop.Token);
                        var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                        await server.ConnectAsync(new IPEndPoint(IPAddress.Loopback, target), _stop.Token);
                        pumps.Add(PumpAsync(client, server));
                        pumps.Add(PumpAsync(server, client));
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
                await Task.WhenAll(pumps);
            });
        }

        private async Task PumpAsync(Socket from, Socket to)
        {
            var buffer = new byte[16384];
            try
            {
                while (true)
                {
                    int n = await from.ReceiveAsync(buffer, SocketFlags.None, _stop.Token);
                    if (n == 0) break;
                    await to.SendAsync(buffer.AsMemory(0, n), SocketFlags.None, _stop.Token);
                }
                to.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException) { }
        }

        public int Port => ((IPEndPoint)_listener.LocalEndPoint!).Port;

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Dispose();
            await _loop;
            _stop.Dispose();
        }
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Connects_still_in_progress_complete_their_handshake(string io)
    {
        await using var server = new BriskTlsServer(ecdsa: false);
        await using var relay = new SlowAcceptRelay(server.Port, TimeSpan.FromMilliseconds(300));
        var (exit, output, _, json) = await RunAsync("--target", $"127.0.0.1:{relay.Port}", "--io", io, "--tls", "1.3",
            "--count", "6", "--concurrency", "6", "--timeout", "20s");
        Assert.True(exit == 0 && Errors(json) == 0, output);
        Assert.Equal(6, Handshakes(json));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("socket")]
    public async Task Silent_server_is_counted_as_timeout(string io)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0); // accepts (backlog) and never answers
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var (exit, output, result, _) = await RunAsync("--target", $"127.0.0.1:{port}", "--io", io, "--count", "2", "--concurrency", "2",
            "--timeout", "300ms");
        Assert.Equal(0, exit);
        Assert.Equal("2", result["errors"]);
        Assert.Matches(@"timeout 2\b", output);
    }

    [Theory]
    [InlineData("--engine", "openssl")]
    [InlineData("--engine", "sslstream")]
    public void Io_is_refused_with_other_engines(string option, string engine)
    {
        var e = Assert.Throws<OptionsException>(() => LoadOptions.Parse(["--target", "127.0.0.1:1", option, engine, "--io", "socket"]));
        Assert.Contains("--io", e.Message);
    }

    [Fact]
    public void Io_values_are_parsed_and_epoll_is_the_default()
    {
        Assert.Equal(Engines.IoMode.Epoll, LoadOptions.Parse(["--target", "127.0.0.1:1"]).Io);
        Assert.Equal(Engines.IoMode.Socket, LoadOptions.Parse(["--target", "127.0.0.1:1", "--io", "socket"]).Io);
        Assert.Throws<OptionsException>(() => LoadOptions.Parse(["--target", "127.0.0.1:1", "--io", "uring"]));
    }
}
