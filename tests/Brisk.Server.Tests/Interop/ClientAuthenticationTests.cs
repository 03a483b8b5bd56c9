using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>Client certificates (RFC 5246 §7.4.4, §7.4.6, §7.4.8) with OpenSSL's s_client as the client.</summary>
public sealed class ClientAuthenticationTests
{
    private static readonly TestCertificates Pki = TestCertificates.Instance;

    private static Task<ServerFixture> StartAsync(string mode) => ServerFixture.StartAsync(o =>
    {
        o.ClientAuth = mode;
        o.ClientCa = Pki.ClientCa;
    });

    [Theory]
    [InlineData("rsa", "ECDHE-RSA-AES128-GCM-SHA256")]
    [InlineData("ecdsa", "ECDHE-RSA-AES128-GCM-SHA256")]
    [InlineData("rsa", "AES256-GCM-SHA384")]
    [InlineData("ecdsa", "ECDHE-ECDSA-AES256-GCM-SHA384")]
    public async Task Required_client_certificate_is_verified_and_passed_on(string keyType, string cipher)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("require");
        var (cert, key) = keyType == "rsa" ? (Pki.ClientRsaCert, Pki.ClientRsaKey) : (Pki.ClientEcdsaCert, Pki.ClientEcdsaKey);
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cipher", cipher, "-cert", cert, "-key", key);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.2"), result.ToString());
        // The HTTP responder names the verified identity it was handed.
        Assert.Contains($"client: CN=client-{keyType}, O=Brisk Tests", result.StandardOutput);
        // The CertificateRequest names our trust anchor.
        Assert.Contains("CN = Brisk Test Client CA", result.StandardOutput);
    }

    [Theory]
    [InlineData("RSA-PSS+SHA256")]
    [InlineData("RSA+SHA256")]
    [InlineData("RSA+SHA384")]
    public async Task Rsa_client_signature_schemes_verify(string sigalg)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("require");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cert", Pki.ClientRsaCert, "-key", Pki.ClientRsaKey, "-client_sigalgs", sigalg);
        Assert.True(result.StandardOutput.Contains("client: CN=client-rsa"), result.ToString());
    }

    [Fact]
    public async Task Missing_certificate_when_required_gets_handshake_failure()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("require");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2");
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("alert handshake failure", result.StandardError);
    }

    [Fact]
    public async Task Missing_certificate_when_optional_is_accepted()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("optional");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2");
        Assert.Contains("brisk TLSv1.2", result.StandardOutput);
        Assert.DoesNotContain("client:", result.StandardOutput);
    }

    [Fact]
    public async Task Untrusted_certificate_gets_unknown_ca()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("optional");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cert", Pki.UntrustedClientCert, "-key", Pki.UntrustedClientKey);
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("alert unknown ca", result.StandardError);
    }

    [Fact]
    public async Task Expired_certificate_gets_certificate_expired()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("require");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cert", Pki.ClientExpiredCert, "-key", Pki.ClientExpiredKey);
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("alert certificate expired", result.StandardError);
    }

    [Fact]
    public async Task Signature_by_the_wrong_key_gets_decrypt_error()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("require");
        // A trusted certificate, but CertificateVerify signed with another key: the proof of possession fails.
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cert", Pki.ClientEcdsaCert, "-key", Pki.ClientExpiredKey);
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.True(result.StandardError.Contains("alert decrypt error") || result.StandardError.Contains("key values mismatch"), result.ToString());
    }
}
