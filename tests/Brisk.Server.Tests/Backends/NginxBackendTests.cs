using System.Buffers.Binary;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Text;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Server.Tests.Interop;

namespace Brisk.Server.Tests.Backends;

/// <summary>
/// Brisk in front of a real service: nginx (Debian's package) serving plain HTTP on loopback, reached through
/// --backend, --route, --proxy-protocol and --accept-proxy-protocol, with curl, openssl s_client and SslStream
/// as clients.
/// </summary>
[Collection(NginxCollection.Name)]
public sealed class NginxBackendTests(NginxFixture nginx)
{
    private string BackendA => $"tcp://127.0.0.1:{nginx.PortA}";
    private string BackendB => $"tcp://127.0.0.1:{nginx.PortB}";

    private static Task<ToolResult> CurlAsync(int port, string host, params string[] arguments) =>
        ExternalTool.RunAsync("curl", ["-sS", "-k", "--resolve", $"{host}:{port}:127.0.0.1", .. arguments], timeout: TimeSpan.FromSeconds(60));

    [Theory]
    [InlineData("1.2")]
    [InlineData("1.3")]
    public async Task Curl_gets_nginx_answer_through_brisk(string version)
    {
        if (!nginx.Available || !ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [BackendA]);
        string[] versionFlags = version == "1.2" ? ["--tlsv1.2", "--tls-max", "1.2"] : ["--tlsv1.3"];
        var result = await CurlAsync(server.Port, "localhost", [.. versionFlags, "--http1.1", "-w", "%{http_code}", $"https://localhost:{server.Port}/"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("nginx-a\n200", result.StandardOutput);
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task OpenSsl_s_client_gets_nginx_answer_through_brisk(string versionFlag)
    {
        if (!nginx.Available || !ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [BackendA]);
        var result = await OpenSslClient.RunAsync(server, versionFlag);
        Assert.Contains("HTTP/1.1 200 OK", result.StandardOutput);
        Assert.Contains("Server: nginx", result.StandardOutput);
        Assert.Contains("nginx-a", result.StandardOutput);
        Assert.Contains(versionFlag == "-tls1_2" ? "TLSv1.2" : "TLSv1.3", result.All);
    }

    [Fact]
    public async Task Ten_megabytes_down_and_up_arrive_intact()
    {
        if (!nginx.Available || !ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [BackendA]);
        string downloaded = Path.Combine(nginx.Directory, $"download-{Guid.NewGuid():N}.bin");
        var download = await CurlAsync(server.Port, "localhost", "--http1.1", "-o", downloaded, $"https://localhost:{server.Port}/big.bin");
        Assert.True(download.ExitCode == 0, download.ToString());
        Assert.Equal(nginx.BigFileSha256, SHA256.HashData(await File.ReadAllBytesAsync(downloaded)));

        // Upload: WebDAV PUT stores the body, so nginx's own file shows what arrived.
        string name = $"up-{Guid.NewGuid():N}.bin";
        var upload = await CurlAsync(server.Port, "localhost", "--http1.1", "-T", nginx.BigFile, "-w", "%{http_code}", $"https://localhost:{server.Port}/upload/{name}");
        Assert.True(upload.ExitCode == 0, upload.ToString());
        Assert.EndsWith("201", upload.StandardOutput);
        Assert.Equal(nginx.BigFileSha256, SHA256.HashData(await File.ReadAllBytesAsync(Path.Combine(nginx.UploadDirectory, name))));
    }

    [Fact]
    public async Task Routes_by_sni_exact_and_wildcard_first_match_wins()
    {
        if (!nginx.Available || !ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Backend = [BackendA];
            o.Route = [$"sni=api.example.test={BackendB}", $"sni=*.wild.test={BackendB}", $"sni=api.example.test={BackendA}"];
        });
        foreach (var (host, expected) in new[]
                 {
                     ("api.example.test", "nginx-b"), ("API.Example.Test", "nginx-b"), ("one.wild.test", "nginx-b"),
                     ("two.levels.wild.test", "nginx-a"), ("wild.test", "nginx-a"), ("localhost", "nginx-a"),
                 })
        {
            var result = await CurlAsync(server.Port, host, "--http1.1", $"https://{host}:{server.Port}/");
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.True(result.StandardOutput == expected + "\n", $"{host}: {result}");
        }
    }

    [Fact]
    public async Task Routes_by_negotiated_alpn()
    {
        if (!nginx.Available || !ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Backend = [BackendA];
            o.Alpn = "h2,http/1.1";
            o.Route = [$"alpn=h2=tcp://127.0.0.1:{nginx.PortH2}"];
        });
        // h2 negotiated: curl speaks HTTP/2 through Brisk to nginx's HTTP/2 (cleartext) server.
        var h2 = await CurlAsync(server.Port, "localhost", "--http2", "-w", " %{http_version}", $"https://localhost:{server.Port}/");
        Assert.True(h2.ExitCode == 0, h2.ToString());
        Assert.Equal("nginx-h2 HTTP/2.0\n 2", h2.StandardOutput);
        var h1 = await CurlAsync(server.Port, "localhost", "--http1.1", "-w", " %{http_version}", $"https://localhost:{server.Port}/");
        Assert.True(h1.ExitCode == 0, h1.ToString());
        Assert.Equal("nginx-a\n 1.1", h1.StandardOutput);
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v2")]
    public async Task Proxy_protocol_tells_nginx_the_client_address(string version)
    {
        if (!nginx.Available)
            return;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Backend = [$"tcp://127.0.0.1:{nginx.PortProxy}"];
            o.ProxyProtocol = version;
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        int clientPort = ((IPEndPoint)tcp.Client.LocalEndPoint!).Port;
        await using var ssl = await TlsClient.AuthenticateAsync(tcp);
        string marker = $"/pp-{version}-{Guid.NewGuid():N}";
        string response = await TlsClient.HttpGetAsync(ssl, marker);
        Assert.Contains($"nginx-proxy 127.0.0.1 {clientPort}\n", response);
        var line = await nginx.FindProxyLogLineAsync(marker);
        Assert.NotNull(line);
        Assert.StartsWith($"127.0.0.1 {clientPort} \"GET {marker} HTTP/1.1\" 200", line);
    }

    [Theory]
    [InlineData("v1", "v1")]
    [InlineData("v2", "v2")]
    [InlineData("v2", "v1")]
    public async Task Accepted_proxy_header_address_reaches_nginx_and_the_log(string incoming, string outgoing)
    {
        if (!nginx.Available)
            return;
        var logs = new CapturingLoggerProvider();
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Backend = [$"tcp://127.0.0.1:{nginx.PortProxy}"];
            o.ProxyProtocol = outgoing;
            o.AcceptProxyProtocol = "on";
        }, logs.CreateFactory());
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        // A load balancer's header naming a client that is not us (203.0.113.0/24 is TEST-NET-3).
        byte[] header = incoming == "v1"
            ? Encoding.ASCII.GetBytes($"PROXY TCP4 203.0.113.7 127.0.0.1 4242 {server.Port}\r\n")
            : ProxyV2Ipv4([203, 0, 113, 7], [127, 0, 0, 1], 4242, (ushort)server.Port);
        await tcp.GetStream().WriteAsync(header);
        await using var ssl = await TlsClient.AuthenticateAsync(tcp);
        string marker = $"/accept-{incoming}-{outgoing}-{Guid.NewGuid():N}";
        string response = await TlsClient.HttpGetAsync(ssl, marker);
        Assert.Contains("nginx-proxy 203.0.113.7 4242\n", response);
        var line = await nginx.FindProxyLogLineAsync(marker);
        Assert.NotNull(line);
        Assert.StartsWith($"203.0.113.7 4242 \"GET {marker}", line);
        Assert.True(logs.Contains("203.0.113.7:4242"), string.Join("\n", logs.Lines));
    }

    [Theory]
    [InlineData("PROXY TCP4 203.0.113.7 127.0.0.1 4242\r\n")]          // missing port
    [InlineData("PROXY TCP4 203.0.113.007 127.0.0.1 4242 443\r\n")]   // leading zeros
    [InlineData("PROXY TCP4 203.0.113.7 127.0.0.1 4242 443\n")]       // LF only, then TLS would follow
    [InlineData("0D0A0D0A000D0A515549540A" + "3111000C" + "CB007107 7F000001 1092 01BB")] // v2 with version 3
    [InlineData("0D0A0D0A000D0A515549540A" + "21111001")]              // v2 longer than the limit
    [InlineData("160301")]                                              // TLS straight away: no header
    public async Task Malformed_incoming_proxy_header_closes_without_a_tls_alert(string header)
    {
        if (!nginx.Available)
            return;
        var logs = new CapturingLoggerProvider();
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Backend = [BackendA];
            o.AcceptProxyProtocol = "on";
        }, logs.CreateFactory());
        byte[] bytes = header.StartsWith("PROXY", StringComparison.Ordinal)
            ? Encoding.ASCII.GetBytes(header)
            : Convert.FromHexString(header.Replace(" ", ""));
        using (var tcp = new TcpClient())
        {
            await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
            await tcp.GetStream().WriteAsync(bytes);
            // Closed, and nothing sent back (not even an alert: it is not TLS yet).
            Assert.Empty(await ReadUntilClosedAsync(tcp.GetStream()));
        }
        Assert.True(await logs.WaitForAsync("PROXY header rejected"), string.Join("\n", logs.Lines));

        // The server carries on: a well-formed header works.
        using var good = new TcpClient();
        await good.ConnectAsync(IPAddress.Loopback, server.Port);
        await good.GetStream().WriteAsync("PROXY UNKNOWN\r\n"u8.ToArray());
        await using var ssl = await TlsClient.AuthenticateAsync(good);
        Assert.Contains("nginx-a", await TlsClient.HttpGetAsync(ssl, "/"));
    }

    [Fact]
    public async Task Backend_down_closes_the_client_connection_and_other_listeners_keep_serving()
    {
        if (!nginx.Available)
            return;
        var logs = new CapturingLoggerProvider();
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Listen = [];
            o.Listeners =
            [
                new ListenerOptions { Listen = "127.0.0.1:0", Backend = $"tcp://127.0.0.1:{nginx.PortDown}" },
                new ListenerOptions { Listen = "127.0.0.1:0", Backend = BackendB },
            ];
        }, logs.CreateFactory());
        var endpoints = server.Server.BoundEndpoints;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            using var tcp = new TcpClient();
            await tcp.ConnectAsync(endpoints[0]);
            await using var ssl = await TlsClient.AuthenticateAsync(tcp);
            await ssl.WriteAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
            Assert.Empty(await ReadUntilClosedAsync(ssl));
        }
        Assert.True(await logs.WaitForAsync($"backend tcp://127.0.0.1:{nginx.PortDown} unreachable"), string.Join("\n", logs.Lines));

        using var other = new TcpClient();
        await other.ConnectAsync(endpoints[1]);
        await using var otherSsl = await TlsClient.AuthenticateAsync(other);
        Assert.Contains("nginx-b", await TlsClient.HttpGetAsync(otherSsl, "/"));
    }

    [Theory]
    [InlineData("close_notify", SslProtocols.Tls13)]
    [InlineData("close_notify", SslProtocols.Tls12)]
    [InlineData("fin", SslProtocols.Tls13)]
    public async Task Client_half_close_reaches_nginx_and_the_answer_still_arrives(string how, SslProtocols protocol)
    {
        if (!nginx.Available)
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [BackendA]);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = await TlsClient.AuthenticateAsync(tcp, protocols: protocol);
        // A keep-alive request: nginx would wait keepalive_timeout (60 s) for the next one, longer than the read
        // below allows; it closes at once only because Brisk passes the client's end of sending on (shutdown).
        // (nginx itself cuts a large response short when the client half-closes, so the large half-close case
        // is BackendBridgeTests' job.)
        await ssl.WriteAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
        await ssl.FlushAsync();
        if (how == "close_notify")
            await ssl.ShutdownAsync();
        else
            tcp.Client.Shutdown(SocketShutdown.Send);
        string response = Encoding.ASCII.GetString(await ReadUntilClosedAsync(ssl));
        Assert.StartsWith("HTTP/1.1 200 OK", response);
        Assert.Contains("Connection: keep-alive", response);
        Assert.EndsWith("\r\n\r\nnginx-a\n", response);
    }

    /// <summary>Reads until EOF or a reset; returns what arrived. Bounded so a hang fails instead of blocking the run.</summary>
    internal static async Task<byte[]> ReadUntilClosedAsync(Stream stream)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        using var all = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0)
                all.Write(buffer, 0, read);
        }
        catch (IOException)
        {
            // A reset also counts as closed.
        }
        Assert.False(timeout.IsCancellationRequested, "the connection was not closed");
        return all.ToArray();
    }

    /// <summary>A PROXY v2 header built by hand from the specification (independent of Brisk's writer).</summary>
    internal static byte[] ProxyV2Ipv4(byte[] source, byte[] destination, ushort sourcePort, ushort destinationPort)
    {
        var header = new byte[28];
        Convert.FromHexString("0D0A0D0A000D0A515549540A").CopyTo(header, 0);
        header[12] = 0x21; // v2, PROXY
        header[13] = 0x11; // TCP over IPv4
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 12);
        source.CopyTo(header, 16);
        destination.CopyTo(header, 20);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(24), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(26), destinationPort);
        return header;
    }
}
