using System.Security.Cryptography;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Server.Tests.Sni;

namespace Brisk.Server.Tests.Reload;

/// <summary>
/// Hot reload of certificate and key files: replaced by rename (as cp, certbot and Kubernetes do), noticed by
/// the file watcher, swapped for new handshakes while established connections carry on; bad files keep the
/// running certificate; what must survive a reload (RSA engine, in-memory ticket keys, session cache) does.
/// </summary>
public sealed class CertificateReloadTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("brisk-reload-").FullName;
    private readonly string _cert;
    private readonly string _key;
    private readonly string _firstSha256;

    public CertificateReloadTests()
    {
        _cert = Path.Combine(_directory, "site.crt");
        _key = Path.Combine(_directory, "site.key");
        var (certificate, key, sha256) = SniCertificates.Create("reload.test", ["reload.test"], rsa: false, ECDsa.Create(ECCurve.NamedCurves.nistP256));
        File.WriteAllText(_cert, certificate);
        File.WriteAllText(_key, key);
        _firstSha256 = sha256;
    }

    private BriskServerOptions Options() => new()
    {
        Listen = ["127.0.0.1:0"],
        Certificates = [new CertificateFiles { Cert = _cert, Key = _key }],
    };

    /// <summary>A new certificate and key for the same name, written over the old files by rename (key first).</summary>
    private string ReplaceCertificate()
    {
        var (certificate, key, sha256) = SniCertificates.Create("reload.test", ["reload.test"], rsa: false, ECDsa.Create(ECCurve.NamedCurves.nistP256));
        SniCertificates.ReplaceByRename(_key, key);
        SniCertificates.ReplaceByRename(_cert, certificate);
        return sha256;
    }

    [Fact]
    public async Task Replaced_files_reload_new_connections_get_the_new_certificate_old_ones_keep_working()
    {
        await using var server = await ReloadingServer.StartAsync(Options);
        var (established, establishedSha256) = await server.ConnectAsync();
        await using (established)
        {
            Assert.Equal(_firstSha256, establishedSha256);
            Assert.StartsWith("HTTP/1.1 200 OK", await ReloadingServer.RequestAsync(established));

            var secondSha256 = ReplaceCertificate();
            await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsSucceeded >= 1, "the watcher's reload");

            Assert.Equal(secondSha256, await server.FingerprintOfNewConnectionAsync());
            // The connection made before the reload still works, on its own keys.
            Assert.StartsWith("HTTP/1.1 200 OK", await ReloadingServer.RequestAsync(established));
            Assert.StartsWith("HTTP/1.1 200 OK", await ReloadingServer.RequestAsync(established));
            Assert.Equal(1, server.Live.Generation);
        }
    }

    [Fact]
    public async Task A_garbage_key_keeps_the_running_certificate_and_names_the_file()
    {
        await using var server = await ReloadingServer.StartAsync(Options);
        SniCertificates.ReplaceByRename(_key, "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n");
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsFailed >= 1, "a failed reload");

        Assert.Contains($"key file '{_key}'", server.Reloader.LastError);
        Assert.Equal(0, server.Live.Generation);
        Assert.Equal(_firstSha256, await server.FingerprintOfNewConnectionAsync());
    }

    [Fact]
    public async Task A_key_that_does_not_match_keeps_the_running_certificate()
    {
        await using var server = await ReloadingServer.StartAsync(Options);
        using var otherKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        SniCertificates.ReplaceByRename(_key, otherKey.ExportPkcs8PrivateKeyPem());
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsFailed >= 1, "a failed reload");

        Assert.Contains("does not match the certificate", server.Reloader.LastError);
        Assert.Contains(_key, server.Reloader.LastError);
        Assert.Equal(_firstSha256, await server.FingerprintOfNewConnectionAsync());

        // Repairing the files is noticed too, and then the new pair is served.
        var repairedSha256 = ReplaceCertificate();
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsSucceeded >= 1, "the repaired reload");
        Assert.Null(server.Reloader.LastError);
        Assert.Equal(repairedSha256, await server.FingerprintOfNewConnectionAsync());
    }

    [Fact]
    public async Task A_truncated_certificate_keeps_the_running_certificate()
    {
        await using var server = await ReloadingServer.StartAsync(Options);
        var text = File.ReadAllText(_cert);
        SniCertificates.ReplaceByRename(_cert, text[..(text.Length / 2)]);
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsFailed >= 1, "a failed reload");
        Assert.Contains(_cert, server.Reloader.LastError);
        Assert.Equal(_firstSha256, await server.FingerprintOfNewConnectionAsync());
    }

    [Fact]
    public async Task A_reload_keeps_the_rsa_engine_the_in_memory_ticket_keys_and_the_session_cache()
    {
        var options = Options();
        options.Certificates.Add(new CertificateFiles { Cert = TestCertificates.Instance.ServerRsaCert, Key = TestCertificates.Instance.ServerRsaKey });
        var first = ServerConfiguration.Build(options);
        var second = ServerConfiguration.Build(options, previous: first);
        Assert.NotNull(first.RsaEngine);
        Assert.Same(first.RsaEngine, second.RsaEngine);
        var rsaKey = second.Tls.Certificates.Select(c => c.Key).OfType<Brisk.Tls.Credentials.RsaServerKey>().Single();
        Assert.True(ReferenceEquals(first.RsaEngine, rsaKey.Engine) || rsaKey.Engine is Brisk.Crypto.Rsa.SystemRsaEngine);
        Assert.NotNull(first.Tls.TicketKeys);
        Assert.Same(first.Tls.TicketKeys, second.Tls.TicketKeys);
        Assert.NotNull(first.Tls.SessionCache);
        Assert.Same(first.Tls.SessionCache, second.Tls.SessionCache);
        Assert.Empty(second.ReloadWarnings);

        // Asking for another engine is not applied by a reload (it would strand the running one's batches): a warning says so.
        options.RsaEngine = "system";
        var third = ServerConfiguration.Build(options, previous: second);
        Assert.Same(first.RsaEngine, third.RsaEngine);
        Assert.Contains(third.ReloadWarnings, w => w.Contains("RsaEngine"));
    }

    [Fact]
    public async Task A_reload_swaps_only_the_tls_part_listen_and_timeouts_stay_until_a_restart()
    {
        var listen = "127.0.0.1:0";
        var handshakeTimeout = "10s";
        await using var server = await ReloadingServer.StartAsync(() =>
        {
            var options = Options();
            options.Listen = [listen];
            options.HandshakeTimeout = handshakeTimeout;
            options.Alpn = "http/1.1";
            return options;
        });
        var started = server.Live.Current;
        listen = "127.0.0.1:1";
        handshakeTimeout = "3s";
        Assert.True(await server.Reloader.ReloadAsync("test"), server.Reloader.LastError);

        var current = server.Live.Current;
        Assert.NotSame(started.Tls, current.Tls);
        Assert.Equal(started.Endpoints, current.Endpoints);
        Assert.Equal(TimeSpan.FromSeconds(10), current.HandshakeTimeout);
        Assert.Same(started.Responder, current.Responder);
        Assert.Equal(_firstSha256, await server.FingerprintOfNewConnectionAsync());
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task A_ticket_issued_before_a_reload_still_resumes(string version)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ReloadingServer.StartAsync(Options);
        var session = Path.Combine(_directory, "session.pem");
        var full = await RunOpenSslAsync(server, version, "-sess_out", session);
        Assert.True(File.Exists(session), full.ToString());

        var secondSha256 = ReplaceCertificate();
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsSucceeded >= 1, "the watcher's reload");
        var resumed = await RunOpenSslAsync(server, version, "-sess_in", session);
        Assert.True(resumed.StandardOutput.Contains("Reused, TLSv1."), resumed.ToString());
        Assert.Equal(secondSha256, await server.FingerprintOfNewConnectionAsync());
    }

    internal static Task<ToolResult> RunOpenSslAsync(ReloadingServer server, params string[] arguments) =>
        ExternalTool.RunAsync("openssl", ["s_client", "-connect", server.Address, "-servername", "reload.test", "-ign_eof", .. arguments],
            "GET / HTTP/1.1\r\nHost: reload.test\r\nConnection: close\r\n\r\n");

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
