using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>Full TLS 1.3 handshakes with <see cref="Tls13TestClient"/>: every suite × group, with and without compatibility mode.</summary>
public sealed class Tls13FullHandshakeTests
{
    public static TheoryData<CipherSuite, NamedGroup, bool> SuitesGroupsCompat()
    {
        var data = new TheoryData<CipherSuite, NamedGroup, bool>();
        foreach (var suite in CipherSuites.Tls13Default)
            foreach (var group in new[] { NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1 })
                foreach (var compat in new[] { false, true })
                    data.Add(suite.Suite, group, compat);
        return data;
    }

    [Theory]
    [MemberData(nameof(SuitesGroupsCompat))]
    public async Task Handshake_completes_and_echoes(CipherSuite suite, NamedGroup group, bool compatibilityMode)
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(enableTls13: true));
        using var client = new Tls13TestClient(server)
        {
            Suites = [suite],
            KeyShareGroups = [(ushort)group],
            SessionId = compatibilityMode ? RandomNumberGenerator.GetBytes(32) : [],
        };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Null(client.HelloRetryRequest);
        Assert.Equal(ProtocolVersion.Tls13, server.Connection.Info.Version);
        Assert.Equal(suite, server.Connection.Info.CipherSuite);
        Assert.Equal(group, server.Connection.Info.Group);
        // RFC 8446 Appendix D.4: one dummy change_cipher_spec exactly when the client used a session id.
        Assert.Equal(compatibilityMode ? 1 : 0, client.ChangeCipherSpecsReceived);

        server.StartEcho();
        var data = RandomNumberGenerator.GetBytes(3000);
        await client.SendApplicationDataAsync(data);
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
        await client.SendApplicationDataAsync("second"u8);
        Assert.Equal("second"u8.ToArray(), await client.ReadApplicationDataAsync(6));
    }
}
