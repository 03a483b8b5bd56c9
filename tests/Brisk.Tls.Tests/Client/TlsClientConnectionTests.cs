using System.Buffers;
using System.IO.Pipelines;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Client;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;
using Brisk.Tls.Tests.Connection;

namespace Brisk.Tls.Tests.Client;

/// <summary>
/// <see cref="TlsClientConnection"/> against Brisk's <see cref="TlsServerConnection"/> over in-memory pipes.
/// (Against an independent server, `openssl s_server`, it is exercised by the load generator's tests.)
/// </summary>
public class TlsClientConnectionTests
{
    private static readonly SignatureScheme[] RsaOnly = [SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPkcs1Sha256];
    private static readonly SignatureScheme[] EcdsaOnly = [SignatureScheme.EcdsaSecp256r1Sha256];

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    private static async Task<(TlsClientConnection Client, byte[] Echo)> HandshakeAndEchoAsync(TlsServerOptions serverOptions, TlsClientOptions clientOptions, TlsClientSession? resume = null)
    {
        await using var server = InMemoryTlsServer.Start(serverOptions);
        var client = new TlsClientConnection(clientOptions, resume);
        var pipe = new TlsClientPipe(client, new Duplex(server.FromServer, server.ToServer));
        using var timeout = new CancellationTokenSource(InMemoryTlsServer.Guard);
        await pipe.HandshakeAsync(timeout.Token);
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        var payload = "ping through the record layer"u8.ToArray();
        await pipe.WriteAsync(payload, timeout.Token);
        var received = new ArrayBufferWriter<byte>();
        while (received.WrittenCount < payload.Length && await pipe.ReadOnceAsync(received, timeout.Token)) { }
        await pipe.CloseAsync();
        // Let the server hand over its tickets (TLS 1.3 sends them after the handshake) until it closes.
        while (await pipe.ReadOnceAsync(received, timeout.Token)) { }
        return (client, received.WrittenSpan.ToArray());
    }

    public static TheoryData<string, bool, string, string?> FullHandshakes => new()
    {
        // name, TLS 1.3, signature algorithms (rsa|ecdsa), TLS 1.2 suite or TLS 1.3 suite
        { "TLS 1.3 RSA-PSS, AES-128-GCM", true, "rsa", "TLS_AES_128_GCM_SHA256" },
        { "TLS 1.3 ECDSA P-256, AES-256-GCM", true, "ecdsa", "TLS_AES_256_GCM_SHA384" },
        { "TLS 1.3 ECDSA, ChaCha20-Poly1305", true, "ecdsa", "TLS_CHACHA20_POLY1305_SHA256" },
        { "TLS 1.2 ECDHE-RSA AES-128-GCM", false, "rsa", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256" },
        { "TLS 1.2 ECDHE-ECDSA AES-256-GCM", false, "ecdsa", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384" },
        { "TLS 1.2 ECDHE-RSA ChaCha20", false, "rsa", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256" },
        { "TLS 1.2 RSA key exchange AES-128-GCM", false, "rsa", "TLS_RSA_WITH_AES_128_GCM_SHA256" },
        { "TLS 1.2 RSA key exchange AES-256-GCM", false, "rsa", "TLS_RSA_WITH_AES_256_GCM_SHA384" },
    };

    [Theory]
    [MemberData(nameof(FullHandshakes))]
    public async Task Full_handshake_completes_and_application_data_round_trips(string name, bool tls13, string keyType, string? suiteName)
    {
        Assert.True(CipherSuites.TryFind(suiteName!, out var suite), name);
        var serverOptions = TestCredentials.Options(enableTls13: tls13);
        var clientOptions = new TlsClientOptions
        {
            ServerName = "localhost",
            EnableTls12 = !tls13,
            EnableTls13 = tls13,
            Tls12CipherSuites = tls13 ? CipherSuites.Tls12Default : [suite],
            Tls13CipherSuites = tls13 ? [suite] : CipherSuites.Tls13Default,
            SignatureAlgorithms = keyType == "rsa" ? RsaOnly : EcdsaOnly,
        };

        var (client, echo) = await HandshakeAndEchoAsync(serverOptions, clientOptions);

        Assert.Equal(tls13 ? ProtocolVersion.Tls13 : ProtocolVersion.Tls12, client.Version);
        Assert.Equal(suite.Suite, client.CipherSuite!.Suite);
        Assert.False(client.Resumed);
        Assert.Equal("ping through the record layer"u8.ToArray(), echo);
        Assert.Equal(1, clientOptions.ServerKeys.Decodes);
        client.Dispose();
    }

    [Theory]
    [InlineData(NamedGroup.Secp256r1)]
    [InlineData(NamedGroup.Secp384r1)]
    public async Task Tls13_key_share_on_a_nist_curve(NamedGroup group)
    {
        var clientOptions = new TlsClientOptions { EnableTls12 = false, Groups = [group] };
        var (client, echo) = await HandshakeAndEchoAsync(TestCredentials.Options(enableTls13: true), clientOptions);
        Assert.Equal(group, client.KeyExchangeGroup);
        Assert.NotEmpty(echo);
    }

    [Fact]
    public async Task Both_versions_offered_negotiates_tls13_and_alpn()
    {
        var serverOptions = TestCredentials.Options(applicationProtocols: ["h2", "http/1.1"], enableTls13: true);
        var clientOptions = new TlsClientOptions { ApplicationProtocols = ["http/1.1"] };
        var (client, _) = await HandshakeAndEchoAsync(serverOptions, clientOptions);
        Assert.Equal(ProtocolVersion.Tls13, client.Version);
        Assert.Equal("http/1.1", client.ApplicationProtocol);
    }

    [Fact]
    public async Task The_certificate_key_is_decoded_once_for_many_handshakes()
    {
        var clientOptions = new TlsClientOptions { EnableTls12 = false, SignatureAlgorithms = EcdsaOnly };
        for (int i = 0; i < 3; i++)
            await HandshakeAndEchoAsync(TestCredentials.Options(enableTls13: true), clientOptions);
        Assert.Equal(1, clientOptions.ServerKeys.Decodes);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_ticket_resumes_the_session(bool tls13)
    {
        var ring = TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, TimeProvider.System);
        var baseOptions = TestCredentials.Options(enableTls13: tls13);
        var serverOptions = new TlsServerOptions
        {
            EnableTls13 = tls13,
            Certificates = baseOptions.Certificates,
            KeyExchange = baseOptions.KeyExchange,
            RecordCrypto = baseOptions.RecordCrypto,
            TicketKeys = ring,
        };
        var clientOptions = new TlsClientOptions { EnableTls12 = !tls13, EnableTls13 = tls13, EnableSessionTickets = true, SignatureAlgorithms = RsaOnly };

        var (first, _) = await HandshakeAndEchoAsync(serverOptions, clientOptions);
        Assert.False(first.Resumed);
        var session = first.Session;
        Assert.NotNull(session);

        var (second, echo) = await HandshakeAndEchoAsync(serverOptions, clientOptions, session);
        Assert.True(second.Resumed);
        Assert.Equal("ping through the record layer"u8.ToArray(), echo);
    }

    [Fact]
    public async Task A_version_the_server_refuses_ends_in_its_protocol_version_alert()
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(enableTls13: false));
        using var client = new TlsClientConnection(new TlsClientOptions { EnableTls12 = false });
        var pipe = new TlsClientPipe(client, new Duplex(server.FromServer, server.ToServer));
        var error = await Assert.ThrowsAnyAsync<Exception>(async () => await pipe.HandshakeAsync());
        var alert = Assert.IsType<TlsAlertReceivedException>(error);
        Assert.Equal(AlertDescription.ProtocolVersion, alert.Description);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Records_arriving_a_few_bytes_at_a_time_are_reassembled(bool tls13)
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(enableTls13: tls13));
        using var client = new TlsClientConnection(new TlsClientOptions { EnableTls12 = !tls13, EnableTls13 = tls13 });
        var output = new ArrayBufferWriter<byte>();
        client.Start(output);
        var pending = new List<byte>();
        using var timeout = new CancellationTokenSource(InMemoryTlsServer.Guard);
        while (!client.IsHandshakeComplete)
        {
            if (output.WrittenCount > 0)
            {
                await server.ToServer.WriteAsync(output.WrittenMemory, timeout.Token);
                output.Clear();
            }
            var result = await server.FromServer.ReadAsync(timeout.Token);
            var bytes = result.Buffer.ToArray();
            server.FromServer.AdvanceTo(result.Buffer.End);
            // Hand the bytes over in slices of 1 to 7 bytes; whatever Process leaves is offered again with more.
            for (int i = 0; i < bytes.Length && !client.IsHandshakeComplete;)
            {
                int n = Math.Min(1 + i % 7, bytes.Length - i);
                pending.AddRange(bytes.AsSpan(i, n).ToArray());
                i += n;
                var buffer = pending.ToArray();
                int consumed = client.Process(buffer, output);
                pending.RemoveRange(0, consumed);
            }
        }
        await server.ToServer.WriteAsync(output.WrittenMemory, timeout.Token);
        Assert.True(await server.HandshakeResultAsync());
    }

    /// <summary>Runs a TLS 1.2 handshake by hand, letting the test corrupt the server's first flight.</summary>
    [Theory]
    [InlineData("ske-signature", AlertDescription.DecryptError)]
    [InlineData("server-random", AlertDescription.DecryptError)]
    public async Task A_tampered_server_flight_is_refused(string where, AlertDescription expected)
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options());
        using var client = new TlsClientConnection(new TlsClientOptions { EnableTls13 = false, SignatureAlgorithms = RsaOnly });
        var output = new ArrayBufferWriter<byte>();
        client.Start(output);
        await server.ToServer.WriteAsync(output.WrittenMemory);
        // ServerHello .. ServerHelloDone arrive together; read until the ServerHelloDone (type 14, empty) ends it.
        var flight = new List<byte>();
        while (flight.Count < 9 || !flight.TakeLast(4).SequenceEqual(new byte[] { 14, 0, 0, 0 }))
        {
            var result = await server.FromServer.ReadAsync();
            flight.AddRange(result.Buffer.ToArray());
            server.FromServer.AdvanceTo(result.Buffer.End);
        }
        var bytes = flight.ToArray();
        if (where == "ske-signature")
        {
            int ske = IndexOfHandshake(bytes, 12);
            int length = (bytes[ske + 1] << 16) | (bytes[ske + 2] << 8) | bytes[ske + 3];
            bytes[ske + 4 + length - 1] ^= 1; // last byte of the signature
        }
        else
        {
            int hello = IndexOfHandshake(bytes, 2);
            bytes[hello + 4 + 2 + 5] ^= 1; // a byte of server_random, covered by the ServerKeyExchange signature
        }
        output.Clear();
        var error = Assert.Throws<TlsProtocolException>(() => client.Process(bytes, output));
        Assert.Equal(expected, error.Alert);
        Assert.Equal(new byte[] { 21, 3, 3, 0, 2, 2, (byte)expected }, output.WrittenSpan.ToArray()); // the fatal alert to send
        Assert.False(client.IsHandshakeComplete);
    }

    /// <summary>Offset of the first handshake message of <paramref name="type"/> in a run of plaintext records.</summary>
    private static int IndexOfHandshake(byte[] records, byte type)
    {
        for (int record = 0; record < records.Length;)
        {
            int length = (records[record + 3] << 8) | records[record + 4];
            for (int message = record + 5; message < record + 5 + length;)
            {
                if (records[message] == type)
                    return message;
                message += 4 + ((records[message + 1] << 16) | (records[message + 2] << 8) | records[message + 3]);
            }
            record += 5 + length;
        }
        throw new InvalidOperationException($"no handshake message {type}");
    }
}
