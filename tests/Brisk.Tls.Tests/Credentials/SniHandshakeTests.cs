using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;
using Brisk.Tls.Tests.Connection;

namespace Brisk.Tls.Tests.Credentials;

/// <summary>In-memory handshakes through the certificate store: the name picks the certificate; under the reject policy an unknown name ends in unrecognized_name (RFC 6066 §3).</summary>
public sealed class SniHandshakeTests
{
    private static readonly Lazy<(ServerCertificate Default, ServerCertificate Exact, ServerCertificate Wildcard)> Certificates = new(() => (
        CertificateStoreTests.Certificate(CredentialKeyType.EcdsaP256, ["default.test"]),
        CertificateStoreTests.Certificate(CredentialKeyType.EcdsaP256, ["exact.example.com"]),
        CertificateStoreTests.Certificate(CredentialKeyType.EcdsaP256, ["*.wild.example.com"])));

    private static TlsServerOptions Options(UnknownServerNamePolicy policy)
    {
        var (fallback, exact, wildcard) = Certificates.Value;
        return new TlsServerOptions
        {
            EnableTls13 = true,
            Certificates = [fallback, exact, wildcard],
            CertificateStore = new CertificateStore([fallback, exact, wildcard], [fallback], policy),
            KeyExchange = LibCryptoKeyExchangeProvider.Instance,
            RecordCrypto = SystemAeadProvider.Instance,
        };
    }

    [Theory]
    [InlineData("exact.example.com", "exact.example.com")]
    [InlineData("a.wild.example.com", "*.wild.example.com")]
    [InlineData("unknown.example.com", "default.test")]
    [InlineData(null, "default.test")]
    public async Task Tls13_presents_the_certificate_for_the_name(string? serverName, string expectedSan)
    {
        await using var server = InMemoryTlsServer.Start(Options(UnknownServerNamePolicy.UseDefault));
        using var client = new Tls13TestClient(server) { ServerName = serverName };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(expectedSan, client.ServerCertificate!.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false));
    }

    [Theory]
    [InlineData("exact.example.com", "exact.example.com")]
    [InlineData("b.wild.example.com", "*.wild.example.com")]
    [InlineData("unknown.example.com", "default.test")]
    public async Task Tls12_presents_the_certificate_for_the_name(string serverName, string expectedSan)
    {
        var options = Options(UnknownServerNamePolicy.UseDefault);
        await using var server = InMemoryTlsServer.Start(new TlsServerOptions
        {
            EnableTls13 = false,
            Certificates = options.Certificates,
            CertificateStore = options.CertificateStore,
            KeyExchange = options.KeyExchange,
            RecordCrypto = options.RecordCrypto,
        });
        using var client = new Tls12TestClient(server) { ServerName = serverName };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(expectedSan, client.ServerCertificate!.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.DnsName, false));
    }

    [Fact]
    public async Task Tls13_unknown_name_under_reject_is_a_fatal_unrecognized_name()
    {
        await using var server = InMemoryTlsServer.Start(Options(UnknownServerNamePolicy.Reject));
        using var client = new Tls13TestClient(server) { ServerName = "unknown.example.com" };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnrecognizedName);
    }

    [Fact]
    public async Task Tls12_unknown_name_under_reject_is_a_fatal_unrecognized_name()
    {
        var options = Options(UnknownServerNamePolicy.Reject);
        await using var server = InMemoryTlsServer.Start(new TlsServerOptions
        {
            EnableTls13 = false,
            Certificates = options.Certificates,
            CertificateStore = options.CertificateStore,
            KeyExchange = options.KeyExchange,
            RecordCrypto = options.RecordCrypto,
        });
        using var client = new Tls12TestClient(server) { ServerName = "a.b.wild.example.com" };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnrecognizedName);
    }

    [Theory]
    [InlineData("a.wild.example.com")]
    [InlineData(null)]
    public async Task Under_reject_known_names_and_no_server_name_complete(string? serverName)
    {
        await using var server = InMemoryTlsServer.Start(Options(UnknownServerNamePolicy.Reject));
        using var client = new Tls13TestClient(server) { ServerName = serverName };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
    }
}
