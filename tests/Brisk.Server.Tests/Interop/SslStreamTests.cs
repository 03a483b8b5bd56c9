using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>.NET's SslStream (OpenSSL underneath, but .NET's own handshake driving) as a client.</summary>
public sealed class SslStreamTests
{
    internal static async Task<SslStream> ConnectAsync(ServerFixture server, X509Certificate2? clientCertificate = null, TlsCipherSuite[]? suites = null, SslProtocols protocols = SslProtocols.Tls12)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.Port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        };
        if (suites is not null)
            options.CipherSuitesPolicy = new CipherSuitesPolicy(suites);
        if (clientCertificate is not null)
            options.ClientCertificates = [clientCertificate];
        await ssl.AuthenticateAsClientAsync(options);
        return ssl;
    }

    [Theory]
    [InlineData(TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, SslProtocols.Tls12)]
    [InlineData(TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, SslProtocols.Tls12)]
    [InlineData(TlsCipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256, SslProtocols.Tls12)]
    [InlineData(TlsCipherSuite.TLS_AES_128_GCM_SHA256, SslProtocols.Tls13)]
    [InlineData(TlsCipherSuite.TLS_AES_256_GCM_SHA384, SslProtocols.Tls13)]
    [InlineData(TlsCipherSuite.TLS_CHACHA20_POLY1305_SHA256, SslProtocols.Tls13)]
    public async Task Http_request_with_keep_alive(TlsCipherSuite suite, SslProtocols protocol)
    {
        await using var server = await ServerFixture.StartAsync();
        await using var ssl = await ConnectAsync(server, suites: [suite], protocols: protocol);
        string version = protocol == SslProtocols.Tls13 ? "TLSv1.3" : "TLSv1.2";
        Assert.Equal(suite, ssl.NegotiatedCipherSuite);
        Assert.Equal(SslApplicationProtocol.Http11, ssl.NegotiatedApplicationProtocol);
        for (int i = 0; i < 3; i++)
        {
            await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
            var response = await ReadHttpResponseAsync(ssl);
            Assert.StartsWith("HTTP/1.1 200 OK", response);
            Assert.EndsWith($"brisk {version} {suite}\n", response);
        }
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Echo_moves_a_megabyte_both_ways_across_many_records(SslProtocols protocol)
    {
        await using var server = await ServerFixture.StartAsync(o => o.Responder = "echo");
        await using var ssl = await ConnectAsync(server, protocols: protocol);
        // Odd write sizes so records do not line up with anything.
        await EchoRoundTripAsync(ssl, 1 << 20, writeSize: 7777);
    }

    /// <summary>
    /// Writes <paramref name="size"/> random bytes in <paramref name="writeSize"/> pieces while reading the echo
    /// concurrently, and checks every byte came back in order.
    /// </summary>
    internal static async Task EchoRoundTripAsync(SslStream ssl, int size, int writeSize)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        var send = Task.Run(async () =>
        {
            for (int offset = 0; offset < data.Length; offset += writeSize)
                await ssl.WriteAsync(data.AsMemory(offset, Math.Min(writeSize, data.Length - offset)));
        });
        var received = new byte[data.Length];
        int total = 0;
        while (total < received.Length)
        {
            int n = await ssl.ReadAsync(received.AsMemory(total));
            Assert.NotEqual(0, n);
            total += n;
        }
        await send;
        Assert.Equal(data, received);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Client_certificate_is_verified(SslProtocols protocol)
    {
        var pki = TestCertificates.Instance;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.ClientAuth = "require";
            o.ClientCa = pki.ClientCa;
        });
        using var clientCertificate = X509Certificate2.CreateFromPemFile(pki.ClientRsaCert, pki.ClientRsaKey);
        // Round-trip through PKCS#12 so the private key is usable by SslStream on Linux.
        using var usable = X509CertificateLoader.LoadPkcs12(clientCertificate.Export(X509ContentType.Pkcs12), null);
        await using var ssl = await ConnectAsync(server, usable, protocols: protocol);
        await ssl.WriteAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        var response = await ReadHttpResponseAsync(ssl);
        Assert.Contains("client: CN=client-rsa, O=Brisk Tests", response);
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Close_notify_from_client_ends_the_connection_cleanly(SslProtocols protocol)
    {
        await using var server = await ServerFixture.StartAsync(o => o.Responder = "echo");
        await using var ssl = await ConnectAsync(server, protocols: protocol);
        await ssl.WriteAsync("ping"u8.ToArray());
        var buffer = new byte[4];
        await ssl.ReadExactlyAsync(buffer);
        await ssl.ShutdownAsync(); // close_notify
        // The server answers with its own close_notify and EOF: a read returns 0.
        Assert.Equal(0, await ssl.ReadAsync(new byte[16]));
    }

    internal static async Task<string> ReadHttpResponseAsync(Stream stream)
    {
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            int n = await stream.ReadAsync(buffer);
            if (n == 0)
                break;
            text.Append(Encoding.UTF8.GetString(buffer, 0, n));
            var s = text.ToString();
            int headerEnd = s.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (headerEnd < 0)
                continue;
            var lengthLine = s[..headerEnd].Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
            int length = lengthLine is null ? 0 : int.Parse(lengthLine.Split(':')[1].Trim());
            if (Encoding.UTF8.GetByteCount(s) >= Encoding.UTF8.GetByteCount(s[..(headerEnd + 4)]) + length)
                return s;
        }
        return text.ToString();
    }
}
