using System.Text.RegularExpressions;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>TLS 1.3 (RFC 8446) with OpenSSL's s_client: every suite and group, HelloRetryRequest, KeyUpdate, client auth.</summary>
public sealed class OpenSslTls13Tests
{
    private static readonly TestCertificates Pki = TestCertificates.Instance;

    public static TheoryData<string, string> SuitesAndGroups()
    {
        var data = new TheoryData<string, string>();
        foreach (var suite in new[] { "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256" })
            foreach (var group in new[] { "X25519", "P-256", "P-384" })
                data.Add(suite, group);
        return data;
    }

    [Theory]
    [MemberData(nameof(SuitesAndGroups))]
    public async Task Completes_handshake_and_request(string suite, string group)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, "-tls1_3", "-ciphersuites", suite, "-groups", group);
        Assert.True(result.StandardOutput.Contains($"brisk TLSv1.3 {suite}"), result.ToString());
        Assert.Contains($"New, TLSv1.3, Cipher is {suite}", result.StandardOutput);
        Assert.Contains(group == "X25519" ? "Server Temp Key: X25519" : group == "P-256" ? "prime256v1" : "secp384r1", result.StandardOutput);
    }

    [Theory]
    [InlineData("rsa_pss_rsae_sha256", "RSA-PSS")]
    [InlineData("rsa_pss_rsae_sha384", "RSA-PSS")]
    [InlineData("ecdsa_secp256r1_sha256", "ECDSA")]
    public async Task Certificate_follows_signature_algorithms(string sigalg, string expectedType)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, "-tls1_3", "-sigalgs", sigalg);
        Assert.Contains("brisk TLSv1.3", result.StandardOutput);
        Assert.Contains($"Peer signature type: {expectedType}", result.StandardOutput);
    }

    [Fact]
    public async Task Hello_retry_request_when_no_acceptable_key_share()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Groups = "secp384r1");
        // s_client sends a key share for its first group only (X25519), which the server does not accept.
        var result = await OpenSslClient.RunAsync(server, "-tls1_3", "-groups", "X25519:P-384", "-trace");
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.3"), result.ToString());
        Assert.Equal(2, Regex.Matches(result.StandardOutput, @"^\s+ClientHello, Length=", RegexOptions.Multiline).Count);
        Assert.Contains("Server Temp Key: ECDH, secp384r1", result.StandardOutput);
    }

    [Fact]
    public async Task Key_share_preference_follows_groups_option()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Groups = "secp256r1,x25519");
        // s_client only sends an X25519 share: the server takes it rather than forcing a retry.
        var result = await OpenSslClient.RunAsync(server, "-tls1_3", "-groups", "X25519:P-256", "-trace");
        Assert.Contains("Server Temp Key: X25519", result.StandardOutput);
        Assert.Single(Regex.Matches(result.StandardOutput, @"^\s+ClientHello, Length=", RegexOptions.Multiline));
    }

    [Fact]
    public async Task Key_update_both_ways()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Responder = "echo");
        // "K" asks the server to update too (update_requested), "k" updates the client's keys only.
        var result = await ExternalTool.RunInteractiveAsync("openssl",
            ["s_client", "-connect", server.Address, "-tls1_3", "-msg"],
            ["before\n", "K\n", "middle\n", "k\n", "after\n"], TimeSpan.FromMilliseconds(500));
        Assert.Equal(2, Regex.Matches(result.All, "KEYUPDATE").Count);
        foreach (var line in new[] { "before", "middle", "after" })
            Assert.Matches($"(?m)^{line}$", result.StandardOutput);
        // Two KeyUpdates sent; exactly one received: the server's answer to update_requested (RFC 8446 §4.6.3).
        Assert.Equal(2, Regex.Matches(result.StandardOutput, @">>> TLS 1.3, Handshake \[length 0005\], KeyUpdate").Count);
        Assert.Single(Regex.Matches(result.StandardOutput, @"<<< TLS 1.3, Handshake \[length 0005\], KeyUpdate"));
    }

    [Theory]
    [InlineData("rsa")]
    [InlineData("ecdsa")]
    public async Task Client_certificate_is_verified(string keyType)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => { o.ClientAuth = "require"; o.ClientCa = Pki.ClientCa; });
        var (cert, key) = keyType == "rsa" ? (Pki.ClientRsaCert, Pki.ClientRsaKey) : (Pki.ClientEcdsaCert, Pki.ClientEcdsaKey);
        var result = await OpenSslClient.RunAsync(server, "-tls1_3", "-cert", cert, "-key", key);
        Assert.True(result.StandardOutput.Contains($"client: CN=client-{keyType}, O=Brisk Tests"), result.ToString());
    }

    [Fact]
    public async Task Missing_client_certificate_gets_certificate_required()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => { o.ClientAuth = "require"; o.ClientCa = Pki.ClientCa; });
        var result = await OpenSslClient.RunAsync(server, "-tls1_3");
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("certificate required", result.StandardError);
    }

    [Fact]
    public async Task Untrusted_client_certificate_gets_unknown_ca()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => { o.ClientAuth = "optional"; o.ClientCa = Pki.ClientCa; });
        var result = await OpenSslClient.RunAsync(server, "-tls1_3", "-cert", Pki.UntrustedClientCert, "-key", Pki.UntrustedClientKey);
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("unknown ca", result.StandardError);
    }

    [Fact]
    public async Task Tls12_from_a_tls13_server_carries_the_downgrade_sentinel()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-trace");
        // RFC 8446 §4.1.3: the last 8 bytes of ServerHello.random are 44 4F 57 4E 47 52 44 01.
        var random = Regex.Match(result.StandardOutput, @"ServerHello, Length=\d+\s+server_version=0x303 \(TLS 1.2\)\s+Random:\s+gmt_unix_time=0x[0-9A-F]+\s+random_bytes \(len=28\): ([0-9A-F]+)");
        Assert.True(random.Success, result.StandardOutput);
        Assert.EndsWith("444F574E47524401", random.Groups[1].Value);
        Assert.Contains("brisk TLSv1.2", result.StandardOutput);
    }

    [Fact]
    public async Task Tls13_only_server_refuses_tls12_client()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.TlsVersions = "1.3");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2");
        Assert.Contains("alert protocol version", result.StandardError);
    }
}
