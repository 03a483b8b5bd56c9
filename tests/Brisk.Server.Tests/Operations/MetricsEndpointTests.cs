using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Operations;

/// <summary>
/// The Prometheus endpoint of a real server process after a known run. A process of its own: meters are
/// process-wide (Brisk.Tls, Brisk.Crypto.Rsa), so only there do the counts belong to this run alone.
/// </summary>
public sealed class MetricsEndpointTests
{
    [Fact]
    public async Task Scrape_after_a_known_run_shows_its_exact_counts()
    {
        var pki = TestCertificates.Instance;
        int metricsPort = ServerProcess.FreePort();
        await using var server = await ServerProcess.StartAsync(
        [
            "--listen", "127.0.0.1:0",
            "--cert", pki.ServerEcdsaCert, "--key", pki.ServerEcdsaKey,
            "--cert", pki.ServerRsaCert, "--key", pki.ServerRsaKey,
            "--ciphers", "TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
            "--tickets", "off", "--session-cache-size", "0", // every handshake full
            "--metrics", $"127.0.0.1:{metricsPort}",
        ], new Dictionary<string, string> { ["BRISK_RsaBatchMinimum"] = "1" });

        long clientWrote = 0, clientRead = 0;
        async Task RunClientAsync(SslProtocols protocol, TlsCipherSuite suite)
        {
            await using var client = await TlsTestClient.ConnectAndHandshakeAsync(server.Listening, protocol, [suite]);
            Assert.StartsWith("HTTP/1.1 200 OK", await client.RequestAndReadToEndAsync());
            Interlocked.Add(ref clientWrote, client.Wire.BytesWritten);
            Interlocked.Add(ref clientRead, client.Wire.BytesRead);
        }
        for (int i = 0; i < 3; i++)
            await RunClientAsync(SslProtocols.Tls13, TlsCipherSuite.TLS_AES_128_GCM_SHA256);
        for (int i = 0; i < 2; i++)
            await RunClientAsync(SslProtocols.Tls12, TlsCipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256);

        // A client offering only a suite the server does not enable gets handshake_failure.
        await using (var refused = await TlsTestClient.ConnectAsync(server.Listening))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => refused.HandshakeAsync(SslProtocols.Tls12, [TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]));
        }

        using var http = new HttpClient();
        string text = "";
        await MeterRecorder.EventuallyAsync(() =>
        {
            text = http.GetStringAsync($"http://127.0.0.1:{metricsPort}/metrics").GetAwaiter().GetResult();
            return PrometheusText.Sum(text, "brisk_server_handshakes_total") == 6
                && PrometheusText.Sum(text, "brisk_server_active_connections") == 0
                && PrometheusText.Sum(text, "brisk_server_connections_total") == 6;
        }, "six handshakes counted and every connection closed");

        Assert.Equal(3, PrometheusText.Sum(text, "brisk_server_handshakes_total",
            ("version", "TLSv1.3"), ("suite", "TLS_AES_128_GCM_SHA256"), ("group", "x25519"), ("mode", "full"), ("result", "ok")));
        Assert.Equal(2, PrometheusText.Sum(text, "brisk_server_handshakes_total",
            ("version", "TLSv1.2"), ("suite", "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), ("group", "x25519"), ("mode", "full"), ("result", "ok")));
        Assert.Equal(1, PrometheusText.Sum(text, "brisk_server_handshakes_total", ("result", "handshake_failure")));
        Assert.Equal(0, PrometheusText.Sum(text, "brisk_server_handshakes_total", ("mode", "resumed")));

        Assert.Equal(3, PrometheusText.Sum(text, "brisk_server_handshake_duration_seconds_count", ("version", "TLSv1.3"), ("result", "ok")));
        Assert.Equal(2, PrometheusText.Sum(text, "brisk_server_handshake_duration_seconds_count", ("version", "TLSv1.2"), ("result", "ok")));
        Assert.Equal(1, PrometheusText.Sum(text, "brisk_server_handshake_duration_seconds_count", ("result", "failed")));

        Assert.Equal(1, PrometheusText.Sum(text, "brisk_tls_alerts_sent_total", ("alert", "handshake_failure")));
        // The server ends each of the five answered connections with close_notify.
        Assert.Equal(5, PrometheusText.Sum(text, "brisk_tls_alerts_sent_total", ("alert", "close_notify")));

        // Bytes as the clients saw them on the wire, for the five complete connections (plus the refused one's few).
        double sent = PrometheusText.Sum(text, "brisk_server_sent_bytes_total");
        double received = PrometheusText.Sum(text, "brisk_server_received_bytes_total");
        Assert.True(sent >= clientRead, $"sent {sent} < client read {clientRead}");
        Assert.True(received >= clientWrote, $"received {received} < client wrote {clientWrote}");
        Assert.True(sent - clientRead < 64 && received - clientWrote < 1024, $"sent {sent}/{clientRead} received {received}/{clientWrote}");

        // RSA: the two TLS 1.2 ECDHE_RSA handshakes signed with the RSA key (TLS 1.3 may have too); a batching
        // engine reports one batch and one queue wait per operation here (the handshakes ran one after another).
        double rsaOperations = PrometheusText.Sum(text, "brisk_rsa_operations_total");
        Assert.True(rsaOperations >= 2, $"rsa operations {rsaOperations}");
        if (!server.Lines.Any(l => l.Contains("rsa-engine system", StringComparison.Ordinal)))
        {
            Assert.Equal(rsaOperations, PrometheusText.Sum(text, "brisk_rsa_batch_size_count"));
            Assert.Equal(rsaOperations, PrometheusText.Sum(text, "brisk_rsa_queue_wait_microseconds_count"));
        }

        // The runtime's own meter is exported beside ours: allocations and collections explain a rate that moves.
        Assert.True(PrometheusText.Sum(text, "dotnet_gc_heap_total_allocated_bytes_total") > 0, "no dotnet_gc_heap_total_allocated_bytes_total");
        Assert.Contains("dotnet_gc_collections_total", text, StringComparison.Ordinal);

        server.SendSigterm();
        Assert.Equal(0, await server.WaitForExitAsync());
    }
}
