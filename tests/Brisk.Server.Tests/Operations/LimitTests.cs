using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text.Json;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Operations;

/// <summary>Each protection limit triggering: its metric counts it and the client sees the consequence.</summary>
public sealed class LimitTests
{
    private static IPEndPoint Endpoint(ServerFixture server) => new(IPAddress.Loopback, server.Port);

    /// <summary>Reads until the server closes the socket (EOF or reset); the guard only catches a hung server.</summary>
    private static async Task<bool> ServerClosesAsync(Socket socket)
    {
        var buffer = new byte[1024];
        using var guard = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token) > 0) { }
            return true;
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static async Task<Socket> ConnectRawAsync(ServerFixture server, IPAddress? from = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        if (from is not null)
            socket.Bind(new IPEndPoint(from, 0));
        await socket.ConnectAsync(Endpoint(server));
        return socket;
    }

    /// <summary>The reset may even arrive before connect() returns on loopback: that is also the close.</summary>
    private static async Task<bool> ConnectionOverTheLimitIsClosedAsync(ServerFixture server)
    {
        Socket socket;
        try
        {
            socket = await ConnectRawAsync(server);
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset)
        {
            return true;
        }
        using (socket)
            return await ServerClosesAsync(socket);
    }

    [Fact]
    public async Task Max_connections_resets_the_connection_over_the_limit_and_frees_with_a_close()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxConnections = 1);
        using var metrics = new MeterRecorder(server.Server.Meter);

        await using (var first = await TlsTestClient.ConnectAndHandshakeAsync(Endpoint(server), SslProtocols.Tls13))
        {
            Assert.True(await ConnectionOverTheLimitIsClosedAsync(server), "the connection over the limit stayed open");
            await MeterRecorder.EventuallyAsync(() => metrics.Limit("max_connections") == 1, "max_connections counted");
            Assert.StartsWith("HTTP/1.1 200 OK", await first.RequestAndReadToEndAsync()); // the admitted one is unaffected
        }
        await MeterRecorder.EventuallyAsync(() => server.Server.ActiveConnections == 0, "first connection closed");
        await using var third = await TlsTestClient.ConnectAndHandshakeAsync(Endpoint(server), SslProtocols.Tls12);
        Assert.StartsWith("HTTP/1.1 200 OK", await third.RequestAndReadToEndAsync());
        Assert.Equal(1, metrics.Limit("max_connections"));
    }

    [Fact]
    public async Task Max_handshakes_makes_the_next_handshake_wait_for_a_slot()
    {
        await using var server = await ServerFixture.StartAsync(o => o.MaxHandshakes = 1);
        using var metrics = new MeterRecorder(server.Server.Meter);

        // A client that connects and says nothing holds the only handshake slot.
        var staller = await ConnectRawAsync(server);
        await MeterRecorder.EventuallyAsync(() => server.Server.FreeHandshakeSlots == 0, "the silent client holds the slot");

        await using var waiting = await TlsTestClient.ConnectAsync(Endpoint(server));
        var handshake = waiting.HandshakeAsync(SslProtocols.Tls13);
        await MeterRecorder.EventuallyAsync(() => metrics.Limit("max_handshakes") == 1, "the second handshake had to wait");
        Assert.False(handshake.IsCompleted);

        staller.Dispose(); // its handshake ends (peer closed) and frees the slot
        await handshake.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.StartsWith("HTTP/1.1 200 OK", await waiting.RequestAndReadToEndAsync());
        Assert.Equal(1, metrics.Get("brisk.server.handshakes{result=closed}"));
        Assert.Equal(1, metrics.Get("brisk.server.handshakes{result=ok}"));
    }

    [Fact]
    public async Task Waiting_for_a_handshake_slot_counts_against_the_handshake_timeout()
    {
        await using var server = await ServerFixture.StartAsync(o => { o.MaxHandshakes = 1; o.HandshakeTimeout = "1s"; });
        using var metrics = new MeterRecorder(server.Server.Meter);
        using var holder = await ConnectRawAsync(server);
        await MeterRecorder.EventuallyAsync(() => server.Server.FreeHandshakeSlots == 0, "the first client holds the slot");
        using var waiter = await ConnectRawAsync(server);
        await MeterRecorder.EventuallyAsync(() => metrics.Limit("max_handshakes") == 1, "the second client waits");

        // Neither says anything: both are closed by their timeout, the second while waiting or just after it got the slot.
        Assert.True(await ServerClosesAsync(holder));
        Assert.True(await ServerClosesAsync(waiter));
        await MeterRecorder.EventuallyAsync(() => metrics.Get("brisk.server.handshakes{result=timeout}") == 2, "two timeouts counted");
        Assert.Equal(2, metrics.Limit("handshake_timeout"));
        await MeterRecorder.EventuallyAsync(() => server.Server.FreeHandshakeSlots == 1, "the slot is free again");
    }

    [Fact]
    public async Task Handshake_timeout_is_counted_and_the_client_is_disconnected()
    {
        await using var server = await ServerFixture.StartAsync(o => o.HandshakeTimeout = "1s");
        using var metrics = new MeterRecorder(server.Server.Meter);
        using var silent = await ConnectRawAsync(server);
        Assert.True(await ServerClosesAsync(silent));
        await MeterRecorder.EventuallyAsync(() => metrics.Limit("handshake_timeout") == 1, "handshake_timeout counted");
        Assert.Equal(1, metrics.Get("brisk.server.handshakes{result=timeout}"));
    }

    [Fact]
    public async Task Idle_connection_is_closed_with_close_notify_and_logged()
    {
        string log = Path.Combine(Path.GetTempPath(), $"brisk-idle-{Guid.NewGuid():N}.log");
        try
        {
            await using (var server = await ServerFixture.StartAsync(o => { o.IdleTimeout = "1s"; o.AccessLog = log; o.Responder = "echo"; }))
            {
                using var metrics = new MeterRecorder(server.Server.Meter);
                await using var client = await TlsTestClient.ConnectAndHandshakeAsync(Endpoint(server), SslProtocols.Tls13);
                await client.Ssl.WriteAsync("ping"u8.ToArray());
                // The echo comes back, then nothing moves: the server ends the stream with close_notify.
                Assert.Equal("ping", await client.ReadToEndAsync());
                await MeterRecorder.EventuallyAsync(() => metrics.Limit("idle_timeout") == 1, "idle_timeout counted");
                await client.DisposeAsync();
                await MeterRecorder.EventuallyAsync(() => server.Server.ActiveConnections == 0, "connection gone");
            }
            var line = Assert.Single(File.ReadAllLines(log));
            using var entry = JsonDocument.Parse(line);
            Assert.Equal("idle_timeout", entry.RootElement.GetProperty("close").GetString());
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task Handshake_rate_limit_refuses_an_address_over_its_bucket_but_not_others()
    {
        await using var server = await ServerFixture.StartAsync(o => { o.HandshakeRateLimit = "1/s"; o.HandshakeRateBurst = 2; });
        using var metrics = new MeterRecorder(server.Server.Meter);

        // Six handshakes at once from 127.0.0.1: the bucket holds two (plus at most one refill per second).
        var attempts = Enumerable.Range(0, 6).Select(async _ =>
        {
            try
            {
                await using var client = await TlsTestClient.ConnectAndHandshakeAsync(Endpoint(server), SslProtocols.Tls13);
                return true;
            }
            catch (Exception ex) when (ex is IOException or AuthenticationException or SocketException)
            {
                return false; // closed before the handshake: refused
            }
        }).ToList();
        var admitted = await Task.WhenAll(attempts);
        long refused = admitted.Count(a => !a);
        Assert.InRange(refused, 1, 4);
        Assert.Equal(refused, metrics.Limit("handshake_rate"));

        // Another address has its own bucket.
        await using var other = await TlsTestClient.ConnectAndHandshakeAsync(Endpoint(server), SslProtocols.Tls13, from: IPAddress.Parse("127.0.0.2"));
        Assert.StartsWith("HTTP/1.1 200 OK", await other.RequestAndReadToEndAsync());
        Assert.Equal(refused, metrics.Limit("handshake_rate"));
    }
}
