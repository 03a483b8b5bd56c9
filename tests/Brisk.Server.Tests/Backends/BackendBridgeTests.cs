using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Brisk.Server.ProxyProtocol;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Server.Tests.Interop;

namespace Brisk.Server.Tests.Backends;

/// <summary>
/// The forwarding path against in-process backends whose behaviour the test controls exactly: half-close
/// with a large answer sent only after the backend saw EOF, resets in both directions, and the PROXY v2 TLVs
/// as they arrive on the backend's socket.
/// </summary>
public sealed class BackendBridgeTests
{
    /// <summary>A one-connection TCP backend on a free loopback port, running <paramref name="handler"/> on the accepted socket.</summary>
    private sealed class FakeBackend : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly Task _run;

        public FakeBackend(Func<Socket, Task> handler)
        {
            _listener.Start();
            _run = Task.Run(async () =>
            {
                using var socket = await _listener.AcceptSocketAsync();
                await handler(socket);
            });
        }

        public string Url => $"tcp://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

        /// <summary>The handler's outcome (its exceptions surface here), bounded so a hang fails the test.</summary>
        public Task Completion => _run.WaitAsync(TimeSpan.FromSeconds(30));

        public async ValueTask DisposeAsync()
        {
            _listener.Stop();
            try { await _run.WaitAsync(TimeSpan.FromSeconds(5)); } catch { /* reported through Completion */ }
        }
    }

    private static async Task<long> ReceiveUntilEofAsync(Socket socket, IncrementalHash? hash = null)
    {
        var buffer = new byte[64 * 1024];
        long total = 0;
        int read;
        while ((read = await socket.ReceiveAsync(buffer)) > 0)
        {
            hash?.AppendData(buffer, 0, read);
            total += read;
        }
        return total;
    }

    [Theory]
    [InlineData("close_notify", SslProtocols.Tls13)]
    [InlineData("close_notify", SslProtocols.Tls12)]
    [InlineData("fin", SslProtocols.Tls13)]
    public async Task Half_close_both_ways_with_megabytes_in_each_direction(string how, SslProtocols protocol)
    {
        byte[] upload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024 + 17);
        byte[] answer = RandomNumberGenerator.GetBytes(10 * 1024 * 1024 + 5);
        byte[]? uploadSeen = null;
        // Like `nc`: read everything until the client's EOF, only then answer, then close (FIN).
        await using var backend = new FakeBackend(async socket =>
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long received = await ReceiveUntilEofAsync(socket, hash);
            Assert.Equal(upload.Length, received);
            uploadSeen = hash.GetHashAndReset();
            await socket.SendAsync(answer);
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [backend.Url]);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = await TlsClient.AuthenticateAsync(tcp, protocols: protocol);
        await ssl.WriteAsync(upload);
        await ssl.FlushAsync();
        if (how == "close_notify")
            await ssl.ShutdownAsync();
        else
            tcp.Client.Shutdown(SocketShutdown.Send);
        // The backend's FIN arrives as close_notify: a clean end, after every byte.
        byte[] received = await TlsClient.ReadToEndAsync(ssl);
        await backend.Completion;
        Assert.Equal(SHA256.HashData(upload), uploadSeen);
        Assert.Equal(answer.Length, received.Length);
        Assert.Equal(SHA256.HashData(answer), SHA256.HashData(received));
    }

    [Fact]
    public async Task A_client_that_does_not_read_stops_the_backend()
    {
        // Far more than the kernel's socket buffers and Brisk's pipes together hold.
        byte[] answer = RandomNumberGenerator.GetBytes(48 * 1024 * 1024);
        long sent = 0;
        await using var backend = new FakeBackend(async socket =>
        {
            for (int offset = 0; offset < answer.Length; offset += 64 * 1024)
            {
                await socket.SendAsync(answer.AsMemory(offset, 64 * 1024));
                Interlocked.Add(ref sent, 64 * 1024);
            }
            socket.Shutdown(SocketShutdown.Send);
        });
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [backend.Url]);
        using var tcp = new TcpClient();
        tcp.ReceiveBufferSize = 64 * 1024;
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = await TlsClient.AuthenticateAsync(tcp);

        // Read nothing until the backend's progress stalls: with backpressure it cannot send everything.
        long previous = -1;
        while (Interlocked.Read(ref sent) != previous)
        {
            previous = Interlocked.Read(ref sent);
            await Task.Delay(1000);
        }
        Assert.True(previous < answer.Length, $"the backend sent all {previous} bytes to a client that read nothing");

        // Then everything arrives, intact.
        byte[] received = await TlsClient.ReadToEndAsync(ssl);
        await backend.Completion;
        Assert.Equal(SHA256.HashData(answer), SHA256.HashData(received));
    }

    [Fact]
    public async Task Backend_reset_resets_the_client_connection()
    {
        var requestSeen = new TaskCompletionSource();
        await using var backend = new FakeBackend(async socket =>
        {
            var buffer = new byte[64];
            await socket.ReceiveAsync(buffer);
            await socket.SendAsync("partial answer"u8.ToArray());
            requestSeen.SetResult();
            await Task.Delay(200);
            socket.LingerState = new LingerOption(true, 0);
            socket.Close(); // RST
        });
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [backend.Url]);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        await using var ssl = await TlsClient.AuthenticateAsync(tcp);
        await ssl.WriteAsync("request"u8.ToArray());
        await requestSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        // Not a clean end (which would be close_notify and a read of 0): the client sees the connection fail.
        var buffer = new byte[64];
        int first = await ssl.ReadAsync(buffer);
        Assert.Equal("partial answer", Encoding.ASCII.GetString(buffer, 0, first));
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await ssl.ReadAsync(buffer, timeout.Token) > 0) { }
        });
    }

    [Fact]
    public async Task Client_reset_resets_the_backend_connection()
    {
        var dataSeen = new TaskCompletionSource();
        await using var backend = new FakeBackend(async socket =>
        {
            var buffer = new byte[64];
            int read = await socket.ReceiveAsync(buffer);
            Assert.Equal("hello", Encoding.ASCII.GetString(buffer, 0, read));
            dataSeen.SetResult();
            // A clean end would be a 0-byte read; a reset is an error.
            var error = await Assert.ThrowsAsync<SocketException>(async () => await socket.ReceiveAsync(buffer));
            Assert.Equal(SocketError.ConnectionReset, error.SocketErrorCode);
        });
        await using var server = await ServerFixture.StartAsync(o => o.Backend = [backend.Url]);
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var ssl = await TlsClient.AuthenticateAsync(tcp);
        await ssl.WriteAsync("hello"u8.ToArray());
        await ssl.FlushAsync();
        await dataSeen.Task.WaitAsync(TimeSpan.FromSeconds(30));
        tcp.Client.LingerState = new LingerOption(true, 0);
        tcp.Client.Close(); // RST
        await backend.Completion;
        ssl.Dispose();
        tcp.Dispose();
    }

    [Theory]
    [InlineData(SslProtocols.Tls13, false)]
    [InlineData(SslProtocols.Tls12, true)]
    [InlineData(SslProtocols.Tls13, true)]
    public async Task Proxy_v2_header_carries_addresses_and_tls_tlvs(SslProtocols protocol, bool clientCertificate)
    {
        var pki = TestCertificates.Instance;
        var headerBytes = new TaskCompletionSource<byte[]>();
        await using var backend = new FakeBackend(async socket =>
        {
            var buffer = new byte[4096];
            int total = 0;
            // The header, then the client's "ping".
            while (!buffer.AsSpan(0, total).EndsWith("ping"u8))
                total += await socket.ReceiveAsync(buffer.AsMemory(total));
            headerBytes.SetResult(buffer[..(total - 4)]);
            await socket.SendAsync("pong"u8.ToArray());
            socket.Shutdown(SocketShutdown.Send);
            await ReceiveUntilEofAsync(socket);
        });
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Backend = [backend.Url];
            o.ProxyProtocol = "v2";
            o.Alpn = "http/1.1";
            if (clientCertificate)
            {
                o.ClientAuth = "optional";
                o.ClientCa = pki.ClientCa;
            }
        });
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, server.Port);
        var clientEndpoint = (IPEndPoint)tcp.Client.LocalEndPoint!;
        using var certificate = clientCertificate ? X509Certificate2.CreateFromPemFile(pki.ClientRsaCert, pki.ClientRsaKey) : null;
        await using var ssl = await TlsClient.AuthenticateAsync(tcp, protocols: protocol, clientCertificate: certificate, alpn: [SslApplicationProtocol.Http11]);
        await ssl.WriteAsync("ping"u8.ToArray());
        Assert.Equal("pong", Encoding.ASCII.GetString(await TlsClient.ReadToEndAsync(ssl)));
        byte[] header = await headerBytes.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Fixed part checked byte by byte against the specification.
        Assert.Equal(Convert.FromHexString("0D0A0D0A000D0A515549540A2111"), header[..14]);
        Assert.Equal(header.Length - 16, header[14] << 8 | header[15]);
        Assert.Equal(new byte[] { 127, 0, 0, 1, 127, 0, 0, 1 }, header[16..24]);
        Assert.Equal(clientEndpoint.Port, header[24] << 8 | header[25]);
        Assert.Equal(server.Port, header[26] << 8 | header[27]);

        // The whole header parses, its PP2_TYPE_CRC32C included (a wrong checksum would make it Invalid).
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderParser.TryParse(new ReadOnlySequence<byte>(header), out _, out var end, out var parseError));
        Assert.Null(parseError);
        Assert.Equal(header.Length, new ReadOnlySequence<byte>(header).Slice(0, end).Length);

        // TLVs compared with what the client itself negotiated.
        var tlvs = new Dictionary<byte, byte[]>();
        var reader = new ProxyTlvReader(new ReadOnlySequence<byte>(header[28..]));
        while (reader.TryRead(out var tlv, out bool malformed) || malformed)
        {
            Assert.False(malformed);
            tlvs[tlv.Type] = tlv.Value.ToArray();
        }
        Assert.Equal(4, tlvs[ProxyTlvType.Crc32c].Length);
        Assert.Equal("http/1.1", Encoding.ASCII.GetString(tlvs[ProxyTlvType.Alpn]));
        Assert.Equal("localhost", Encoding.ASCII.GetString(tlvs[ProxyTlvType.Authority]));
        byte[] ssl2 = tlvs[ProxyTlvType.Ssl];
        byte expectedFlags = clientCertificate ? (byte)(ProxyTlvType.ClientSsl | ProxyTlvType.ClientCertificateConnection | ProxyTlvType.ClientCertificateSession) : ProxyTlvType.ClientSsl;
        Assert.Equal(expectedFlags, ssl2[0]);
        Assert.Equal(clientCertificate, ssl2.AsSpan(1, 4).SequenceEqual(new byte[4]));
        var sub = new Dictionary<byte, string>();
        var subReader = new ProxyTlvReader(new ReadOnlySequence<byte>(ssl2[5..]));
        while (subReader.TryRead(out var tlv, out _))
            sub[tlv.Type] = Encoding.UTF8.GetString(tlv.Value.ToArray());
        Assert.Equal(protocol == SslProtocols.Tls13 ? "TLSv1.3" : "TLSv1.2", sub[ProxyTlvType.SslVersion]);
        string suite = ssl.NegotiatedCipherSuite.ToString();
        Assert.Equal(protocol == SslProtocols.Tls13 ? suite : OpenSslClient.SuiteNames[suite], sub[ProxyTlvType.SslCipher]);
        if (clientCertificate)
            Assert.Equal("client-rsa", sub[ProxyTlvType.SslCommonName]);
        else
            Assert.False(sub.ContainsKey(ProxyTlvType.SslCommonName));
    }
}
