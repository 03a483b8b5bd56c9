using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// <see cref="TlsServerConnection.CloseAsync"/> (used for the server's idle timeout): close_notify under the
/// write keys (RFC 5246 §7.2.1, RFC 8446 §6.1), then nothing more from the server, and the connection ends
/// when the client answers with its own close_notify.
/// </summary>
public sealed class ServerInitiatedCloseTests
{
    [Fact]
    public async Task Close_sends_an_encrypted_close_notify_and_nothing_after_it()
    {
        var server = InMemoryTlsServer.Start();
        await using var _ = server;
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        await client.SendApplicationDataAsync("before"u8);
        Assert.Equal("before"u8.ToArray(), await client.ReadApplicationDataAsync(6));

        await server.Connection.CloseAsync();
        await AlertAssert.EncryptedAlertAsync(client, AlertLevel.Warning, AlertDescription.CloseNotify);
        // The read side stays open: data the client still sends reaches the application, whose echo is not sent.
        await client.SendApplicationDataAsync("late"u8);
        Assert.True(await client.IsAtEndAsync()); // no record after close_notify; the server's output is finished

        await server.Connection.CloseAsync(); // a second close is a no-op
        await client.SendRecordAsync(ContentType.Alert, [(byte)AlertLevel.Warning, (byte)AlertDescription.CloseNotify]);
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
        Assert.Null(server.Connection.TerminatingAlert);
    }

    [Fact]
    public async Task Close_before_the_handshake_completed_does_nothing()
    {
        var server = InMemoryTlsServer.Start();
        await using var _ = server;
        await server.Connection.CloseAsync();
        Assert.False(server.Connection.IsEstablished);
    }
}
