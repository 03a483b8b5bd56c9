using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>TLS 1.3 and 1.2 with Java's JSSE (a TLS stack of its own), curl and GnuTLS.</summary>
public sealed class JavaAndGnuTlsTls13Tests
{
    private static string JavaClient => Path.Combine(AppContext.BaseDirectory, "Interop", "Java", "BriskJavaClient.java");

    [Theory]
    [InlineData("TLSv1.3", "brisk TLSv1.3 TLS_AES_")]
    [InlineData("TLSv1.2", "brisk TLSv1.2 TLS_ECDHE_")]
    public async Task Java_jsse_completes_handshake(string protocol, string expectedBodyStart)
    {
        if (!ExternalTool.Require("java"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await ExternalTool.RunAsync("java", [JavaClient, "127.0.0.1", server.Port.ToString(), protocol], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"connection 0 protocol {protocol}", result.StandardOutput);
        Assert.Contains(expectedBodyStart, result.StandardOutput);
    }

    [Theory]
    [InlineData("TLSv1.3")]
    [InlineData("TLSv1.2")]
    public async Task Java_jsse_resumes_its_session(string protocol)
    {
        if (!ExternalTool.Require("java"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await ExternalTool.RunAsync("java", [JavaClient, "127.0.0.1", server.Port.ToString(), protocol, "resume"], timeout: TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"connection 1 protocol {protocol}", result.StandardOutput);
        // The second connection of the same JVM resumed (the responder says so).
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.StandardOutput, "session: resumed"));
    }

    [Theory]
    [InlineData("--tlsv1.3", "TLSv1.3")]
    [InlineData("--tlsv1.2", "TLSv1.2")]
    public async Task Curl_resumes_on_its_second_connection(string flag, string version)
    {
        if (!ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        string url = $"https://localhost:{server.Port}/";
        // "Connection: close" makes curl open a second connection for the second URL, offering its cached session.
        var result = await ExternalTool.RunAsync("curl",
            ["-sS", flag, "--tls-max", flag == "--tlsv1.2" ? "1.2" : "1.3", "-k", "-H", "Connection: close",
             "--resolve", $"localhost:{server.Port}:127.0.0.1", url, url]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Matches(result.StandardOutput, $"brisk {version}").Count);
        Assert.Single(System.Text.RegularExpressions.Regex.Matches(result.StandardOutput, "session: resumed"));
    }

    [Theory]
    [InlineData("TLS_AES_128_GCM_SHA256")]
    [InlineData("TLS_CHACHA20_POLY1305_SHA256")]
    public async Task Curl_fetches_over_tls13(string suite)
    {
        if (!ExternalTool.Require("curl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await ExternalTool.RunAsync("curl",
            ["-sS", "--tlsv1.3", "--tls13-ciphers", suite, "-k", $"https://localhost:{server.Port}/", "--resolve", $"localhost:{server.Port}:127.0.0.1"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal($"brisk TLSv1.3 {suite}", result.StandardOutput.Trim());
    }

    [Theory]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.3", "(TLS1.3-X.509)-(ECDHE-X25519)")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1:-CIPHER-ALL:+AES-256-GCM", "(ECDHE-SECP384R1)")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.3:-SIGN-ALL:+SIGN-ECDSA-SECP256R1-SHA256", "(ECDSA-SECP256R1-SHA256)")]
    public async Task GnuTls_completes_tls13(string priority, string expected)
    {
        if (!ExternalTool.Require("gnutls-cli"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await ExternalTool.RunAsync("gnutls-cli",
            ["--insecure", "--port", server.Port.ToString(), "--priority", priority, "127.0.0.1"], OpenSslClient.HttpRequest);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.3"), result.ToString());
        Assert.Contains(expected, result.StandardOutput);
    }

    [Fact]
    public async Task GnuTls_hello_retry_request()
    {
        if (!ExternalTool.Require("gnutls-cli"))
            return;
        // GnuTLS sends shares for its first groups (X25519, P-256); the server only takes P-384: a retry.
        await using var server = await ServerFixture.StartAsync(o => o.Groups = "secp384r1");
        var result = await ExternalTool.RunAsync("gnutls-cli",
            ["--insecure", "--port", server.Port.ToString(), "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3", "127.0.0.1"], OpenSslClient.HttpRequest);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.3"), result.ToString());
        Assert.Contains("(ECDHE-SECP384R1)", result.StandardOutput);
    }
}
