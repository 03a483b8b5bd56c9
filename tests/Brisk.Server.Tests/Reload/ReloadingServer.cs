using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Server.Hosting;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brisk.Server.Tests.Reload;

/// <summary>An in-process server with its <see cref="ConfigurationReloader"/> started, as Program wires them.</summary>
internal sealed class ReloadingServer : IAsyncDisposable
{
    /// <summary>A failure guard only: a reload normally lands well within it; nothing asserts on time.</summary>
    public static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private ReloadingServer(BriskServer server, ConfigurationReloader reloader, LiveConfiguration live)
    {
        Server = server;
        Reloader = reloader;
        Live = live;
        Port = server.BoundEndpoints[0].Port;
    }

    public BriskServer Server { get; }

    public ConfigurationReloader Reloader { get; }

    public LiveConfiguration Live { get; }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    /// <param name="loadOptions">Called at start and on every reload, as <see cref="OptionsSource.Load"/> is.</param>
    public static async Task<ReloadingServer> StartAsync(Func<BriskServerOptions> loadOptions, IReadOnlyList<string>? configurationFiles = null)
    {
        var configuration = ServerConfiguration.Build(loadOptions());
        var live = new LiveConfiguration(configuration);
        var server = new BriskServer(configuration, NullLogger<BriskServer>.Instance, live);
        var reloader = new ConfigurationReloader(live, loadOptions, configurationFiles ?? [], NullLogger<ConfigurationReloader>.Instance)
        {
            Debounce = TimeSpan.FromMilliseconds(200),
        };
        await server.StartAsync(CancellationToken.None);
        await reloader.StartAsync(CancellationToken.None);
        return new ReloadingServer(server, reloader, live);
    }

    /// <summary>Polls <paramref name="condition"/> (a reload counter) until it holds; fails after <see cref="Guard"/>.</summary>
    public static async Task WaitForAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Guard;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"timed out waiting for {what}");
            await Task.Delay(25);
        }
    }

    /// <summary>
    /// A TLS connection (SslStream) that accepts any certificate and records it. Resumption is off: a resumed
    /// session (RFC 8446 §2.2) keeps the certificate of the handshake that issued its ticket, so only a full
    /// handshake shows which certificate the server presents now.
    /// </summary>
    public async Task<(SslStream Stream, string Sha256)> ConnectAsync(string serverName = "reload.test", SslProtocols protocols = SslProtocols.Tls13 | SslProtocols.Tls12)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", Port);
        var ssl = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false);
        await ssl.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = serverName,
            EnabledSslProtocols = protocols,
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is not null,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
            AllowTlsResume = false,
        });
        var sha256 = Convert.ToHexString(ssl.RemoteCertificate!.GetCertHash(HashAlgorithmName.SHA256));
        return (ssl, sha256);
    }

    public async Task<string> FingerprintOfNewConnectionAsync(string serverName = "reload.test")
    {
        var (ssl, sha256) = await ConnectAsync(serverName);
        await ssl.DisposeAsync();
        return sha256;
    }

    /// <summary>One keep-alive HTTP request on an established connection; returns the response.</summary>
    public static async Task<string> RequestAsync(SslStream ssl)
    {
        await ssl.WriteAsync("GET / HTTP/1.1\r\nHost: reload.test\r\n\r\n"u8.ToArray());
        return await Interop.SslStreamTests.ReadHttpResponseAsync(ssl);
    }

    public async ValueTask DisposeAsync()
    {
        await Reloader.StopAsync(CancellationToken.None);
        await Server.StopAsync(CancellationToken.None);
        await Server.DisposeAsync();
    }
}
