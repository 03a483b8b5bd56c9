using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>TLS 1.2 against curl (OpenSSL backend, HTTP client) and GnuTLS (a second, unrelated TLS stack).</summary>
public sealed class CurlAndGnuTlsTests
{
    [Theory]
    [InlineData("ECDHE-ECDSA-AES128-GCM-SHA256", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")]
    [InlineData("ECDHE-RSA-CHACHA20-POLY1305", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")]
    [InlineData("AES256-GCM-SHA384", "TLS_RSA_WITH_AES_256_GCM_SHA384")]
    public async Task Curl_fetches_over_tls12(string curlCipher, string expectedSuite)
    {
        if (!ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await ExternalTool.RunAsync("curl",
            ["-sS", "--tlsv1.2", "--tls-max", "1.2", "--ciphers", curlCipher, "--cacert", TestCertificates.Instance.ServerRsaCert,
             "-k", "--http1.1", $"https://localhost:{server.Port}/", "--resolve", $"localhost:{server.Port}:127.0.0.1"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"brisk TLSv1.2 {expectedSuite}", result.StandardOutput.Trim());
    }

    [Fact]
    public async Task Curl_verifies_the_certificate_chain()
    {
        if (!ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Certificates =
            [new() { Cert = TestCertificates.Instance.ServerRsaCert, Key = TestCertificates.Instance.ServerRsaKey }]);
        // No -k: curl checks the chain against the given CA file and the name.
        var result = await ExternalTool.RunAsync("curl",
            ["-sS", "--tlsv1.2", "--tls-max", "1.2", "--cacert", TestCertificates.Instance.ServerRsaCert,
             $"https://localhost:{server.Port}/", "--resolve", $"localhost:{server.Port}:127.0.0.1", "-w", "\n%{http_code}"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.EndsWith("200", result.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CURVE-ALL:+CURVE-X25519", "ECDHE-X25519", "RSA")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-ECDSA:-CURVE-ALL:+CURVE-SECP256R1", "ECDHE-SECP256R1", "ECDSA")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+ECDHE-RSA:-CURVE-ALL:+CURVE-SECP384R1:-CIPHER-ALL:+CHACHA20-POLY1305", "ECDHE-SECP384R1", "CHACHA20-POLY1305")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2:-KX-ALL:+RSA:-CIPHER-ALL:+AES-256-GCM", "(RSA)", "AES-256-GCM")]
    public async Task GnuTls_completes_tls12(string priority, string expectedKeyExchange, string expectedPart)
    {
        if (!ExternalTool.Require("gnutls-cli"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await ExternalTool.RunAsync("gnutls-cli",
            ["--insecure", "--port", server.Port.ToString(), "--priority", priority, "127.0.0.1"],
            OpenSslClient.HttpRequest);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.2"), result.ToString());
        Assert.Contains(expectedKeyExchange, result.StandardOutput);
        Assert.Contains(expectedPart, result.StandardOutput);
    }

    [Fact]
    public async Task GnuTls_client_certificate()
    {
        if (!ExternalTool.Require("gnutls-cli"))
            return;
        var pki = TestCertificates.Instance;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.ClientAuth = "require";
            o.ClientCa = pki.ClientCa;
        });
        var result = await ExternalTool.RunAsync("gnutls-cli",
            ["--insecure", "--port", server.Port.ToString(), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2",
             "--x509certfile", pki.ClientEcdsaCert, "--x509keyfile", pki.ClientEcdsaKey, "127.0.0.1"],
            OpenSslClient.HttpRequest);
        Assert.True(result.StandardOutput.Contains("client: CN=client-ecdsa"), result.ToString());
    }
}
