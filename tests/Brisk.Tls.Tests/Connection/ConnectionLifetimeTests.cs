using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// Who ends the transport: once the connection is disposed nothing more will be written, so the
/// transport's output must be completed (the socket layer then sends FIN and releases the connection)
/// whatever way the handshake ended.
/// </summary>
public sealed class ConnectionLifetimeTests
{
    [Fact]
    public async Task Disposing_after_the_peer_vanished_mid_handshake_completes_the_transport_output()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.CompleteAsync(); // the peer goes away without a word
        Assert.False(await server.HandshakeResultAsync());

        await server.Connection.DisposeAsync();

        // Without completion the transport would wait for bytes that never come (BriskServer then held
        // every such connection for SocketConnection's 2 s send-drain bound).
        Assert.True(await client.IsAtEndAsync());
    }

    [Fact]
    public async Task Disposing_after_a_cancelled_handshake_completes_the_transport_output()
    {
        await using var server = InMemoryTlsServer.StartWithCancellation(out var cancel);
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        cancel.Cancel(); // the handshake timeout fires
        Assert.False(await server.HandshakeResultAsync());
        Assert.Null(server.Connection.TerminatingAlert);

        await server.Connection.DisposeAsync();

        Assert.True(await client.IsAtEndAsync());
    }

    [Fact]
    public async Task Disposing_after_a_fatal_alert_leaves_just_the_alert()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync("GET "u8.ToArray());
        Assert.False(await server.HandshakeResultAsync());
        await server.Connection.DisposeAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }
}
