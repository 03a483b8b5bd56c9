using System.Diagnostics;
using System.Security.Cryptography;
using System.Threading.Channels;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Server.Tests.Sni;

namespace Brisk.Server.Tests.Reload;

/// <summary>
/// Reloading the rest of the TLS configuration: the ticket key file of a fleet (the rotation procedure of
/// docs/OPERATIONS.md), the <c>--config</c> JSON file, and SIGHUP on the real server process.
/// </summary>
public sealed class ConfigurationReloadTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("brisk-reload-config-").FullName;

    private static readonly TestCertificates Pki = TestCertificates.Instance;

    private static string NewTicketKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(48));

    /// <summary>The key name (first 16 bytes) of the ticket in a saved s_client session, from <c>openssl sess_id -text</c>.</summary>
    private static async Task<string> TicketKeyNameAsync(string sessionFile)
    {
        var result = await ExternalTool.RunAsync("openssl", ["sess_id", "-in", sessionFile, "-noout", "-text"]);
        var lines = result.StandardOutput.Replace("\r", "").Split('\n');
        int at = Array.FindIndex(lines, l => l.Contains("TLS session ticket:"));
        Assert.True(at >= 0, result.ToString());
        // "    0000 - 35 0a 6f 58 af c0 25 ce-a0 a9 24 c8 a4 9e 4a 23   5.oX..%...$...J#"
        var dump = lines[at + 1];
        var hex = dump[(dump.IndexOf(" - ", StringComparison.Ordinal) + 3)..][..47];
        return hex.Replace(" ", "").Replace("-", "").ToUpperInvariant();
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task Ticket_key_file_rotation_old_tickets_resume_new_ones_use_the_new_key(string version)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var keyFile = Path.Combine(_directory, "ticket.keys");
        string oldKey = NewTicketKey(), newKey = NewTicketKey();
        File.WriteAllLines(keyFile, ["# newest first", oldKey]);
        await using var server = await ReloadingServer.StartAsync(() => new BriskServerOptions
        {
            Listen = ["127.0.0.1:0"],
            Certificates = [new CertificateFiles { Cert = Pki.ServerEcdsaCert, Key = Pki.ServerEcdsaKey }],
            TicketKeyFile = keyFile,
            SessionCacheSize = 0, // only tickets can resume
        });
        var before = Path.Combine(_directory, "before.pem");
        var full = await CertificateReloadTests.RunOpenSslAsync(server, version, "-sess_out", before);
        Assert.True(File.Exists(before), full.ToString());
        Assert.Equal(oldKey[..32], await TicketKeyNameAsync(before));

        // Fleet step 1: the new key goes first, the old one stays second; then a reload on every instance.
        SniCertificates.ReplaceByRename(keyFile, $"# newest first\n{newKey}\n{oldKey}\n");
        Assert.True(await server.Reloader.ReloadAsync("test"), server.Reloader.LastError);

        var resumed = await CertificateReloadTests.RunOpenSslAsync(server, version, "-sess_in", before);
        Assert.True(resumed.StandardOutput.Contains("Reused, TLSv1."), resumed.ToString());

        var after = Path.Combine(_directory, "after.pem");
        var fresh = await CertificateReloadTests.RunOpenSslAsync(server, version, "-sess_out", after);
        Assert.True(File.Exists(after), fresh.ToString());
        Assert.Equal(newKey[..32], await TicketKeyNameAsync(after));

        // Last step, after the ticket lifetime: the old key is dropped, and its tickets no longer resume.
        SniCertificates.ReplaceByRename(keyFile, $"{newKey}\n");
        Assert.True(await server.Reloader.ReloadAsync("test"), server.Reloader.LastError);
        var expired = await CertificateReloadTests.RunOpenSslAsync(server, version, "-sess_in", before);
        Assert.True(expired.StandardOutput.Contains("New, TLSv1."), expired.ToString());
    }

    [Fact]
    public async Task A_bad_ticket_key_file_fails_the_reload_and_the_keys_stay()
    {
        var keyFile = Path.Combine(_directory, "ticket.keys");
        File.WriteAllLines(keyFile, [NewTicketKey()]);
        await using var server = await ReloadingServer.StartAsync(() => new BriskServerOptions
        {
            Listen = ["127.0.0.1:0"],
            Certificates = [new CertificateFiles { Cert = Pki.ServerEcdsaCert, Key = Pki.ServerEcdsaKey }],
            TicketKeyFile = keyFile,
        });
        var running = server.Live.Current.Tls.TicketKeys;
        SniCertificates.ReplaceByRename(keyFile, "not a key\n");
        Assert.False(await server.Reloader.ReloadAsync("test"));
        Assert.StartsWith("TicketKeyFile: ", server.Reloader.LastError);
        Assert.Same(running, server.Live.Current.Tls.TicketKeys);
    }

    [Fact]
    public async Task Config_file_change_is_watched_and_applied_and_a_broken_one_is_refused()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var certDir = Path.Combine(_directory, "certs");
        Directory.CreateDirectory(certDir);
        var defaultSha256 = SniCertificates.Write(certDir, "default", ["default.example.net"]);
        SniCertificates.Write(certDir, "known", ["known.example.net"]);
        var configFile = Path.Combine(_directory, "brisk.json");
        File.WriteAllText(configFile, $$"""{ "CertDir": "{{certDir}}", "UnknownSni": "default" }""");
        var source = new OptionsSource(_directory, "Production", new Dictionary<string, string?>
        {
            ["ConfigFile"] = configFile,
            ["Listen:0"] = "127.0.0.1:0",
        });
        await using var server = await ReloadingServer.StartAsync(source.Load, source.Files);

        var (before, beforeSha256) = await SniTests.ConnectAsync(server.Address, "unknown.example.net");
        Assert.True(before.StandardOutput.Contains("brisk TLSv1.3"), before.ToString());
        Assert.Equal(defaultSha256, beforeSha256);

        SniCertificates.ReplaceByRename(configFile, $$"""{ "CertDir": "{{certDir}}", "UnknownSni": "reject" }""");
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsSucceeded >= 1, "the config file reload");
        var (rejected, rejectedSha256) = await SniTests.ConnectAsync(server.Address, "unknown.example.net");
        Assert.Null(rejectedSha256);
        Assert.Contains("unrecognized name", rejected.StandardError, StringComparison.OrdinalIgnoreCase);

        // A syntax error keeps the running configuration; the message names the file.
        SniCertificates.ReplaceByRename(configFile, """{ "UnknownSni": "default", """);
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsFailed >= 1, "the failed reload");
        Assert.Contains("brisk.json", server.Reloader.LastError);
        var (stillRejected, _) = await SniTests.ConnectAsync(server.Address, "unknown.example.net");
        Assert.Contains("unrecognized name", stillRejected.StandardError, StringComparison.OrdinalIgnoreCase);

        // Repaired, then a certificate added to --cert-dir: the directory watch picks it up.
        SniCertificates.ReplaceByRename(configFile, $$"""{ "CertDir": "{{certDir}}", "UnknownSni": "reject" }""");
        await ReloadingServer.WaitForAsync(() => server.Reloader.ReloadsSucceeded >= 2, "the repaired config file reload");
        var addedSha256 = SniCertificates.Write(certDir, "added", ["added.example.net"]);
        await ReloadingServer.WaitForAsync(() => server.Live.Current.Tls.CertificateStore.Recognizes("added.example.net"), "the directory reload");
        var (added, addedSeen) = await SniTests.ConnectAsync(server.Address, "added.example.net");
        Assert.True(added.StandardOutput.Contains("brisk TLSv1.3"), added.ToString());
        Assert.Equal(addedSha256, addedSeen);
    }

    [Fact]
    public async Task Sighup_reloads_the_server_process()
    {
        if (!ExternalTool.Require("openssl") || OperatingSystem.IsWindows())
            return;
        var cert = Path.Combine(_directory, "site.crt");
        var key = Path.Combine(_directory, "site.key");
        var (firstCertificate, firstKey, firstSha256) = SniCertificates.Create("reload.test", ["reload.test"], rsa: false, ECDsa.Create(ECCurve.NamedCurves.nistP256));
        File.WriteAllText(cert, firstCertificate);
        File.WriteAllText(key, firstKey);

        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        // --watch off: only the signal can have caused the reload.
        foreach (var argument in new[] { Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll"), "--listen", "127.0.0.1:0", "--cert", cert, "--key", key, "--watch", "off" })
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var lines = Channel.CreateUnbounded<string>();
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
                lines.Writer.TryWrite(line);
            lines.Writer.Complete();
        });
        try
        {
            var listening = (await ReadUntilAsync(lines, l => l.StartsWith("listening on ", StringComparison.Ordinal)))["listening on ".Length..];
            var (before, beforeSha256) = await SniTests.ConnectAsync(listening, "reload.test");
            Assert.Equal(firstSha256, beforeSha256);

            var (secondCertificate, secondKey, secondSha256) = SniCertificates.Create("reload.test", ["reload.test"], rsa: false, ECDsa.Create(ECCurve.NamedCurves.nistP256));
            SniCertificates.ReplaceByRename(key, secondKey);
            SniCertificates.ReplaceByRename(cert, secondCertificate);
            Process.Start("kill", ["-HUP", process.Id.ToString()])!.WaitForExit();
            var reloaded = await ReadUntilAsync(lines, l => l.Contains("configuration reloaded", StringComparison.Ordinal));
            Assert.Contains("SIGHUP", reloaded);

            var (after, afterSha256) = await SniTests.ConnectAsync(listening, "reload.test");
            Assert.True(after.StandardOutput.Contains("brisk TLSv1.3"), after.ToString());
            Assert.Equal(secondSha256, afterSha256);
            Assert.False(process.HasExited);
        }
        finally
        {
            Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
            using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(exitWait.Token);
        }
        Assert.Equal(0, process.ExitCode);
    }

    private static async Task<string> ReadUntilAsync(Channel<string> lines, Func<string, bool> wanted)
    {
        using var guard = new CancellationTokenSource(ReloadingServer.Guard);
        while (true)
        {
            var line = await lines.Reader.ReadAsync(guard.Token);
            if (wanted(line))
                return line;
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
