using Brisk.Server.ClientDirectory;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Server.Tests.Interop;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// One private slapd for the class, loaded with ldapadd: entries that list a client's certificate, list another
/// one, list none, and the bad-input cases (an entry named with filter metacharacters, one with too many
/// certificates, two entries with the same name). Read-only for the tests, so they share it.
/// </summary>
public sealed class SharedDirectory : IAsyncLifetime
{
    public SlapdServer? Slapd { get; private set; }

    public DirectoryPki Pki => DirectoryPki.Instance;

    public ClientCertificateFiles Alice => Pki.Client("alice", "alice", "alice@brisk.test");
    public ClientCertificateFiles Bob => Pki.Client("bob", "bob");
    public ClientCertificateFiles BobsListedCertificate => Pki.Client("bob-listed", "bob");
    public ClientCertificateFiles Carol => Pki.Client("carol", "carol");
    public ClientCertificateFiles Dave => Pki.Client("dave", "dave");
    /// <summary>Unescaped, "(cn=*)(cn=alice)" would be spliced into the filter and match alice's entry.</summary>
    public ClientCertificateFiles Crafted => Pki.Client("crafted", "*)(cn=alice");
    /// <summary>Unescaped, "(cn=*)" would match every entry (an ambiguous answer at best).</summary>
    public ClientCertificateFiles Wildcard => Pki.Client("wildcard", "*");
    public ClientCertificateFiles Many => Pki.Client("many", "many");
    public ClientCertificateFiles Twin => Pki.Client("twin", "twin");
    public ClientCertificateFiles Erin => Pki.Client("erin", "erin", "erin@brisk.test");
    public ClientCertificateFiles Frank => Pki.Client("frank", "frank");

    public const int ManyCertificates = 20;

    public async Task InitializeAsync()
    {
        Slapd = await SlapdServer.StartAsync();
        if (Slapd is null)
            return;
        await Slapd.AddPersonAsync("uid=alice", "alice", "alice@brisk.test", Alice.Der);
        await Slapd.AddPersonAsync("uid=bob", "bob", null, BobsListedCertificate.Der);
        await Slapd.AddPersonAsync("uid=carol", "carol", null);
        await Slapd.AddPersonAsync("uid=crafted", "*)(cn=alice", null, Crafted.Der);
        var many = Enumerable.Range(0, ManyCertificates - 1).Select(i => Pki.Client($"filler-{i}", $"filler {i}").Der).Append(Many.Der).ToArray();
        await Slapd.AddPersonAsync("uid=many", "many", null, many);
        await Slapd.AddPersonAsync("uid=twin1", "twin", null, Twin.Der);
        await Slapd.AddPersonAsync("uid=twin2", "twin", null, Twin.Der);
        // Found only through the e-mail SAN: the entry's cn differs from the certificate's.
        await Slapd.AddPersonAsync("uid=erin", "erin entry", "erin@brisk.test", Erin.Der);
        // Named by the certificate's CN: the entry-DN mapping (base "cn={cn},ou=people,...").
        await Slapd.AddAsync($"""
            dn: cn=frank,{SlapdServer.People}
            objectClass: inetOrgPerson
            cn: frank
            sn: test
            userCertificate;binary:: {Convert.ToBase64String(Frank.Der)}
            """);
    }

    public async Task DisposeAsync()
    {
        if (Slapd is not null)
            await Slapd.DisposeAsync();
    }
}

/// <summary>
/// The directory check end to end: Brisk with --client-directory against a real slapd, openssl s_client as the
/// client over TLS 1.2 and 1.3. Only a certificate listed in its entry's userCertificate;binary gets through.
/// </summary>
public sealed class DirectoryEndToEndTests(SharedDirectory directory) : IClassFixture<SharedDirectory>
{
    internal static async Task<ServerFixture> StartServerAsync(SlapdServer slapd, Action<BriskServerOptions>? configure = null)
    {
        var server = await ServerFixture.StartAsync(o =>
        {
            o.ClientAuth = "require";
            o.ClientCa = DirectoryPki.Instance.CaFile;
            o.ClientDirectory = slapd.Url;
            o.ClientDirectoryBase = SlapdServer.People;
            o.ClientDirectoryTimeout = "5s";
            configure?.Invoke(o);
        });
        Policy(server).Logger = new CapturingLogger();
        return server;
    }

    /// <summary>The policy's log lines, shown with a failed assertion (why a lookup ended as it did).</summary>
    internal sealed class CapturingLogger : ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue($"{logLevel} {eventId.Id} {formatter(state, exception)}");

        public override string ToString() => string.Join("\n", _lines);
    }

    internal static LdapClientCertificatePolicy Policy(ServerFixture server) =>
        Assert.IsType<LdapClientCertificatePolicy>(server.Configuration.Tls.ClientCertificatePolicy);

    /// <summary>s_client with the client's certificate; the policy's log so far is appended to stderr for failure messages.</summary>
    internal static async Task<ToolResult> ConnectAsync(ServerFixture server, string version, ClientCertificateFiles client)
    {
        var result = await OpenSslClient.RunAsync(server, version, "-cert", client.Cert, "-key", client.Key);
        return result with { StandardError = result.StandardError + "\n--- directory policy log ---\n" + Policy(server).Logger };
    }

    internal static void AssertAdmitted(ToolResult result, string version)
    {
        string name = version == "-tls1_3" ? "TLSv1.3" : "TLSv1.2";
        Assert.True(result.StandardOutput.Contains($"brisk {name}"), result.ToString());
    }

    /// <summary>Refused with <paramref name="alert"/> (OpenSSL's wording, e.g. "certificate unknown"), and no HTTP answer.</summary>
    internal static void AssertRefused(ToolResult result, string alert)
    {
        Assert.False(result.StandardOutput.Contains("brisk TLSv"), result.ToString());
        Assert.True(result.StandardError.Contains($"alert {alert}"), result.ToString());
    }

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task Only_the_certificate_listed_in_the_entry_gets_through(string version)
    {
        if (directory.Slapd is not { } slapd)
            return;
        await using var server = await StartServerAsync(slapd);
        using var metrics = new DirectoryMetrics(Policy(server).Meter);

        AssertAdmitted(await ConnectAsync(server, version, directory.Alice), version);
        // bob's entry lists another certificate with the same name; carol's lists none; dave has no entry.
        AssertRefused(await ConnectAsync(server, version, directory.Bob), "certificate unknown");
        AssertRefused(await ConnectAsync(server, version, directory.Carol), "certificate unknown");
        AssertRefused(await ConnectAsync(server, version, directory.Dave), "certificate unknown");

        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=listed"));
        Assert.Equal(2, metrics.Count("brisk.directory.lookups", "result=not_listed"));
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=not_found"));
        Assert.Equal(1, metrics.Count("brisk.directory.decisions", "decision=allow"));
        Assert.Equal(3, metrics.Count("brisk.directory.decisions", "decision=deny"));
    }

    [Fact]
    public async Task Deny_alert_can_be_access_denied()
    {
        if (directory.Slapd is not { } slapd)
            return;
        await using var server = await StartServerAsync(slapd, o => o.ClientDirectoryDenyAlert = "access_denied");
        AssertRefused(await ConnectAsync(server, "-tls1_3", directory.Dave), "access denied");
        AssertRefused(await ConnectAsync(server, "-tls1_2", directory.Bob), "access denied");
    }

    [Fact]
    public async Task Second_handshake_is_answered_from_the_cache_and_ttl_zero_asks_every_time()
    {
        if (directory.Slapd is not { } slapd)
            return;
        await using (var cached = await StartServerAsync(slapd))
        {
            var policy = Policy(cached);
            using var metrics = new DirectoryMetrics(policy.Meter);
            AssertAdmitted(await ConnectAsync(cached, "-tls1_3", directory.Alice), "-tls1_3");
            AssertAdmitted(await ConnectAsync(cached, "-tls1_2", directory.Alice), "-tls1_2");
            // Negative answers are cached too.
            AssertRefused(await ConnectAsync(cached, "-tls1_3", directory.Dave), "certificate unknown");
            AssertRefused(await ConnectAsync(cached, "-tls1_3", directory.Dave), "certificate unknown");
            Assert.Equal(2, policy.DirectoryQueries);
            Assert.Equal(2, policy.CacheHits);
            Assert.Equal(2, metrics.Count("brisk.directory.cache.hits"));
            Assert.Equal(2, metrics.Count("brisk.directory.cache.misses"));
        }
        await using var uncached = await StartServerAsync(slapd, o => o.ClientDirectoryCacheTtl = "0");
        var uncachedPolicy = Policy(uncached);
        AssertAdmitted(await ConnectAsync(uncached, "-tls1_3", directory.Alice), "-tls1_3");
        AssertAdmitted(await ConnectAsync(uncached, "-tls1_3", directory.Alice), "-tls1_3");
        Assert.Equal(2, uncachedPolicy.DirectoryQueries);
        Assert.Equal(0, uncachedPolicy.CacheHits);
    }

    [Fact]
    public async Task Filter_injection_through_the_subject_is_escaped()
    {
        if (directory.Slapd is not { } slapd)
            return;
        await using var server = await StartServerAsync(slapd);
        using var metrics = new DirectoryMetrics(Policy(server).Meter);
        // "CN=*)(cn=alice" matches only the entry literally named so, which lists this certificate.
        AssertAdmitted(await ConnectAsync(server, "-tls1_3", directory.Crafted), "-tls1_3");
        // "CN=*" is a name, not a wildcard: no entry is literally called "*".
        AssertRefused(await ConnectAsync(server, "-tls1_3", directory.Wildcard), "certificate unknown");
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=listed"));
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=not_found"));
        Assert.Equal(0, metrics.Count("brisk.directory.lookups", "result=ambiguous"));
    }

    [Fact]
    public async Task Oversized_answers_are_denied()
    {
        if (directory.Slapd is not { } slapd)
            return;
        await using var server = await StartServerAsync(slapd);
        using var metrics = new DirectoryMetrics(Policy(server).Meter);
        // The entry does list this certificate, among more values than allowed: denied all the same.
        AssertRefused(await ConnectAsync(server, "-tls1_3", directory.Many), "certificate unknown");
        // Two entries answer to the name: no single user to check against.
        AssertRefused(await ConnectAsync(server, "-tls1_2", directory.Twin), "certificate unknown");
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=oversized"));
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=ambiguous"));
    }

    [Fact]
    public async Task Lookup_by_email_san_and_by_entry_dn()
    {
        if (directory.Slapd is not { } slapd)
            return;
        await using (var byEmail = await StartServerAsync(slapd, o => o.ClientDirectoryFilter = "(&(objectClass=inetOrgPerson)(mail={email}))"))
        {
            AssertAdmitted(await ConnectAsync(byEmail, "-tls1_3", directory.Erin), "-tls1_3");
            // No e-mail SAN in carol's certificate: nothing to look up with.
            AssertRefused(await ConnectAsync(byEmail, "-tls1_3", directory.Carol), "certificate unknown");
        }
        await using var byDn = await StartServerAsync(slapd, o =>
        {
            o.ClientDirectoryBase = "cn={cn}," + SlapdServer.People;
            o.ClientDirectoryFilter = "(objectClass=inetOrgPerson)";
        });
        AssertAdmitted(await ConnectAsync(byDn, "-tls1_2", directory.Frank), "-tls1_2");
        AssertRefused(await ConnectAsync(byDn, "-tls1_2", directory.Dave), "certificate unknown");
    }

    [Fact]
    public async Task Wrong_bind_password_is_refused_even_when_failing_open()
    {
        if (directory.Slapd is not { } slapd)
            return;
        var passwordFile = Path.Combine(slapd.WorkDirectory, "wrong-password");
        await File.WriteAllTextAsync(passwordFile, "not-the-password\n");
        await using var server = await StartServerAsync(slapd, o =>
        {
            o.ClientDirectoryBindDn = SlapdServer.RootDn;
            o.ClientDirectoryPasswordFile = passwordFile;
            o.ClientDirectoryOnUnreachable = "open";
        });
        using var metrics = new DirectoryMetrics(Policy(server).Meter);
        AssertRefused(await ConnectAsync(server, "-tls1_3", directory.Alice), "internal error");
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=bind_failed"));
    }

    [Fact]
    public async Task Right_bind_password_from_a_file_admits()
    {
        if (directory.Slapd is not { } slapd)
            return;
        var passwordFile = Path.Combine(slapd.WorkDirectory, "password");
        await File.WriteAllTextAsync(passwordFile, SlapdServer.RootPassword + "\n");
        await using var server = await StartServerAsync(slapd, o =>
        {
            o.ClientDirectoryBindDn = SlapdServer.RootDn;
            o.ClientDirectoryPasswordFile = passwordFile;
        });
        AssertAdmitted(await ConnectAsync(server, "-tls1_3", directory.Alice), "-tls1_3");
    }
}
