using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Tls.Codec;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;

namespace Brisk.Server.Tests.BadInput;

/// <summary>
/// Misbehaving peers over real loopback sockets against the in-process server: a stalled handshake, a
/// reset mid-flight, and a crowd of garbage connections, each while a normal .NET SslStream client
/// completes its handshake and exchanges data. No test asserts a duration; timeouts are failure guards.
/// </summary>
public sealed class SocketBadInputTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60);

    private static Task<ServerFixture> StartAsync(string handshakeTimeout = "10s") => ServerFixture.StartAsync(options =>
    {
        options.Responder = "echo";
        options.HandshakeTimeout = handshakeTimeout;
    });

    /// <summary>A normal TLS 1.2 client (SslStream) that must complete and get its bytes echoed.</summary>
    private static async Task AssertNormalClientWorksAsync(ServerFixture server)
    {
        var trusted = new[] { TestCertificates.Instance.ServerRsaCert, TestCertificates.Instance.ServerEcdsaCert }
            .Select(path => X509Certificate2.CreateFromPem(File.ReadAllText(path)).RawData).ToList();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port).WaitAsync(Guard);
        await using var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = SslProtocols.Tls12,
            // Accept exactly the test certificates (self-signed), nothing else.
            RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && trusted.Any(raw => raw.AsSpan().SequenceEqual(certificate.GetRawCertData())),
        }).WaitAsync(Guard);
        Assert.Equal(SslProtocols.Tls12, ssl.SslProtocol);

        var message = RandomNumberGenerator.GetBytes(3000);
        await ssl.WriteAsync(message).AsTask().WaitAsync(Guard);
        var echoed = new byte[message.Length];
        await ssl.ReadExactlyAsync(echoed).AsTask().WaitAsync(Guard);
        Assert.Equal(message, echoed);
    }

    private static byte[] ClientHelloRecord()
    {
        var hello = new ClientHello
        {
            Random = RandomNumberGenerator.GetBytes(32),
            CipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256],
            SupportedGroups = [0x001D, 0x0017],
            SignatureAlgorithms = [SignatureScheme.RsaPssRsaeSha256, SignatureScheme.EcdsaSecp256r1Sha256],
            ServerName = "localhost",
        };
        using var writer = new TlsWriter();
        hello.Write(writer);
        var message = writer.ToArray();
        return [0x16, 0x03, 0x01, (byte)(message.Length >> 8), (byte)message.Length, .. message];
    }

    private static async Task<Socket> ConnectRawAsync(ServerFixture server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(IPAddress.Loopback, server.Port).WaitAsync(Guard);
        return socket;
    }

    /// <summary>Reads until the server closes (EOF or reset); returns what it sent before.</summary>
    private static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        var received = new List<byte>();
        var buffer = new byte[4096];
        using var guard = new CancellationTokenSource(Guard);
        try
        {
            while (true)
            {
                int n = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
                if (n == 0)
                    break;
                received.AddRange(buffer.AsSpan(0, n));
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
        {
            // A reset is also a disconnect.
        }
        return [.. received];
    }

    [Fact]
    public async Task Stalled_handshake_is_disconnected_after_the_timeout_while_another_client_completes()
    {
        await using var server = await StartAsync(handshakeTimeout: "2s");
        await AssertNormalClientWorksAsync(server); // warm-up: the first handshake pays for JIT

        using var stalled = await ConnectRawAsync(server);
        var hello = ClientHelloRecord();
        await stalled.SendAsync(hello.AsMemory(0, hello.Length / 2));

        // Opened while the other one stalls: completes normally.
        await AssertNormalClientWorksAsync(server);

        // The stalled one gets nothing (no alert on a timeout) and is closed by the server.
        var received = await ReadUntilClosedAsync(stalled);
        Assert.Empty(received);
    }

    [Fact]
    public async Task Silent_client_is_disconnected_after_the_timeout()
    {
        await using var server = await StartAsync(handshakeTimeout: "1s");
        using var silent = await ConnectRawAsync(server);
        Assert.Empty(await ReadUntilClosedAsync(silent));
        await AssertNormalClientWorksAsync(server);
    }

    [Fact]
    public async Task Peer_reset_mid_flight_leaves_the_server_serving_others()
    {
        await using var server = await StartAsync();
        for (int i = 0; i < 5; i++)
        {
            var socket = await ConnectRawAsync(server);
            socket.LingerState = new LingerOption(true, 0); // Close() sends RST instead of FIN
            var hello = ClientHelloRecord();
            await socket.SendAsync(hello.AsMemory(0, hello.Length / 2));
            socket.Close();
        }
        // And one reset after the server answered (its flight unread in our receive buffer).
        var late = await ConnectRawAsync(server);
        late.LingerState = new LingerOption(true, 0);
        await late.SendAsync(ClientHelloRecord());
        var first = new byte[5];
        Assert.Equal(5, await late.ReceiveAsync(first, SocketFlags.None).WaitAsync(Guard));
        Assert.Equal(0x16, first[0]);
        late.Close();

        await AssertNormalClientWorksAsync(server);
        await WaitForNoActiveConnectionsAsync(server);
    }

    [Fact]
    public async Task Two_hundred_concurrent_garbage_connections_do_not_break_a_normal_handshake()
    {
        await using var server = await StartAsync();
        var garbage = new[]
        {
            Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),   // unexpected_message
            [0x16, 0x03, 0x03, 0xFF, 0xFF],                                         // record_overflow
            [0x80, 0x2e, 0x01, 0x03, 0x01, 0x00, 0x15],                             // SSLv2 hello: unexpected_message
            [0x16, 0x03, 0x03, 0x00, 0x04, 0x0b, 0x00, 0x00, 0x00],                 // Certificate first: unexpected_message
        };
        var expectedAlerts = new byte[] { 10, 22, 10, 10 };

        var crowd = Enumerable.Range(0, 200).Select(async i =>
        {
            using var socket = await ConnectRawAsync(server);
            await socket.SendAsync(garbage[i % garbage.Length]);
            var received = await ReadUntilClosedAsync(socket);
            // Each gets exactly one plaintext fatal alert, then the connection ends.
            Assert.Equal(Convert.ToHexString([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, expectedAlerts[i % garbage.Length]]), Convert.ToHexString(received));
        }).ToList();
        var normal = AssertNormalClientWorksAsync(server);

        await normal;
        await Task.WhenAll(crowd).WaitAsync(Guard);
        await AssertNormalClientWorksAsync(server);
        await WaitForNoActiveConnectionsAsync(server);
    }

    /// <summary>Every connection above ended: the server holds none (a failure guard, not a timing claim).</summary>
    private static async Task WaitForNoActiveConnectionsAsync(ServerFixture server)
    {
        using var guard = new CancellationTokenSource(Guard);
        while (server.Server.ActiveConnections > 0)
            await Task.Delay(20, guard.Token);
    }
}
