using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>The exact alert a TLS 1.3 server wrote, and that the connection then ended without an unhandled exception.</summary>
internal static class Tls13AlertAssert
{
    /// <summary>Before any keys: exactly <c>15 03 03 00 02 02 desc</c>, then EOF; HandshakeAsync returned false.</summary>
    public static async Task PlaintextFatalAlertThenEndAsync(InMemoryTlsServer server, Tls13TestClient client, AlertDescription description)
    {
        var record = await client.ReadRecordAsync();
        Assert.NotNull(record);
        Assert.Equal(Convert.ToHexString([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, (byte)description]), Convert.ToHexString(record.Raw));
        Assert.True(await client.IsAtEndAsync(), "the server wrote more after its fatal alert");
        Assert.False(await server.HandshakeResultAsync());
        Assert.Equal(description, server.Connection.TerminatingAlert);
        Assert.False(server.Connection.IsEstablished);
    }

    /// <summary>
    /// RFC 8446 §5.2: a protected alert has outer type application_data (23), version 03 03, length
    /// 2 + 1 (inner type) + 16 (tag); its plaintext is {fatal, desc} with inner type alert.
    /// </summary>
    public static async Task EncryptedFatalAlertAsync(Tls13TestClient client, AlertDescription description)
    {
        var record = await client.ReadRecordAsync();
        Assert.NotNull(record);
        Assert.Equal(Convert.ToHexString([0x17, 0x03, 0x03, 0x00, 2 + 1 + RecordProtection.TagLength]), Convert.ToHexString(record.Raw[..5]));
        Assert.Equal(ContentType.Alert, record.Type);
        Assert.Equal(Convert.ToHexString([0x02, (byte)description]), Convert.ToHexString(record.Content));
        Assert.True(await client.IsAtEndAsync(), "the server wrote more after its fatal alert");
    }

    /// <summary>An encrypted fatal alert during the handshake (after the server's flight): HandshakeAsync returned false.</summary>
    public static async Task EncryptedHandshakeAlertThenEndAsync(InMemoryTlsServer server, Tls13TestClient client, AlertDescription description)
    {
        await EncryptedFatalAlertAsync(client, description);
        Assert.False(await server.HandshakeResultAsync());
        Assert.Equal(description, server.Connection.TerminatingAlert);
        Assert.False(server.Connection.IsEstablished);
    }

    /// <summary>An encrypted fatal alert once established: the record pumps and the echo application finished without an exception.</summary>
    public static async Task EncryptedApplicationAlertThenEndAsync(InMemoryTlsServer server, Tls13TestClient client, AlertDescription description)
    {
        await EncryptedFatalAlertAsync(client, description);
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
        Assert.Equal(description, server.Connection.TerminatingAlert);
    }
}
