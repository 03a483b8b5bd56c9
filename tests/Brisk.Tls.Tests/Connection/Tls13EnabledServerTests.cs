using System.Text;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// The same TLS 1.2 client and bad input against a server that also speaks TLS 1.3: a TLS 1.2 handshake
/// still completes (with the RFC 8446 §4.1.3 downgrade sentinel), and the pre-negotiation alerts do not change.
/// </summary>
public sealed class Tls13EnabledServerTests
{
    private static InMemoryTlsServer Start() => InMemoryTlsServer.Start(TestCredentials.Options(enableTls13: true));

    [Fact]
    public async Task Tls12_client_completes_and_sees_the_downgrade_sentinel()
    {
        await using var server = Start();
        using var client = new Tls12TestClient(server);
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(ProtocolVersion.Tls12, server.Connection.Info.Version);
        Assert.Equal(ServerHello.DowngradeSentinelTls12.ToArray(), client.ServerHello!.Random[24..]);
        server.StartEcho();
        await client.SendApplicationDataAsync("12"u8);
        Assert.Equal("12"u8.ToArray(), await client.ReadApplicationDataAsync(2));
    }

    [Fact]
    public async Task Plaintext_http_gets_unexpected_message()
    {
        await using var server = Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\n\r\n"));
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Oversized_record_gets_record_overflow()
    {
        await using var server = Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync([0x16, 0x03, 0x01, 0x40, 0x01]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.RecordOverflow);
    }

    [Fact]
    public async Task Only_old_versions_get_protocol_version()
    {
        await using var server = Start();
        using var client = new Tls12TestClient(server) { LegacyVersion = ProtocolVersion.Tls11 };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.ProtocolVersion);
    }

    [Fact]
    public async Task Fallback_scsv_from_a_tls12_client_gets_inappropriate_fallback()
    {
        // RFC 7507 §3: a client retrying at TLS 1.2 while the server supports 1.3 was downgraded.
        await using var server = Start();
        using var client = new Tls12TestClient(server) { Suites = [.. CipherSuites.Tls12Default.Select(s => s.Suite), CipherSuite.TLS_FALLBACK_SCSV] };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.InappropriateFallback);
    }

    [Fact]
    public async Task Only_cbc_suites_get_handshake_failure()
    {
        await using var server = Start();
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA] };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Wrong_client_finished_gets_decrypt_error()
    {
        await using var server = Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished(corrupt: true));
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.DecryptError);
    }
}
