using System.IO.Pipelines;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.Credentials;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// The client-certificate policy hook (<see cref="TlsServerOptions.ClientCertificatePolicy"/>) in both handshake
/// versions: called once after the chain and CertificateVerify verified, its deny is the handshake's alert, a
/// policy that throws is internal_error, and a handshake without a client certificate never calls it.
/// </summary>
public sealed class ClientCertificatePolicyTests
{
    private static readonly Lazy<X509Certificate2> ClientCertificate = new(CreateClientCertificate);

    private static X509Certificate2 CreateClientCertificate()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=policy client, O=Brisk tests", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], critical: false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    /// <summary>Answers with a fixed decision (or throws) and records whom it was asked about.</summary>
    private sealed class RecordingPolicy(Func<ClientIdentity, ClientCertificateDecision> decide) : IClientCertificatePolicy
    {
        private int _calls;

        public int Calls => _calls;

        public ClientIdentity? LastClient { get; private set; }

        public async ValueTask<ClientCertificateDecision> CheckAsync(ClientIdentity client, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            LastClient = client;
            await Task.Yield(); // complete asynchronously, as a directory lookup does
            return decide(client);
        }
    }

    private static RecordingPolicy Allowing() => new(_ => ClientCertificateDecision.Allow());

    private static RecordingPolicy Denying(AlertDescription alert) => new(_ => ClientCertificateDecision.Deny(alert, "not in the directory"));

    private static RecordingPolicy Throwing() => new(_ => throw new InvalidOperationException("directory client bug"));

    private static TlsServerOptions Options(IClientCertificatePolicy policy, bool tls13, ClientAuthenticationMode mode = ClientAuthenticationMode.Require) => new()
    {
        EnableTls13 = tls13,
        Certificates = [TestCredentials.Ecdsa, TestCredentials.Rsa],
        KeyExchange = LibCryptoKeyExchangeProvider.Instance,
        RecordCrypto = SystemAeadProvider.Instance,
        ClientAuthentication = mode,
        ClientTrustAnchors = [X509CertificateLoader.LoadCertificate(ClientCertificate.Value.RawData)],
        ClientCertificatePolicy = policy,
    };

    // ---- TLS 1.3 (RFC 8446 §4.4.2, §4.4.3) ------------------------------------------------------------

    private static async Task<(InMemoryTlsServer, Tls13TestClient)> Tls13CertificateVerifySentAsync(IClientCertificatePolicy policy)
    {
        var server = InMemoryTlsServer.Start(Options(policy, tls13: true));
        var client = new Tls13TestClient(server) { ClientCertificate = ClientCertificate.Value };
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateCertificate());
        await client.SendHandshakeAsync(client.CreateCertificateVerify(SignatureScheme.EcdsaSecp256r1Sha256));
        return (server, client);
    }

    [Fact]
    public async Task Tls13_allowed_client_completes_and_the_policy_saw_its_certificate()
    {
        var policy = Allowing();
        var (server, client) = await Tls13CertificateVerifySentAsync(policy);
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateFinished());
        client.SwitchToApplicationWriteKeys();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(1, policy.Calls);
        Assert.Equal(ClientCertificate.Value.RawData, policy.LastClient!.Certificate.RawData);
    }

    [Theory]
    [InlineData(AlertDescription.CertificateUnknown)]
    [InlineData(AlertDescription.AccessDenied)]
    public async Task Tls13_denied_client_gets_the_policy_alert(AlertDescription alert)
    {
        var policy = Denying(alert);
        var (server, client) = await Tls13CertificateVerifySentAsync(policy);
        await using var _ = server;
        using var __ = client;
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, alert);
        Assert.Equal(1, policy.Calls);
    }

    [Fact]
    public async Task Tls13_policy_that_throws_gets_internal_error()
    {
        var (server, client) = await Tls13CertificateVerifySentAsync(Throwing());
        await using var _ = server;
        using var __ = client;
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.InternalError);
    }

    [Fact]
    public async Task Tls13_default_decision_denies_with_internal_error()
    {
        var (server, client) = await Tls13CertificateVerifySentAsync(new RecordingPolicy(_ => default));
        await using var _ = server;
        using var __ = client;
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.InternalError);
    }

    [Fact]
    public async Task Tls13_policy_is_not_asked_before_a_bad_certificate_verify_is_rejected()
    {
        var policy = Allowing();
        var server = InMemoryTlsServer.Start(Options(policy, tls13: true));
        await using var _ = server;
        using var client = new Tls13TestClient(server) { ClientCertificate = ClientCertificate.Value };
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateCertificate());
        await client.SendHandshakeAsync(client.CreateCertificateVerify(SignatureScheme.EcdsaSecp256r1Sha256, corrupt: true));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.DecryptError);
        Assert.Equal(0, policy.Calls);
    }

    [Fact]
    public async Task Tls13_optional_mode_without_a_certificate_never_calls_the_policy()
    {
        var policy = Denying(AlertDescription.AccessDenied);
        await using var server = InMemoryTlsServer.Start(Options(policy, tls13: true, ClientAuthenticationMode.Optional));
        using var client = new Tls13TestClient(server); // no certificate: answers the request with an empty list
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Null(server.Connection.Info.ClientIdentity);
        Assert.Equal(0, policy.Calls);
    }

    // ---- TLS 1.2 (RFC 5246 §7.4.6, §7.4.8) --------------------------------------------------------------

    private static async Task<(InMemoryTlsServer, Tls12TestClient)> Tls12CertificateVerifySentAsync(IClientCertificatePolicy policy)
    {
        var server = InMemoryTlsServer.Start(Options(policy, tls13: false));
        var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        Assert.True(client.CertificateRequested);

        using (var certificate = new TlsWriter())
        {
            new CertificateTls12 { CertificateList = [ClientCertificate.Value.RawData] }.Write(certificate);
            client.AddToTranscript(certificate.WrittenSpan);
            await client.SendHandshakeAsync(certificate.ToArray());
        }
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        // RFC 5246 §7.4.8: the signature covers every handshake message up to (not including) CertificateVerify.
        using var key = ClientCertificate.Value.GetECDsaPrivateKey()!;
        var signature = key.SignData(client.TranscriptMessages(), HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var verify = new TlsWriter();
        new CertificateVerify { SignatureScheme = SignatureScheme.EcdsaSecp256r1Sha256, Signature = signature }.Write(verify);
        client.AddToTranscript(verify.WrittenSpan);
        await client.SendHandshakeAsync(verify.ToArray());
        return (server, client);
    }

    [Fact]
    public async Task Tls12_allowed_client_completes()
    {
        var policy = Allowing();
        var (server, client) = await Tls12CertificateVerifySentAsync(policy);
        await using var _ = server;
        using var __ = client;
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished());
        await client.ReadServerFinishedAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(1, policy.Calls);
        Assert.Equal(ClientCertificate.Value.RawData, server.Connection.Info.ClientIdentity!.Certificate.RawData);
    }

    [Theory]
    [InlineData(AlertDescription.CertificateUnknown)]
    [InlineData(AlertDescription.AccessDenied)]
    public async Task Tls12_denied_client_gets_the_policy_alert(AlertDescription alert)
    {
        var policy = Denying(alert);
        var (server, client) = await Tls12CertificateVerifySentAsync(policy);
        await using var _ = server;
        using var __ = client;
        // The server has no keys in use yet (its ChangeCipherSpec comes after the client's Finished): a plaintext alert.
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, alert);
        Assert.Equal(1, policy.Calls);
    }

    [Fact]
    public async Task Tls12_policy_that_throws_gets_internal_error()
    {
        var (server, client) = await Tls12CertificateVerifySentAsync(Throwing());
        await using var _ = server;
        using var __ = client;
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.InternalError);
    }

    [Fact]
    public async Task Tls12_optional_mode_without_a_certificate_never_calls_the_policy()
    {
        var policy = Denying(AlertDescription.AccessDenied);
        await using var server = InMemoryTlsServer.Start(Options(policy, tls13: false, ClientAuthenticationMode.Optional));
        using var client = new Tls12TestClient(server);
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(0, policy.Calls);
    }

    // ---- Resumption re-asks the policy ----------------------------------------------------------------

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Tls12_resuming_a_session_with_a_client_certificate_asks_the_policy_again(bool allow)
    {
        const CipherSuite suite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
        var policy = allow ? Allowing() : Denying(AlertDescription.CertificateUnknown);
        var cache = new SessionCache(4, TimeProvider.System);
        var sessionId = RandomNumberGenerator.GetBytes(32);
        cache.Add(sessionId, new SessionState
        {
            Version = ProtocolVersion.Tls12,
            CipherSuite = suite,
            Secret = RandomNumberGenerator.GetBytes(48),
            ExtendedMasterSecret = true,
            ClientCertificate = ClientCertificate.Value.RawData,
            CreatedAt = DateTimeOffset.UtcNow,
            Lifetime = TimeSpan.FromHours(1),
        });
        var options = Options(policy, tls13: false);
        options = new TlsServerOptions
        {
            Certificates = options.Certificates,
            KeyExchange = options.KeyExchange,
            RecordCrypto = options.RecordCrypto,
            ClientAuthentication = options.ClientAuthentication,
            ClientTrustAnchors = options.ClientTrustAnchors,
            ClientCertificatePolicy = policy,
            SessionCache = cache,
        };
        var hello = new ClientHello
        {
            Random = RandomNumberGenerator.GetBytes(32),
            LegacySessionId = sessionId,
            CipherSuites = [suite],
            SupportedGroups = [(ushort)NamedGroup.X25519],
            SignatureAlgorithms = [SignatureScheme.EcdsaSecp256r1Sha256],
            ExtendedMasterSecret = true,
        };
        using var writer = new TlsWriter(1024);
        hello.Write(writer);
        var message = writer.ToArray();

        var toServer = new Pipe();
        var toClient = new Pipe();
        await using var connection = new TlsServerConnection(options, new Transport(toServer.Reader, toClient.Writer));
        await toServer.Writer.WriteAsync(new byte[] { (byte)ContentType.Handshake, 3, 3, (byte)(message.Length >> 8), (byte)message.Length }.Concat(message).ToArray());
        await toServer.Writer.CompleteAsync(); // the client goes away after its hello: the handshake cannot complete either way
        using var timeout = new CancellationTokenSource(InMemoryTlsServer.Guard);
        Assert.False(await connection.HandshakeAsync(timeout.Token));
        await toClient.Writer.CompleteAsync();
        var output = new MemoryStream();
        await toClient.Reader.AsStream().CopyToAsync(output);
        var bytes = output.ToArray();

        Assert.Equal(1, policy.Calls);
        if (allow)
        {
            // The abbreviated flight began: ServerHello echoing the session ID.
            Assert.Equal((byte)ContentType.Handshake, bytes[0]);
            Assert.True(connection.Info.Resumed);
        }
        else
        {
            Assert.Equal(Convert.ToHexString([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, (byte)AlertDescription.CertificateUnknown]), Convert.ToHexString(bytes));
        }
    }

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    [Fact]
    public void Deny_refuses_a_non_error_alert()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ClientCertificateDecision.Deny(AlertDescription.CloseNotify, "x"));
    }
}
