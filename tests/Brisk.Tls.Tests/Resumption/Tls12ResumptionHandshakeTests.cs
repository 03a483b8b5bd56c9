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

namespace Brisk.Tls.Tests.Resumption;

/// <summary>
/// The TLS 1.2 server's choice between an abbreviated and a full handshake (RFC 5246 §7.3, RFC 5077 §3.4,
/// RFC 7627 §5.3), driven in memory with hand-built ClientHellos.
/// </summary>
public sealed class Tls12ResumptionHandshakeTests : IDisposable
{
    private const CipherSuite Suite = CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256;
    private static readonly ServerCertificate Certificate = CreateCertificate();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private readonly TicketKeyRing _ring;
    private readonly SessionCache _cache;

    public Tls12ResumptionHandshakeTests()
    {
        _ring = TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, _clock);
        _cache = new SessionCache(16, _clock);
    }

    private static ServerCertificate CreateCertificate()
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var leaf = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return new ServerCertificate(leaf, [], EcdsaServerKey.Create(key));
    }

    private TlsServerOptions ServerOptions => new()
    {
        Certificates = [Certificate],
        KeyExchange = new LibCryptoKeyExchangeProvider(),
        RecordCrypto = ManagedAeadProvider.Default,
        Tls12CipherSuites = CipherSuites.Tls12Default,
        TicketKeys = _ring,
        SessionCache = _cache,
        Time = _clock,
    };

    private SessionState Session(bool extendedMasterSecret) => new()
    {
        Version = ProtocolVersion.Tls12,
        CipherSuite = Suite,
        Secret = RandomNumberGenerator.GetBytes(48),
        ExtendedMasterSecret = extendedMasterSecret,
        CreatedAt = _clock.GetUtcNow(),
        Lifetime = TimeSpan.FromHours(1.5),
    };

    private static byte[] ClientHelloMessage(bool extendedMasterSecret, byte[]? ticket = null, byte[]? sessionId = null)
    {
        var hello = new ClientHello
        {
            Random = RandomNumberGenerator.GetBytes(32),
            LegacySessionId = sessionId ?? [],
            CipherSuites = [Suite],
            SupportedGroups = [(ushort)NamedGroup.X25519, (ushort)NamedGroup.Secp256r1],
            SignatureAlgorithms = [SignatureScheme.EcdsaSecp256r1Sha256],
            ExtendedMasterSecret = extendedMasterSecret,
            SessionTicket = ticket,
        };
        using var writer = new TlsWriter(1024);
        hello.Write(writer);
        return writer.ToArray();
    }

    private async Task<(List<(ContentType Type, byte[] Payload)> Records, TlsServerConnection Connection)> RunAsync(byte[] clientHello)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var connection = new TlsServerConnection(ServerOptions, new Transport(toServer.Reader, toClient.Writer));
        byte[] record = [(byte)ContentType.Handshake, 3, 1, (byte)(clientHello.Length >> 8), (byte)clientHello.Length, .. clientHello];
        await toServer.Writer.WriteAsync(record);
        await toServer.Writer.CompleteAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.False(await connection.HandshakeAsync(timeout.Token));
        await toClient.Writer.CompleteAsync();
        var output = new MemoryStream();
        await toClient.Reader.AsStream().CopyToAsync(output);
        var bytes = output.ToArray();
        var records = new List<(ContentType, byte[])>();
        for (int i = 0; i + 5 <= bytes.Length;)
        {
            int length = (bytes[i + 3] << 8) | bytes[i + 4];
            records.Add(((ContentType)bytes[i], bytes.AsSpan(i + 5, length).ToArray()));
            i += 5 + length;
        }
        return (records, connection);
    }

    private static ServerHello ServerHelloOf(List<(ContentType Type, byte[] Payload)> records)
    {
        Assert.Equal(ContentType.Handshake, records[0].Type);
        Assert.Equal((byte)HandshakeType.ServerHello, records[0].Payload[0]);
        int length = (records[0].Payload[1] << 16) | (records[0].Payload[2] << 8) | records[0].Payload[3];
        return ServerHello.Parse(records[0].Payload.AsSpan(4, length));
    }

    [Fact]
    public async Task Valid_ticket_gives_the_abbreviated_handshake_server_finished_first()
    {
        using var session = Session(extendedMasterSecret: true);
        var sessionId = RandomNumberGenerator.GetBytes(32);
        var (records, connection) = await RunAsync(ClientHelloMessage(true, _ring.SealSession(session), sessionId));
        await using var _ = connection;

        var serverHello = ServerHelloOf(records);
        Assert.Equal(sessionId, serverHello.SessionId); // RFC 5077 §3.4: echo the client's session ID
        Assert.Equal(Suite, serverHello.CipherSuite);
        Assert.True(serverHello.ExtendedMasterSecret);
        Assert.False(serverHello.SessionTicket); // sealed with the newest key: not renewed
        // ServerHello, then ChangeCipherSpec and the encrypted Finished: no Certificate, no key exchange.
        Assert.Equal([ContentType.Handshake, ContentType.ChangeCipherSpec, ContentType.Handshake], records.Select(r => r.Type));
        Assert.True(connection.Info.Resumed);
    }

    [Fact]
    public async Task Ticket_sealed_with_an_older_key_is_renewed()
    {
        using var session = Session(extendedMasterSecret: true);
        var ticket = _ring.SealSession(session);
        _clock.Advance(TicketKeyRing.DefaultRotation);
        var (records, connection) = await RunAsync(ClientHelloMessage(true, ticket));
        await using var _ = connection;

        Assert.True(ServerHelloOf(records).SessionTicket);
        // ServerHello and NewSessionTicket (RFC 5077 §3.1), then ChangeCipherSpec and Finished.
        Assert.Contains(records, r => r.Type == ContentType.Handshake && r.Payload.Length > 0 && r.Payload[0] == (byte)HandshakeType.NewSessionTicket);
        Assert.Equal(ContentType.ChangeCipherSpec, records[^2].Type);
        Assert.True(connection.Info.Resumed);
    }

    [Fact]
    public async Task Cached_session_id_gives_the_abbreviated_handshake()
    {
        var sessionId = RandomNumberGenerator.GetBytes(32);
        _cache.Add(sessionId, Session(extendedMasterSecret: true));
        var (records, connection) = await RunAsync(ClientHelloMessage(true, sessionId: sessionId));
        await using var _ = connection;

        Assert.Equal(sessionId, ServerHelloOf(records).SessionId);
        Assert.Equal(ContentType.ChangeCipherSpec, records[1].Type);
        Assert.True(connection.Info.Resumed);
    }

    [Fact]
    public async Task Session_with_extended_master_secret_and_hello_without_it_aborts()
    {
        // RFC 7627 §5.3: "the server MUST abort the abbreviated handshake".
        using var session = Session(extendedMasterSecret: true);
        var (records, connection) = await RunAsync(ClientHelloMessage(false, _ring.SealSession(session)));
        await using var _ = connection;

        Assert.Equal(AlertDescription.HandshakeFailure, connection.TerminatingAlert);
        var alert = Assert.Single(records);
        Assert.Equal(ContentType.Alert, alert.Type);
    }

    [Fact]
    public async Task Session_without_extended_master_secret_gets_a_full_handshake()
    {
        // RFC 7627 §5.3: "the server MUST NOT perform the abbreviated handshake".
        using var session = Session(extendedMasterSecret: false);
        var (records, connection) = await RunAsync(ClientHelloMessage(true, _ring.SealSession(session)));
        await using var _ = connection;

        var serverHello = ServerHelloOf(records);
        Assert.Empty(serverHello.SessionId); // a new ticket will be issued (RFC 5077 §3.4)
        Assert.True(serverHello.SessionTicket);
        Assert.Equal([ContentType.Handshake], records.Select(r => r.Type)); // the full first flight, no ChangeCipherSpec
        Assert.False(connection.Info.Resumed);
    }

    [Fact]
    public async Task Full_handshake_without_ticket_support_gets_a_session_id()
    {
        var (records, connection) = await RunAsync(ClientHelloMessage(true));
        await using var _ = connection;
        var serverHello = ServerHelloOf(records);
        Assert.Equal(32, serverHello.SessionId.Length);
        Assert.False(serverHello.SessionTicket);
    }

    [Fact]
    public async Task Unknown_ticket_gets_a_full_handshake_and_a_new_ticket()
    {
        var (records, connection) = await RunAsync(ClientHelloMessage(true, RandomNumberGenerator.GetBytes(120)));
        await using var _ = connection;
        Assert.True(ServerHelloOf(records).SessionTicket);
        Assert.False(connection.Info.Resumed);
    }

    public void Dispose()
    {
        _ring.Dispose();
        _cache.Dispose();
    }

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
