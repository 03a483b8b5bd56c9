using System.Security.Cryptography;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>
/// Session resumption with OpenSSL's s_client: a full handshake saves the session (-sess_out), a second
/// connection offers it (-sess_in). TLS 1.3 tickets (RFC 8446 §4.6.1, §2.2), TLS 1.2 tickets (RFC 5077) and
/// TLS 1.2 session IDs (RFC 5246 §7.3).
/// </summary>
public sealed class ResumptionTests : IDisposable
{
    private static readonly TestCertificates Pki = TestCertificates.Instance;
    private readonly string _directory = Directory.CreateTempSubdirectory("brisk-resumption-").FullName;

    public static TheoryData<string, string[]> Versions => new()
    {
        { "TLSv1.3", ["-tls1_3"] },
        { "TLSv1.2", ["-tls1_2"] },
    };

    private string SessionFile(string name) => Path.Combine(_directory, name + ".pem");

    private string NewKeyFile(string name)
    {
        var path = Path.Combine(_directory, name + ".keys");
        File.WriteAllLines(path, ["# ticket keys, newest first", Convert.ToHexString(RandomNumberGenerator.GetBytes(48))]);
        return path;
    }

    /// <summary>A full handshake on <paramref name="first"/> saving the session, then one on <paramref name="second"/> offering it.</summary>
    private async Task<(ToolResult First, ToolResult Second)> ConnectTwiceAsync(ServerFixture first, ServerFixture second, string[] arguments, string[]? secondArguments = null)
    {
        var session = SessionFile(Guid.NewGuid().ToString("N"));
        var full = await OpenSslClient.RunAsync(first, [.. arguments, "-sess_out", session]);
        Assert.True(File.Exists(session), full.ToString());
        var resumed = await OpenSslClient.RunAsync(second, [.. secondArguments ?? arguments, "-sess_in", session]);
        return (full, resumed);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Ticket_resumes_the_session(string version, string[] arguments)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var (full, resumed) = await ConnectTwiceAsync(server, server, arguments);

        Assert.True(full.StandardOutput.Contains($"New, {version}"), full.ToString());
        Assert.True(resumed.StandardOutput.Contains($"Reused, {version}"), resumed.ToString());
        // The abbreviated handshake carries application data like any other.
        Assert.Contains($"brisk {version} TLS_", resumed.StandardOutput);
        if (version == "TLSv1.2")
            Assert.Contains("TLS session ticket lifetime hint: 3600", full.StandardOutput);
    }

    [Fact]
    public async Task Tls13_sends_the_configured_number_of_tickets()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.TicketCount = 3);
        var result = await OpenSslClient.RunAsync(server, "-tls1_3");
        Assert.Equal(3, CountOf(result.StandardOutput, "Post-Handshake New Session Ticket arrived"));
        Assert.Contains("TLS session ticket lifetime hint: 3600", result.StandardOutput);
    }

    [Fact]
    public async Task Tls13_resumes_after_a_hello_retry_request()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.Groups = "secp256r1");
        // The resuming hello's only key share is for X25519, which the server does not take: it asks for
        // P-256, and the binder of the second ClientHello covers message_hash + HelloRetryRequest (RFC 8446 §4.2.11.2).
        var (_, resumed) = await ConnectTwiceAsync(server, server, ["-tls1_3", "-groups", "P-256"], ["-tls1_3", "-groups", "X25519:P-256", "-msg"]);
        Assert.True(resumed.StandardOutput.Contains("Reused, TLSv1.3"), resumed.ToString());
        Assert.Equal(2, CountOf(resumed.StandardOutput, "ServerHello"));
        Assert.Contains("brisk TLSv1.3", resumed.StandardOutput);
    }

    [Fact]
    public async Task Tls12_session_id_resumes_the_session_without_tickets()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var (full, resumed) = await ConnectTwiceAsync(server, server, ["-tls1_2", "-no_ticket"]);
        Assert.True(full.StandardOutput.Contains("New, TLSv1.2"), full.ToString());
        Assert.DoesNotContain("TLS session ticket:", full.StandardOutput);
        Assert.True(resumed.StandardOutput.Contains("Reused, TLSv1.2"), resumed.ToString());
        Assert.Contains("brisk TLSv1.2 TLS_", resumed.StandardOutput);
    }

    [Fact]
    public async Task Session_cache_size_zero_turns_session_ids_off()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o => o.SessionCacheSize = 0);
        var session = SessionFile("no-cache");
        var full = await OpenSslClient.RunAsync(server, "-tls1_2", "-no_ticket", "-sess_out", session);
        Assert.True(full.StandardOutput.Contains("brisk TLSv1.2"), full.ToString());
        // An empty session_id and no ticket: OpenSSL has nothing it could resume, so it saves nothing.
        Assert.Contains("Session-ID: \n", full.StandardOutput.Replace("\r", ""));
        Assert.False(File.Exists(session));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Tickets_off_means_nothing_to_resume(string version, string[] arguments)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.Tickets = "off";
            o.SessionCacheSize = 0;
        });
        var session = SessionFile("tickets-off");
        var full = await OpenSslClient.RunAsync(server, [.. arguments, "-sess_out", session]);
        Assert.True(full.StandardOutput.Contains($"brisk {version}"), full.ToString());
        Assert.DoesNotContain("New Session Ticket arrived", full.StandardOutput);
        Assert.DoesNotContain("TLS session ticket:", full.StandardOutput);
        Assert.False(File.Exists(session));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Ticket_from_a_server_with_another_key_file_is_not_accepted(string version, string[] arguments)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var issuer = await ServerFixture.StartAsync(o => o.TicketKeyFile = NewKeyFile("issuer"));
        await using var other = await ServerFixture.StartAsync(o =>
        {
            o.TicketKeyFile = NewKeyFile("other");
            o.SessionCacheSize = 0;
        });
        var (_, resumed) = await ConnectTwiceAsync(issuer, other, arguments);
        Assert.True(resumed.StandardOutput.Contains($"New, {version}"), resumed.ToString());
        Assert.Contains($"brisk {version}", resumed.StandardOutput);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Servers_sharing_a_key_file_accept_each_others_tickets(string version, string[] arguments)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var keys = NewKeyFile("shared");
        await using var a = await ServerFixture.StartAsync(o => o.TicketKeyFile = keys);
        await using var b = await ServerFixture.StartAsync(o => o.TicketKeyFile = keys);
        var (_, onB) = await ConnectTwiceAsync(a, b, arguments);
        Assert.True(onB.StandardOutput.Contains($"Reused, {version}"), onB.ToString());
        Assert.Contains($"brisk {version}", onB.StandardOutput);
        var (_, onA) = await ConnectTwiceAsync(b, a, arguments);
        Assert.True(onA.StandardOutput.Contains($"Reused, {version}"), onA.ToString());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Resumed_session_keeps_the_client_identity(string version, string[] arguments)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync(o =>
        {
            o.ClientAuth = "require";
            o.ClientCa = Pki.ClientCa;
        });
        // The resuming client presents no certificate: the identity comes from the session (RFC 8446 §2.2).
        var (full, resumed) = await ConnectTwiceAsync(server, server,
            [.. arguments, "-cert", Pki.ClientEcdsaCert, "-key", Pki.ClientEcdsaKey], arguments);
        Assert.True(full.StandardOutput.Contains("client: CN=client-ecdsa"), full.ToString());
        Assert.True(resumed.StandardOutput.Contains($"Reused, {version}"), resumed.ToString());
        Assert.Contains("client: CN=client-ecdsa, O=Brisk Tests", resumed.StandardOutput);
    }

    [Fact]
    public async Task Session_without_a_client_certificate_is_not_resumed_once_one_is_required()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var keys = NewKeyFile("auth");
        await using var open = await ServerFixture.StartAsync(o => o.TicketKeyFile = keys);
        await using var strict = await ServerFixture.StartAsync(o =>
        {
            o.TicketKeyFile = keys;
            o.ClientAuth = "require";
            o.ClientCa = Pki.ClientCa;
        });
        var (_, resumed) = await ConnectTwiceAsync(open, strict, ["-tls1_3"]);
        Assert.DoesNotContain("Reused,", resumed.StandardOutput);
        Assert.DoesNotContain("brisk TLSv1.3", resumed.StandardOutput);
    }

    [Theory]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.3")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2")]
    [InlineData("NORMAL:-VERS-ALL:+VERS-TLS1.2:%NO_TICKETS")]
    public async Task GnuTls_resumes(string priority)
    {
        if (!ExternalTool.Require("gnutls-cli"))
            return;
        await using var server = await ServerFixture.StartAsync();
        // -r: a full handshake, then a second connection resuming its session (a ticket, or the session ID with %NO_TICKETS).
        var result = await ExternalTool.RunAsync("gnutls-cli",
            ["--insecure", "--resume", "--port", server.Port.ToString(), "--priority", priority, "localhost"], "");
        Assert.True(result.StandardOutput.Contains("*** This is a resumed session"), result.ToString());
    }

    private static int CountOf(string text, string value)
    {
        int count = 0;
        for (int i = text.IndexOf(value, StringComparison.Ordinal); i >= 0; i = text.IndexOf(value, i + value.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
