using System.Buffers;
using System.IO.Pipelines;
using Brisk.Crypto;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Client;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Tests.Connection;

/// <summary>Runs alone: <see cref="SecretMemory.OutstandingBlocks"/> is process-wide.</summary>
[CollectionDefinition(nameof(SecretMemoryLeakCollection), DisableParallelization = true)]
public sealed class SecretMemoryLeakCollection;

/// <summary>
/// Every <see cref="SecretMemory"/> block a handshake rents (key schedule, record keys, ephemeral keys, on both
/// sides) comes back when the connections are disposed, whether the handshake completed, resumed or failed. A
/// block that is not returned is never reused, so a leak here would grow the server's memory with every handshake.
/// </summary>
[Collection(nameof(SecretMemoryLeakCollection))]
public sealed class SecretMemoryLeakTests
{
    private const int Repetitions = 12;

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }

    public static TheoryData<string, bool> Suites => new()
    {
        { "TLS_AES_128_GCM_SHA256", true },
        { "TLS_AES_256_GCM_SHA384", true },
        { "TLS_CHACHA20_POLY1305_SHA256", true },
        { "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", false },
        { "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", false },
        { "TLS_RSA_WITH_AES_256_GCM_SHA384", false },
    };

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Full_and_resumed_handshakes_return_every_block(string suiteName, bool tls13)
    {
        Assert.True(CipherSuites.TryFind(suiteName, out var suite));
        using var ring = TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, TimeProvider.System);
        var serverOptions = PooledServerOptions(tls13, ring);
        var clientOptions = new TlsClientOptions
        {
            ServerName = "localhost",
            EnableTls12 = !tls13,
            EnableTls13 = tls13,
            Tls12CipherSuites = tls13 ? CipherSuites.Tls12Default : [suite],
            Tls13CipherSuites = tls13 ? [suite] : CipherSuites.Tls13Default,
            EnableSessionTickets = true,
            KeyExchange = KeyExchangeProviders.Default,
            RecordCrypto = ManagedAeadProvider.Default,
        };
        // One round first: the ticket ring and caches rent what they keep for their lifetime.
        TlsClientSession? session = (await HandshakeEchoAndCloseAsync(serverOptions, clientOptions, null)).Session;

        long before = SecretMemory.OutstandingBlocks;
        int resumed = 0;
        for (int i = 0; i < Repetitions; i++)
        {
            // Alternate full and resumed handshakes.
            var next = await HandshakeEchoAndCloseAsync(serverOptions, clientOptions, i % 2 == 0 ? session : null);
            resumed += next.Resumed ? 1 : 0;
            session = next.Session ?? session;
        }
        long after = SecretMemory.OutstandingBlocks;

        Assert.Equal(Repetitions / 2, resumed);
        Assert.Equal(before, after);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Handshakes_that_fail_halfway_return_every_block(bool tls13)
    {
        var serverOptions = PooledServerOptions(tls13, ticketKeys: null);
        await AbandonAfterServerFlightAsync(serverOptions, tls13); // warm-up, as above

        long before = SecretMemory.OutstandingBlocks;
        for (int i = 0; i < Repetitions; i++)
            await AbandonAfterServerFlightAsync(serverOptions, tls13);
        Assert.Equal(before, SecretMemory.OutstandingBlocks);
    }

    private static TlsServerOptions PooledServerOptions(bool tls13, TicketKeyRing? ticketKeys)
    {
        var test = TestCredentials.Options(enableTls13: tls13);
        return new TlsServerOptions
        {
            EnableTls13 = tls13,
            Certificates = test.Certificates,
            KeyExchange = KeyExchangeProviders.Default,   // native X25519 where the library is built
            RecordCrypto = ManagedAeadProvider.Default,   // Brisk's own AES-GCM / ChaCha20-Poly1305
            TicketKeys = ticketKeys,
        };
    }

    private static async Task<TlsClientConnection> HandshakeEchoAndCloseAsync(TlsServerOptions serverOptions, TlsClientOptions clientOptions, TlsClientSession? resume)
    {
        await using var server = InMemoryTlsServer.Start(serverOptions);
        var client = new TlsClientConnection(clientOptions, resume);
        try
        {
            var pipe = new TlsClientPipe(client, new Duplex(server.FromServer, server.ToServer));
            using var timeout = new CancellationTokenSource(InMemoryTlsServer.Guard);
            await pipe.HandshakeAsync(timeout.Token);
            Assert.True(await server.HandshakeResultAsync());
            server.StartEcho();
            await pipe.WriteAsync("ping"u8, timeout.Token);
            var received = new ArrayBufferWriter<byte>();
            while (received.WrittenCount < 4 && await pipe.ReadOnceAsync(received, timeout.Token)) { }
            await pipe.CloseAsync();
            while (await pipe.ReadOnceAsync(received, timeout.Token)) { }
            Assert.Equal("ping"u8.ToArray(), received.WrittenSpan[..4].ToArray());
        }
        finally
        {
            client.Dispose();
        }
        return client;
    }

    /// <summary>The client sends its ClientHello, reads the server's first flight and goes away.</summary>
    private static async Task AbandonAfterServerFlightAsync(TlsServerOptions serverOptions, bool tls13)
    {
        await using var server = InMemoryTlsServer.Start(serverOptions);
        using var client = new TlsClientConnection(new TlsClientOptions { EnableTls12 = !tls13, EnableTls13 = tls13 });
        var output = new ArrayBufferWriter<byte>();
        client.Start(output);
        using var timeout = new CancellationTokenSource(InMemoryTlsServer.Guard);
        await server.ToServer.WriteAsync(output.WrittenMemory, timeout.Token);
        var flight = await server.FromServer.ReadAsync(timeout.Token);
        Assert.True(flight.Buffer.Length > 0);
        server.FromServer.AdvanceTo(flight.Buffer.End);
        await server.ToServer.CompleteAsync(); // the peer is gone mid-handshake
        Assert.False(await server.HandshakeResultAsync());
    }
}
