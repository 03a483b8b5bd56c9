using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>TLS 1.2 with a real, independent client: OpenSSL's s_client, every suite and every group.</summary>
public sealed class OpenSslTls12Tests
{
    public static TheoryData<string, string> SuitesAndGroups()
    {
        var data = new TheoryData<string, string>();
        foreach (var suite in OpenSslClient.SuiteNames.Keys)
        {
            if (suite.StartsWith("TLS_RSA_", StringComparison.Ordinal))
                data.Add(suite, "none");
            else
                foreach (var group in new[] { "X25519", "P-256", "P-384" })
                    data.Add(suite, group);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SuitesAndGroups))]
    public async Task Completes_handshake_and_request(string suite, string group)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        // The server's preference decides the group: put the one under test first. An ECDSA suite also needs
        // the certificate's curve (P-256) among the client's groups (RFC 8422 §5.1).
        string serverGroups = group switch { "X25519" => "x25519", "P-384" => "secp384r1", _ => "secp256r1" } + ",secp256r1";
        await using var server = await ServerFixture.StartAsync(o => o.Groups = serverGroups);
        var arguments = new List<string> { "-tls1_2", "-cipher", OpenSslClient.SuiteNames[suite] };
        if (group != "none")
            arguments.AddRange(["-groups", suite.Contains("ECDSA") && group != "P-256" ? group + ":P-256" : group]);
        var result = await OpenSslClient.RunAsync(server, [.. arguments]);

        Assert.True(result.StandardOutput.Contains($"brisk TLSv1.2 {suite}"), result.ToString());
        Assert.Contains($"Cipher is {OpenSslClient.SuiteNames[suite]}", result.StandardOutput);
        if (group == "X25519")
            Assert.Contains("Server Temp Key: X25519", result.StandardOutput);
        else if (group == "P-256")
            Assert.Contains("Server Temp Key: ECDH, prime256v1", result.StandardOutput);
        else if (group == "P-384")
            Assert.Contains("Server Temp Key: ECDH, secp384r1", result.StandardOutput);
        // RFC 7627 and RFC 5746 are negotiated with OpenSSL's defaults.
        Assert.Contains("Extended master secret: yes", result.StandardOutput);
        Assert.Contains("Secure Renegotiation IS supported", result.StandardOutput);
    }

    [Fact]
    public async Task Ecdsa_certificate_on_a_curve_the_client_lacks_is_not_used()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-groups", "X25519", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Contains("brisk TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", result.StandardOutput);
    }

    [Fact]
    public async Task Suite_switched_off_by_configuration_is_refused()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Ciphers = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
        var refused = await OpenSslClient.RunAsync(server, "-tls1_2", "-cipher", "AES128-GCM-SHA256");
        Assert.DoesNotContain("brisk TLSv1.2", refused.StandardOutput);
        Assert.Contains("alert handshake failure", refused.StandardError);
        var accepted = await OpenSslClient.RunAsync(server, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256");
        Assert.Contains("brisk TLSv1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", accepted.StandardOutput);
    }

    [Fact]
    public async Task Group_order_follows_configuration()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Groups = "secp384r1,x25519");
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256", "-groups", "X25519:P-384");
        Assert.Contains("Server Temp Key: ECDH, secp384r1", result.StandardOutput);
    }

    [Theory]
    [InlineData("-tls1")]
    [InlineData("-tls1_1")]
    public async Task Old_protocol_versions_are_refused(string flag)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        // OpenSSL 3 needs security level 0 to even offer TLS 1.0/1.1.
        var result = await OpenSslClient.RunAsync(server, flag, "-cipher", "ALL:@SECLEVEL=0");
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("alert protocol version", result.StandardError);
    }

    [Fact]
    public async Task Cbc_suites_are_refused()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA:AES128-SHA");
        Assert.DoesNotContain("brisk", result.StandardOutput);
        Assert.Contains("alert handshake failure", result.StandardError);
    }

    [Fact]
    public async Task Alpn_is_negotiated()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, "-tls1_2", "-alpn", "h2,http/1.1");
        Assert.Contains("ALPN protocol: http/1.1", result.StandardOutput);
        var none = await OpenSslClient.RunAsync(server, "-tls1_2", "-alpn", "h2");
        Assert.Contains("no application protocol", none.StandardError);
    }

    [Fact]
    public async Task Renegotiation_is_refused_with_no_renegotiation()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Responder = "echo");
        // s_client renegotiates when it reads a line "R"; the server answers no_renegotiation (RFC 5746 §4.4),
        // which s_client reports and stops on. (That the server keeps the connection is pinned in-memory.)
        var result = await ExternalTool.RunInteractiveAsync("openssl",
            ["s_client", "-connect", server.Address, "-tls1_2"], ["R\n"], TimeSpan.FromMilliseconds(500));
        Assert.Contains("RENEGOTIATING", result.All);
        Assert.Contains("no renegotiation", result.StandardError);
    }
}
