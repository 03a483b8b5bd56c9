using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>
/// Headless Chromium (BoringSSL) loading a page from the http responder. Chromium offers an
/// X25519MLKEM768 key share first: the server must pass over it and use the x25519 share. Chromium never
/// reaches beyond loopback: a dead proxy and a resolver that maps every name but localhost to nothing.
/// </summary>
public sealed class ChromiumTests
{
    private static async Task<ToolResult> LoadAsync(ServerFixture server, params string[] extra)
    {
        var profile = Directory.CreateTempSubdirectory("brisk-chromium-");
        try
        {
            string[] arguments =
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--no-pings", $"--user-data-dir={profile.FullName}",
                "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=localhost",
                "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost",
                "--ignore-certificate-errors", .. extra,
                "--dump-dom", $"https://localhost:{server.Port}/",
            ];
            return await ExternalTool.RunAsync("chromium", arguments, timeout: TimeSpan.FromSeconds(90));
        }
        finally
        {
            try { profile.Delete(recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Loads_page_over_tls13()
    {
        if (!ExternalTool.Require("chromium"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await LoadAsync(server);
        // --dump-dom exits 0 even when the handshake fails, so the page content is what counts.
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.3 TLS_AES_128_GCM_SHA256"), result.ToString());
    }

    [Fact]
    public async Task Loads_page_over_tls12()
    {
        if (!ExternalTool.Require("chromium"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await LoadAsync(server, "--ssl-version-max=tls1.2");
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.2 TLS_ECDHE_"), result.ToString());
    }
}
