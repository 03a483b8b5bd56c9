using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Operations;

/// <summary>The server as a service: systemd notification, SIGTERM drain, structured logs.</summary>
public sealed class ServiceLifeTests
{
    private static string[] ServerArguments(params string[] more)
    {
        var pki = TestCertificates.Instance;
        return ["--listen", "127.0.0.1:0", "--cert", pki.ServerEcdsaCert, "--key", pki.ServerEcdsaKey, .. more];
    }

    [Fact]
    public async Task Under_systemd_it_notifies_ready_and_stopping_and_logs_for_the_journal()
    {
        string directory = Directory.CreateTempSubdirectory("brisk-systemd-").FullName;
        try
        {
            // Microsoft.Extensions.Hosting.Systemd recognises a service by its parent process being named
            // "systemd": a shell started through a link of that name stands in for the service manager.
            string fakeSystemd = Path.Combine(directory, "systemd");
            File.CreateSymbolicLink(fakeSystemd, "/bin/sh");
            string notifyPath = Path.Combine(directory, "notify.sock");
            using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

            await using var server = await ServerProcess.StartAsync(ServerArguments(),
                new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath }, wrapper: fakeSystemd);
            Assert.Equal("READY=1", await ReceiveAsync(notify));
            // The journal formatter: a syslog priority prefix (<6> = info) on each log line.
            await server.WaitForLineAsync(l => l.StartsWith("<6>", StringComparison.Ordinal) && l.Contains("listening on", StringComparison.Ordinal));

            server.SendSigterm();
            Assert.Equal("STOPPING=1", await ReceiveAsync(notify));
            Assert.Equal(0, await server.WaitForExitAsync());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[512];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int n = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
        return Encoding.UTF8.GetString(buffer, 0, n).Trim();
    }

    [Fact]
    public async Task Sigterm_lets_a_handshake_in_flight_finish_and_refuses_new_connections()
    {
        await using var server = await ServerProcess.StartAsync(ServerArguments("--drain-timeout", "60s", "--handshake-timeout", "60s"));

        // The client sends its ClientHello, then does not read the server's answer until the server is stopping.
        await using var client = await TlsTestClient.ConnectAsync(server.Listening, openGate: false);
        var handshake = client.HandshakeAsync(SslProtocols.Tls13);
        await MeterRecorder.EventuallyAsync(() => client.Wire.BytesWritten > 0, "ClientHello sent");

        server.SendSigterm();
        await MeterRecorder.EventuallyAsync(() => ConnectionRefused(server.Listening), "new connections refused after SIGTERM");
        Assert.False(handshake.IsCompleted);

        client.Wire.ReadGate.SetResult();
        await handshake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("HTTP/1.1 200 OK", await client.RequestAndReadToEndAsync());
        await client.DisposeAsync();
        Assert.Equal(0, await server.WaitForExitAsync());
        // At least our connection (a probe that connected before the listener closed is in flight too).
        Assert.Contains(server.Lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"draining [1-9][0-9]* connections"));
    }

    private static bool ConnectionRefused(IPEndPoint endpoint)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Connect(endpoint);
            return false;
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return true;
        }
    }

    [Fact]
    public async Task Json_log_format_writes_one_parseable_object_per_line()
    {
        await using var server = await ServerProcess.StartAsync(ServerArguments("--log-format", "json"),
            new Dictionary<string, string> { ["BRISK_Logging__LogLevel__Default"] = "Debug" });
        await using (var client = await TlsTestClient.ConnectAndHandshakeAsync(server.Listening, SslProtocols.Tls12))
            Assert.StartsWith("HTTP/1.1 200 OK", await client.RequestAndReadToEndAsync());
        await server.WaitForLineAsync(l => l.Contains("\"EventId\":5,", StringComparison.Ordinal) && l.Contains("BriskServer", StringComparison.Ordinal)); // closed
        server.SendSigterm();
        Assert.Equal(0, await server.WaitForExitAsync());

        var json = server.Lines.Where(l => l.StartsWith('{')).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var serverLog = json.Where(e => e.GetProperty("Category").GetString() == "Brisk.Server.Hosting.BriskServer").ToList();
        var listening = Assert.Single(serverLog, e => e.GetProperty("EventId").GetInt32() == 1);
        Assert.Equal("Information", listening.GetProperty("LogLevel").GetString());
        Assert.Equal(server.Listening.ToString(), listening.GetProperty("State").GetProperty("Endpoint").GetString());
        var established = Assert.Single(serverLog, e => e.GetProperty("EventId").GetInt32() == 4);
        Assert.Equal("TLSv1.2", established.GetProperty("State").GetProperty("Version").GetString());
        Assert.All(json, e => Assert.True(e.TryGetProperty("Timestamp", out _)));
        // Besides the JSON log, stdout carries only the documented plain start lines.
        Assert.All(server.Lines.Where(l => !l.StartsWith('{')), l => Assert.Matches("^(listening on |certificate |using generated )", l));
    }
}
