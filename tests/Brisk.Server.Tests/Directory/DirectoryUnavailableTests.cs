using System.Net;
using System.Net.Sockets;
using Brisk.Server.Tests.Infrastructure;
using static Brisk.Server.Tests.ClientDirectory.DirectoryEndToEndTests;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// The directory going away under a running server (its own slapd, stopped and started again here): fail closed
/// by default, fail open when configured, and back to normal once the directory returns. Nothing is cached here
/// (TTL 0), so every handshake asks.
/// </summary>
public sealed class DirectoryUnavailableTests
{
    private static DirectoryPki Pki => DirectoryPki.Instance;

    [Theory]
    [InlineData("-tls1_2")]
    [InlineData("-tls1_3")]
    public async Task Stopped_directory_fails_closed_then_recovers(string version)
    {
        await using var slapd = await SlapdServer.StartAsync();
        if (slapd is null)
            return;
        var listed = Pki.Client("unavailable-listed", "unavailable listed");
        await slapd.AddPersonAsync("uid=listed", "unavailable listed", null, listed.Der);
        await using var server = await StartServerAsync(slapd, o => o.ClientDirectoryCacheTtl = "0");
        using var metrics = new DirectoryMetrics(Policy(server).Meter);

        AssertAdmitted(await ConnectAsync(server, version, listed), version);
        await slapd.StopAsync();
        // The pooled connection is dead and a new one is refused: internal_error, not the client's fault.
        AssertRefused(await ConnectAsync(server, version, listed), "internal error");
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=unreachable"));

        await slapd.RunAsync();
        AssertAdmitted(await ConnectAsync(server, version, listed), version);
        Assert.Equal(2, metrics.Count("brisk.directory.lookups", "result=listed"));
    }

    [Fact]
    public async Task Stopped_directory_fails_open_when_configured_but_still_refuses_unlisted_certificates_while_up()
    {
        await using var slapd = await SlapdServer.StartAsync();
        if (slapd is null)
            return;
        var unlisted = Pki.Client("unavailable-unlisted", "unavailable unlisted");
        await using var server = await StartServerAsync(slapd, o =>
        {
            o.ClientDirectoryCacheTtl = "0";
            o.ClientDirectoryOnUnreachable = "open";
        });
        using var metrics = new DirectoryMetrics(Policy(server).Meter);
        AssertRefused(await ConnectAsync(server, "-tls1_3", unlisted), "certificate unknown");
        await slapd.StopAsync();
        AssertAdmitted(await ConnectAsync(server, "-tls1_3", unlisted), "-tls1_3");
        Assert.Equal(1, metrics.Count("brisk.directory.decisions", "decision=fail_open"));
    }

    [Fact]
    public async Task Directory_that_never_listened_fails_closed()
    {
        if (SlapdServer.Locate() is null && !ExternalTool.IsCi)
            return;
        if (!ExternalTool.Require("openssl"))
            return;
        // A loopback port nobody listens on: connection refused.
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        await using var server = await Infrastructure.ServerFixture.StartAsync(o =>
        {
            o.ClientAuth = "require";
            o.ClientCa = Pki.CaFile;
            o.ClientDirectory = $"ldap://127.0.0.1:{port}";
            o.ClientDirectoryBase = SlapdServer.People;
        });
        using var metrics = new DirectoryMetrics(Policy(server).Meter);
        AssertRefused(await ConnectAsync(server, "-tls1_3", Pki.Client("nowhere", "nowhere")), "internal error");
        Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=unreachable"));
    }
}
