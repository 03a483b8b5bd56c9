using System.Net;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Operations;

/// <summary>The access log: one JSON line per connection with what the clients themselves know about it.</summary>
public sealed class AccessLogTests
{
    [Fact]
    public async Task One_line_per_connection_with_address_sni_alpn_suite_certificate_bytes_and_close()
    {
        var pki = TestCertificates.Instance;
        string log = Path.Combine(Path.GetTempPath(), $"brisk-access-{Guid.NewGuid():N}.log");
        try
        {
            IPEndPoint authenticatedClient, plainClient, silentClient;
            long authenticatedIn, authenticatedOut, plainIn, plainOut;
            await using (var server = await ServerFixture.StartAsync(o =>
            {
                o.ClientAuth = "optional";
                o.ClientCa = pki.ClientCa;
                o.AccessLog = log;
                o.Tickets = "off";
            }))
            {
                var endpoint = new IPEndPoint(IPAddress.Loopback, server.Port);
                using var pem = X509Certificate2.CreateFromPemFile(pki.ClientRsaCert, pki.ClientRsaKey);
                using var certificate = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);

                var authenticated = await TlsTestClient.ConnectAsync(endpoint);
                await authenticated.HandshakeAsync(SslProtocols.Tls13, serverName: "localhost", clientCertificate: certificate);
                Assert.Contains("client: CN=client-rsa", await authenticated.RequestAndReadToEndAsync());
                authenticatedClient = authenticated.LocalEndPoint;
                await authenticated.DisposeAsync();
                (authenticatedIn, authenticatedOut) = (authenticated.Wire.BytesWritten, authenticated.Wire.BytesRead);

                var plain = await TlsTestClient.ConnectAsync(endpoint, from: IPAddress.Parse("127.0.0.2"));
                await plain.HandshakeAsync(SslProtocols.Tls12, [System.Net.Security.TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256], serverName: null);
                Assert.StartsWith("HTTP/1.1 200 OK", await plain.RequestAndReadToEndAsync());
                plainClient = plain.LocalEndPoint;
                await plain.DisposeAsync();
                (plainIn, plainOut) = (plain.Wire.BytesWritten, plain.Wire.BytesRead);

                using (var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
                {
                    await silent.ConnectAsync(endpoint);
                    silentClient = (IPEndPoint)silent.LocalEndPoint!;
                }
                await MeterRecorder.EventuallyAsync(() => server.Server.ActiveConnections == 0, "all connections closed");
            } // stopping the server flushes the log

            var lines = File.ReadAllLines(log);
            Assert.Equal(3, lines.Length);
            var entries = lines.Select(l => JsonDocument.Parse(l).RootElement).ToList();
            JsonElement For(IPEndPoint client) => Assert.Single(entries, e => e.GetProperty("client_port").GetInt32() == client.Port);

            var first = For(authenticatedClient);
            Assert.Equal("127.0.0.1", first.GetProperty("client").GetString());
            Assert.Equal("localhost", first.GetProperty("sni").GetString());
            Assert.Equal("http/1.1", first.GetProperty("alpn").GetString());
            Assert.Equal("TLSv1.3", first.GetProperty("version").GetString());
            Assert.StartsWith("TLS_", first.GetProperty("suite").GetString());
            Assert.False(first.GetProperty("resumed").GetBoolean());
            Assert.Equal("CN=client-rsa, O=Brisk Tests", first.GetProperty("client_cert").GetString());
            Assert.Equal(authenticatedIn, first.GetProperty("bytes_in").GetInt64());
            Assert.Equal(authenticatedOut, first.GetProperty("bytes_out").GetInt64());
            Assert.Equal("ok", first.GetProperty("handshake").GetString());
            Assert.True(first.GetProperty("duration_ms").GetDouble() > 0);

            var second = For(plainClient);
            Assert.Equal("127.0.0.2", second.GetProperty("client").GetString());
            Assert.Equal(JsonValueKind.Null, second.GetProperty("sni").ValueKind);
            Assert.Equal("TLSv1.2", second.GetProperty("version").GetString());
            Assert.Equal("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", second.GetProperty("suite").GetString());
            Assert.Equal(JsonValueKind.Null, second.GetProperty("client_cert").ValueKind);
            Assert.Equal(plainIn, second.GetProperty("bytes_in").GetInt64());
            Assert.Equal(plainOut, second.GetProperty("bytes_out").GetInt64());

            var third = For(silentClient);
            Assert.Equal("none", third.GetProperty("version").GetString());
            Assert.Equal("closed", third.GetProperty("handshake").GetString());
            Assert.Equal("peer_closed", third.GetProperty("close").GetString());
            Assert.Equal(0, third.GetProperty("bytes_in").GetInt64());
        }
        finally
        {
            File.Delete(log);
        }
    }

    [Fact]
    public async Task A_rotated_file_is_reopened_at_its_path()
    {
        string log = Path.Combine(Path.GetTempPath(), $"brisk-rotate-{Guid.NewGuid():N}.log");
        string rotated = log + ".1";
        try
        {
            await using (var server = await ServerFixture.StartAsync(o => o.AccessLog = log))
            {
                var endpoint = new IPEndPoint(IPAddress.Loopback, server.Port);
                async Task OneConnectionAsync(int expectedLines)
                {
                    await using (var client = await TlsTestClient.ConnectAndHandshakeAsync(endpoint, SslProtocols.Tls13))
                        await client.RequestAndReadToEndAsync();
                    await MeterRecorder.EventuallyAsync(() => File.Exists(log) && File.ReadAllLines(log).Length == expectedLines, $"{expectedLines} line(s) in the log");
                }
                await OneConnectionAsync(1);
                File.Move(log, rotated); // logrotate's default: move away, then the server's next write starts a new file
                await OneConnectionAsync(1);
                File.WriteAllText(log, ""); // copytruncate: the file stays, emptied
                await OneConnectionAsync(1);
            }
            Assert.Single(File.ReadAllLines(rotated));
            var line = Assert.Single(File.ReadAllLines(log));
            Assert.StartsWith("{", line); // no hole of zero bytes in front of it
        }
        finally
        {
            File.Delete(log);
            File.Delete(rotated);
        }
    }
}
