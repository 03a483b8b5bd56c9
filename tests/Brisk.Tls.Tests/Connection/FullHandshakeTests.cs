using System.Security.Cryptography;
using System.Text;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// The in-memory client completes full TLS 1.2 handshakes with the server for every suite, with and
/// without extended master secret, and exchanges application data both ways through
/// <see cref="TlsServerConnection.Application"/> (an echo application). This is also the cross-check
/// that the test client itself is right: the server verifies the client's Finished and vice versa.
/// </summary>
public sealed class FullHandshakeTests
{
    public static TheoryData<CipherSuite, bool> SuitesAndEms()
    {
        var data = new TheoryData<CipherSuite, bool>();
        foreach (var suite in CipherSuites.Tls12Default)
        {
            data.Add(suite.Suite, true);
            data.Add(suite.Suite, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SuitesAndEms))]
    public async Task Completes_handshake_and_echoes_application_data(CipherSuite suite, bool extendedMasterSecret)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Suites = [suite], ExtendedMasterSecret = extendedMasterSecret };

        await client.HandshakeAsync();

        Assert.True(await server.HandshakeResultAsync());
        var info = server.Connection.Info;
        Assert.Equal(ProtocolVersion.Tls12, info.Version);
        Assert.Equal(suite, info.CipherSuite);
        Assert.Equal(extendedMasterSecret, info.ExtendedMasterSecret);
        Assert.Equal(extendedMasterSecret, client.ServerHello!.ExtendedMasterSecret);
        Assert.Equal("localhost", info.ServerName);
        Assert.Equal([], client.ServerHello.RenegotiationInfo!); // RFC 5746 §3.6: empty renegotiation_info echoed

        server.StartEcho();
        // Small, exactly one record, and larger than one record (the server must re-fragment at 2^14).
        foreach (int size in new[] { 1, 100, 1 << 14, 40_000 })
        {
            var data = RandomNumberGenerator.GetBytes(size);
            for (int offset = 0; offset < data.Length; offset += 1 << 14)
                await client.SendApplicationDataAsync(data.AsSpan(offset, Math.Min(1 << 14, data.Length - offset)));
            Assert.Equal(data, await client.ReadApplicationDataAsync(size));
        }
    }

    [Fact]
    public async Task Ecdhe_uses_the_servers_group_preference()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Groups = [0x0018, 0x0017] };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(Brisk.Crypto.KeyExchange.NamedGroup.Secp256r1, server.Connection.Info.Group);
    }

    [Theory]
    [InlineData((ushort)0x001D)]
    [InlineData((ushort)0x0017)]
    [InlineData((ushort)0x0018)]
    public async Task Completes_with_each_group(ushort group)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Groups = [group] };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal((Brisk.Crypto.KeyExchange.NamedGroup)group, server.Connection.Info.Group);
        Assert.Equal(group, client.ServerKeyExchange!.NamedGroup);
    }

    [Fact]
    public async Task Client_without_renegotiation_info_gets_none_back_and_completes()
    {
        // RFC 5746 §3.6: the server echoes renegotiation_info only when the client signalled support.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { RenegotiationInfo = null };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Null(client.ServerHello!.RenegotiationInfo);
    }

    [Fact]
    public async Task Alpn_overlap_is_negotiated()
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(applicationProtocols: ["http/1.1"]));
        using var client = new Tls12TestClient(server) { AlpnProtocols = [Encoding.ASCII.GetBytes("h2"), Encoding.ASCII.GetBytes("http/1.1")] };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal("http/1.1", server.Connection.Info.ApplicationProtocol);
        Assert.Equal("http/1.1"u8.ToArray(), client.ServerHello!.AlpnProtocol);
    }
}
