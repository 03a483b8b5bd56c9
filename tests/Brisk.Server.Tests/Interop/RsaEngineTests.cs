using System.Net.Security;
using System.Security.Authentication;
using Brisk.Crypto.Rsa;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>
/// Every RSA engine behind real handshakes: TLS 1.2 RSA key exchange (decryption), ECDHE-RSA (PKCS#1 v1.5
/// signature) and TLS 1.3 (RSA-PSS), from OpenSSL, plus a burst of concurrent handshakes so the batching
/// engines really batch (their operation counters must move).
/// </summary>
public sealed class RsaEngineTests
{
    private static readonly Lazy<string> FiatFamily = new(() =>
    {
        var directory = Directory.CreateTempSubdirectory("brisk-fiat-").FullName;
        Assert.Equal(0, KeyGenerator.Run(["--batch", "4", "--bits", "2048", "--out", directory]));
        return directory;
    });

    private static void Configure(BriskServerOptions options, string engine)
    {
        options.RsaEngine = engine;
        // Every queued operation goes through the engine's lanes (no single-request fallback to system),
        // and a short wait lets a burst fill them: the batch path is what gets tested.
        options.RsaBatchMinimum = 1;
        options.RsaBatchWait = "20ms";
        if (engine == "fiat")
        {
            options.Certificates = Enumerable.Range(0, 4)
                .Select(i => new CertificateFiles { Cert = Path.Combine(FiatFamily.Value, $"fiat-{i}.crt"), Key = Path.Combine(FiatFamily.Value, $"fiat-{i}.key") })
                .ToList();
        }
        else
        {
            options.Certificates = [new() { Cert = TestCertificates.Instance.ServerRsaCert, Key = TestCertificates.Instance.ServerRsaKey }];
        }
    }

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var engine in new[] { "system", "multibuffer", "native", "fiat" })
        {
            data.Add(engine, "-tls1_2", "AES128-GCM-SHA256");
            data.Add(engine, "-tls1_2", "ECDHE-RSA-AES256-GCM-SHA384");
            data.Add(engine, "-tls1_3", "");
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task OpenSsl_handshake_with_engine(string engine, string version, string cipher)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => Configure(o, engine));
        List<string> arguments = [version];
        if (cipher.Length > 0)
            arguments.AddRange(["-cipher", cipher]);
        var result = await OpenSslClient.RunAsync(server, [.. arguments]);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1."), result.ToString());
    }

    [Theory]
    [InlineData("multibuffer")]
    [InlineData("native")]
    [InlineData("fiat")]
    public async Task Concurrent_handshakes_are_batched(string engine)
    {
        await using var server = await ServerFixture.StartAsync(o => Configure(o, engine));
        long before = RsaMetrics.OperationsOf(engine);
        long faultsBefore = RsaMetrics.VerificationFailures;
        var handshakes = Enumerable.Range(0, 24).Select(async i =>
        {
            await using var ssl = await SslStreamTests.ConnectAsync(server, protocols: i % 2 == 0 ? SslProtocols.Tls13 : SslProtocols.Tls12);
            await ssl.WriteAsync("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray());
            var response = await SslStreamTests.ReadHttpResponseAsync(ssl);
            Assert.Contains("brisk TLSv1.", response);
        });
        await Task.WhenAll(handshakes);
        Assert.True(RsaMetrics.OperationsOf(engine) > before, $"the {engine} engine computed nothing");
        Assert.Equal(faultsBefore, RsaMetrics.VerificationFailures);
    }
}
