using System.IO.Pipelines;
using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Tests.Resumption;

/// <summary>
/// The server's side of a TLS 1.3 PSK offer (RFC 8446 §4.2.11), driven in memory with hand-built ClientHellos:
/// the binder is checked, the age is checked, and a bad binder is fatal. The server has no certificate, so
/// anything but PSK resumption ends in handshake_failure.
/// </summary>
public sealed class PskHandshakeTests : IDisposable
{
    private const uint AgeAdd = 0x01020304;
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));
    private readonly TicketKeyRing _ring;
    private readonly byte[] _psk = RandomNumberGenerator.GetBytes(32);
    private readonly LibCryptoKeyExchangeProvider _keyExchange = new();
    private bool _allowPskKe;

    public PskHandshakeTests()
    {
        _ring = TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, _clock);
    }

    private TlsServerOptions ServerOptions => new()
    {
        Certificates = [],
        KeyExchange = _keyExchange,
        RecordCrypto = ManagedAeadProvider.Default,
        EnableTls13 = true,
        TicketKeys = _ring,
        Time = _clock,
        AllowPskWithoutKeyExchange = _allowPskKe,
    };

    /// <summary>A ticket for <see cref="_psk"/> issued 5 seconds ago.</summary>
    private byte[] Ticket(CipherSuite suite = CipherSuite.TLS_AES_128_GCM_SHA256)
    {
        using var state = new SessionState
        {
            Version = ProtocolVersion.Tls13,
            CipherSuite = suite,
            Secret = (byte[])_psk.Clone(),
            CreatedAt = _clock.GetUtcNow() - TimeSpan.FromSeconds(5),
            TicketAgeAdd = AgeAdd,
            Lifetime = TimeSpan.FromHours(1),
        };
        return _ring.SealSession(state);
    }

    /// <summary>A ClientHello offering the ticket; the binder is computed over the truncated hello unless <paramref name="corruptBinder"/>.</summary>
    private byte[] ClientHelloOffering(byte[] ticket, uint clientAgeMs, bool corruptBinder = false, PskKeyExchangeMode[]? modes = null)
    {
        using var share = _keyExchange.Generate(NamedGroup.X25519);
        var hello = new ClientHello
        {
            Random = RandomNumberGenerator.GetBytes(32),
            CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256],
            SupportedVersions = [ProtocolVersion.Tls13],
            SupportedGroups = [(ushort)NamedGroup.X25519],
            KeyShares = [new KeyShareEntry((ushort)NamedGroup.X25519, share.PublicKey.ToArray())],
            SignatureAlgorithms = [SignatureScheme.EcdsaSecp256r1Sha256],
            PskKeyExchangeModes = modes ?? [PskKeyExchangeMode.PskDheKe],
            PreSharedKey = new OfferedPsks
            {
                Identities = [new PskIdentity(ticket, unchecked(clientAgeMs + AgeAdd))],
                Binders = [new byte[32]],
            },
        };
        using var writer = new TlsWriter(1024);
        hello.Write(writer);
        var message = writer.ToArray();
        // RFC 8446 §4.2.11.2: the binder is an HMAC over Transcript-Hash(Truncate(ClientHello1)); the binders
        // list (2-byte length, 1-byte length, 32-byte binder) ends the message.
        int bindersLength = hello.PreSharedKey.BindersEncodedLength;
        var truncatedHash = SHA256.HashData(message.AsSpan(0, message.Length - bindersLength));
        using (var early = Tls13EarlySecrets.FromPsk(HashKind.Sha256, _psk, Tls13PskKind.Resumption))
            early.ComputeBinder(truncatedHash, message.AsSpan(message.Length - 32));
        if (corruptBinder)
            message[^1] ^= 0x80;
        return message;
    }

    /// <summary>Sends one plaintext handshake record and returns what the server wrote plus how the handshake ended.</summary>
    private async Task<(byte[] Output, TlsServerConnection Connection)> RunAsync(byte[] clientHello)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var connection = new TlsServerConnection(ServerOptions, new Transport(toServer.Reader, toClient.Writer));
        byte[] record = [(byte)ContentType.Handshake, 3, 1, (byte)(clientHello.Length >> 8), (byte)clientHello.Length, .. clientHello];
        await toServer.Writer.WriteAsync(record);
        await toServer.Writer.CompleteAsync(); // the client says nothing more: the handshake cannot complete
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.False(await connection.HandshakeAsync(timeout.Token));
        await toClient.Writer.CompleteAsync();
        var output = new MemoryStream();
        await toClient.Reader.AsStream().CopyToAsync(output);
        return (output.ToArray(), connection);
    }

    private static ServerHello FirstServerHello(byte[] output)
    {
        Assert.Equal((byte)ContentType.Handshake, output[0]);
        int length = (output[3] << 8) | output[4];
        var message = output.AsSpan(5, length);
        Assert.Equal((byte)HandshakeType.ServerHello, message[0]);
        return ServerHello.Parse(message[4..]);
    }

    [Fact]
    public async Task Valid_binder_and_fresh_ticket_select_the_psk_with_a_key_share()
    {
        var (output, connection) = await RunAsync(ClientHelloOffering(Ticket(), clientAgeMs: 5000));
        await using var _ = connection;
        var serverHello = FirstServerHello(output);
        Assert.Equal((ushort)0, serverHello.PreSharedKeySelectedIdentity);
        Assert.NotNull(serverHello.KeyShare); // psk_dhe_ke
        Assert.True(connection.Info.Resumed);
    }

    [Fact]
    public async Task Bad_binder_aborts_with_decrypt_error()
    {
        var (output, connection) = await RunAsync(ClientHelloOffering(Ticket(), clientAgeMs: 5000, corruptBinder: true));
        await using var _ = connection;
        Assert.Equal(AlertDescription.DecryptError, connection.TerminatingAlert);
        Assert.Equal([(byte)ContentType.Alert, 3, 3, 0, 2, (byte)AlertLevel.Fatal, (byte)AlertDescription.DecryptError], output);
    }

    [Fact]
    public async Task Ticket_age_far_from_ours_is_not_resumed()
    {
        // The client thinks the ticket is 11 s older than we do (tolerance 10 s, RFC 8446 §8.3).
        var (_, connection) = await RunAsync(ClientHelloOffering(Ticket(), clientAgeMs: 16000));
        await using var _ = connection;
        // Not resumed: a full handshake, which this certificate-less server cannot do.
        Assert.Equal(AlertDescription.HandshakeFailure, connection.TerminatingAlert);
        Assert.False(connection.Info.Resumed);
    }

    [Fact]
    public async Task Ticket_age_within_the_tolerance_is_resumed()
    {
        var (output, connection) = await RunAsync(ClientHelloOffering(Ticket(), clientAgeMs: 0));
        await using var _ = connection;
        Assert.Equal((ushort)0, FirstServerHello(output).PreSharedKeySelectedIdentity);
    }

    [Fact]
    public async Task Ticket_for_a_suite_with_another_hash_is_not_resumed()
    {
        var (_, connection) = await RunAsync(ClientHelloOffering(Ticket(CipherSuite.TLS_AES_256_GCM_SHA384), clientAgeMs: 5000));
        await using var _ = connection;
        Assert.Equal(AlertDescription.HandshakeFailure, connection.TerminatingAlert);
    }

    [Fact]
    public async Task Psk_ke_is_refused_unless_enabled()
    {
        var (_, connection) = await RunAsync(ClientHelloOffering(Ticket(), clientAgeMs: 5000, modes: [PskKeyExchangeMode.PskKe]));
        await using var _ = connection;
        Assert.Equal(AlertDescription.HandshakeFailure, connection.TerminatingAlert);
    }

    [Fact]
    public async Task Psk_ke_when_enabled_resumes_without_a_key_share()
    {
        _allowPskKe = true;
        var (output, connection) = await RunAsync(ClientHelloOffering(Ticket(), clientAgeMs: 5000, modes: [PskKeyExchangeMode.PskKe]));
        await using var _ = connection;
        var serverHello = FirstServerHello(output);
        Assert.Equal((ushort)0, serverHello.PreSharedKeySelectedIdentity);
        Assert.Null(serverHello.KeyShare); // RFC 8446 §4.2.9 psk_ke: no (EC)DHE
        Assert.Null(connection.Info.Group);
    }

    public void Dispose() => _ring.Dispose();

    private sealed class Transport(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
