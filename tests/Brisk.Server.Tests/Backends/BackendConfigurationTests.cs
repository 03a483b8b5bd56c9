using System.Diagnostics;
using System.Net;
using Brisk.Server.Backends;
using Brisk.Server.Hosting;
using Brisk.Server.Responders;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Tls;
using Microsoft.Extensions.Configuration;

namespace Brisk.Server.Tests.Backends;

/// <summary>
/// The backend and PROXY protocol options: flags → configuration keys → validated listeners, the errors that
/// name the key, and the real process in front of nginx as the README shows it.
/// </summary>
[Collection(NginxCollection.Name)]
public sealed class BackendConfigurationTests(NginxFixture nginx)
{
    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll");

    /// <summary>The command line as Program binds it (flags → keys → options), then validated.</summary>
    private static ServerConfiguration Build(params string[] arguments)
    {
        Assert.True(CommandLine.TryParse(arguments, out var settings, out var error, out _), error);
        var options = new BriskServerOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().Bind(options);
        return ServerConfiguration.Build(options);
    }

    private static BackendRouter Router(ListenerConfiguration listener) => Assert.IsType<ForwardingResponder>(listener.Responder).Router;

    [Fact]
    public void One_backend_serves_every_listen()
    {
        var configuration = Build("--listen", "127.0.0.1:0", "--listen", "[::1]:0", "--backend", "tcp://backend.internal:8080", "--proxy-protocol", "v2");
        Assert.Equal(2, configuration.Listeners.Count);
        Assert.All(configuration.Listeners, l =>
        {
            Assert.Equal(new BackendEndpoint("backend.internal", 8080), Router(l).Default);
            Assert.Equal(OutgoingProxyProtocol.V2, ((ForwardingResponder)l.Responder).ProxyProtocol);
            Assert.False(l.AcceptProxyProtocol);
        });
    }

    [Fact]
    public void The_ith_backend_pairs_with_the_ith_listen_and_routes_apply_to_all()
    {
        var configuration = Build("--listen", "127.0.0.1:0", "--backend", "tcp://127.0.0.1:9001", "--listen", "127.0.0.1:0",
            "--backend", "tcp://[::1]:9002", "--route", "sni=api.example.com=tcp://127.0.0.1:9003", "--route=alpn=h2=tcp://127.0.0.1:9004",
            "--alpn", "h2,http/1.1", "--accept-proxy-protocol", "on");
        Assert.Equal("tcp://127.0.0.1:9001", Router(configuration.Listeners[0]).Default.ToString());
        Assert.Equal("tcp://[::1]:9002", Router(configuration.Listeners[1]).Default.ToString());
        Assert.All(configuration.Listeners, l =>
        {
            Assert.True(l.AcceptProxyProtocol);
            Assert.Equal(["sni=api.example.com=tcp://127.0.0.1:9003", "alpn=h2=tcp://127.0.0.1:9004"], Router(l).Routes.Select(r => r.ToString()));
        });
    }

    [Fact]
    public void Without_backend_the_responder_serves_as_before()
    {
        var configuration = Build("--listen", "127.0.0.1:0", "--responder", "echo");
        Assert.IsType<EchoResponder>(Assert.Single(configuration.Listeners).Responder);
        Assert.Equal([new IPEndPoint(IPAddress.Loopback, 0)], configuration.Endpoints);
    }

    [Fact]
    public void Listeners_from_appsettings_each_with_their_own_backend_and_settings()
    {
        var options = new BriskServerOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ProxyProtocol"] = "v1",
            ["Listeners:0:Listen"] = "127.0.0.1:0",
            ["Listeners:0:Backend"] = "tcp://127.0.0.1:9001",
            ["Listeners:0:Routes:0"] = "sni=*.example.com=tcp://127.0.0.1:9005",
            ["Listeners:1:Listen"] = "127.0.0.1:0",
            ["Listeners:1:Backend"] = "tcp://127.0.0.1:9002",
            ["Listeners:1:ProxyProtocol"] = "off",
            ["Listeners:1:AcceptProxyProtocol"] = "on",
            ["Listeners:2:Listen"] = "127.0.0.1:0",
        }).Build().Bind(options);
        var configuration = ServerConfiguration.Build(options);
        Assert.Equal(3, configuration.Listeners.Count); // no default 127.0.0.1:8443 besides them
        var first = Assert.IsType<ForwardingResponder>(configuration.Listeners[0].Responder);
        Assert.Equal(OutgoingProxyProtocol.V1, first.ProxyProtocol);
        var route = Assert.Single(first.Router.Routes);
        Assert.True(route.Matches(new TlsConnectionInfoBuilder("www.example.com").Info));
        Assert.False(route.Matches(new TlsConnectionInfoBuilder("example.com").Info));
        var second = Assert.IsType<ForwardingResponder>(configuration.Listeners[1].Responder);
        Assert.Equal(OutgoingProxyProtocol.Off, second.ProxyProtocol);
        Assert.True(configuration.Listeners[1].AcceptProxyProtocol);
        Assert.IsType<HttpResponder>(configuration.Listeners[2].Responder);
    }

    [Theory]
    [InlineData(new[] { "--backend", "http://127.0.0.1:80" }, "Backend:0: 'http://127.0.0.1:80' is not tcp://HOST:PORT")]
    [InlineData(new[] { "--backend", "tcp://127.0.0.1" }, "Backend:0: 'tcp://127.0.0.1' has no port")]
    [InlineData(new[] { "--backend", "tcp://::1:80" }, "Backend:0: 'tcp://::1:80' is not tcp://HOST:PORT (IPv6 literals go in brackets)")]
    [InlineData(new[] { "--listen", "127.0.0.1:1", "--listen", "127.0.0.1:2", "--listen", "127.0.0.1:3", "--backend", "tcp://a:1", "--backend", "tcp://b:2" }, "Backend: 2 backends for 3 --listen endpoints")]
    [InlineData(new[] { "--route", "sni=a.example=tcp://a:1" }, "Route: routes need a default Backend")]
    [InlineData(new[] { "--backend", "tcp://a:1", "--route", "host=a.example=tcp://a:1" }, "Route:0: 'host=a.example=tcp://a:1' is not sni=NAME=tcp://HOST:PORT or alpn=PROTOCOL=tcp://HOST:PORT")]
    [InlineData(new[] { "--backend", "tcp://a:1", "--route", "sni=a..b=tcp://a:1" }, "Route:0: 'a..b' in 'sni=a..b=tcp://a:1' is not a host name")]
    [InlineData(new[] { "--backend", "tcp://a:1", "--alpn", "http/1.1", "--route", "alpn=h2=tcp://a:2" }, "Alpn: a route selects on ALPN 'h2', which is not offered")]
    [InlineData(new[] { "--proxy-protocol", "v3", "--backend", "tcp://a:1" }, "ProxyProtocol: 'v3' is not off, v1 or v2")]
    [InlineData(new[] { "--proxy-protocol", "v2" }, "ProxyProtocol: set, but no listener has a Backend")]
    [InlineData(new[] { "--accept-proxy-protocol", "maybe" }, "AcceptProxyProtocol: 'maybe' is not on or off")]
    [InlineData(new[] { "--backend", "tcp://a:1", "--backend-connect-timeout", "soon" }, "BackendConnectTimeout: 'soon' is not a duration")]
    [InlineData(new[] { "--backend" }, "option --backend needs a value")]
    public async Task Bad_backend_options_give_one_line_naming_the_key(string[] arguments, string expected)
    {
        var result = await ExternalTool.RunAsync("dotnet", [ServerDll, .. arguments], timeout: TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", result.All);
    }

    [Fact]
    public async Task Help_lists_the_backend_flags()
    {
        var result = await ExternalTool.RunAsync("dotnet", [ServerDll, "--help"]);
        foreach (var flag in new[] { "--backend", "--route", "--proxy-protocol", "--accept-proxy-protocol", "--backend-connect-timeout" })
            Assert.Contains(flag, result.StandardOutput);
    }

    /// <summary>The README's worked example, as a real process: Brisk in front of nginx with the PROXY protocol.</summary>
    [Fact]
    public async Task Readme_example_brisk_process_in_front_of_nginx()
    {
        if (!nginx.Available || !ExternalTool.Require("curl"))
            return;
        var pki = TestCertificates.Instance;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { ServerDll, "--listen", "127.0.0.1:0", "--cert", pki.ServerRsaCert, "--key", pki.ServerRsaKey,
                     "--backend", $"tcp://localhost:{nginx.PortProxy}", "--proxy-protocol", "v1" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            string? listening = null;
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while (listening is null)
                {
                    var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                    Assert.NotNull(line);
                    if (line.StartsWith("listening on ", StringComparison.Ordinal))
                        listening = line["listening on ".Length..];
                }
            }
            int port = IPEndPoint.Parse(listening).Port;
            string marker = $"/readme-{Guid.NewGuid():N}";
            var result = await ExternalTool.RunAsync("curl", ["-sS", "--cacert", pki.ServerRsaCert, "--resolve", $"localhost:{port}:127.0.0.1", $"https://localhost:{port}{marker}"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            Assert.StartsWith("nginx-proxy 127.0.0.1 ", result.StandardOutput);
            Assert.NotNull(await nginx.FindProxyLogLineAsync(marker));
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    /// <summary>A TlsConnectionInfo with just a server name (its setters are internal to Brisk.Tls).</summary>
    private sealed class TlsConnectionInfoBuilder
    {
        public TlsConnectionInfoBuilder(string serverName)
        {
            typeof(TlsConnectionInfo).GetProperty(nameof(TlsConnectionInfo.ServerName))!.SetValue(Info, serverName);
        }

        public TlsConnectionInfo Info { get; } = new();
    }
}
