using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>Asserts the exact alert record the server wrote and that the connection then ended cleanly.</summary>
internal static class AlertAssert
{
    /// <summary>
    /// The next bytes from the server are exactly one plaintext fatal alert record
    /// (15 03 03 00 02 02 desc, RFC 5246 §6.2.1 and §7.2), then EOF; HandshakeAsync returned false.
    /// </summary>
    public static async Task PlaintextFatalAlertThenEndAsync(InMemoryTlsServer server, Tls12TestClient client, AlertDescription description)
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
    /// The next record is an alert protected with the server's write keys (as the test client derived
    /// them): outer type alert(21), version 03 03, length 2 + AEAD overhead, plaintext {level, desc}.
    /// </summary>
    public static async Task EncryptedAlertAsync(Tls12TestClient client, AlertLevel level, AlertDescription description)
    {
        var record = await client.ReadRecordAsync();
        Assert.NotNull(record);
        int overhead = client.Suite!.Aead == Brisk.Crypto.Aead.AeadAlgorithm.ChaCha20Poly1305 ? RecordProtection.TagLength : 8 + RecordProtection.TagLength;
        Assert.Equal(RecordFraming.HeaderLength + 2 + overhead, record.Raw.Length);
        Assert.Equal(Convert.ToHexString([0x15, 0x03, 0x03, 0x00, (byte)(2 + overhead)]), Convert.ToHexString(record.Raw[..5]));
        Assert.Equal(ContentType.Alert, record.Type);
        Assert.Equal(Convert.ToHexString([(byte)level, (byte)description]), Convert.ToHexString(record.Content));
    }

    /// <summary>An encrypted fatal alert, then EOF, and the record pumps finished without an exception.</summary>
    public static async Task EncryptedFatalAlertThenEndAsync(InMemoryTlsServer server, Tls12TestClient client, AlertDescription description)
    {
        await EncryptedAlertAsync(client, AlertLevel.Fatal, description);
        Assert.True(await client.IsAtEndAsync(), "the server wrote more after its fatal alert");
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
        Assert.Equal(description, server.Connection.TerminatingAlert);
    }

    /// <summary>The server ended the handshake without writing anything more (e.g. the peer went away).</summary>
    public static async Task HandshakeFailedSilentlyAsync(InMemoryTlsServer server, AlertDescription? alertReceived = null)
    {
        Assert.False(await server.HandshakeResultAsync());
        // TryRead is false when nothing was written and the server's direction is still open.
        if (server.FromServer.TryRead(out var result))
        {
            Assert.True(result.Buffer.IsEmpty, $"the server wrote {result.Buffer.Length} bytes");
            server.FromServer.AdvanceTo(result.Buffer.End);
        }
        Assert.Equal(alertReceived, server.Connection.TerminatingAlert);
    }
}
