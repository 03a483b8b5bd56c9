using Brisk.Server.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brisk.Server.Tests.Infrastructure;

/// <summary>An in-process Brisk server on an ephemeral loopback port, configured like the command line would.</summary>
public sealed class ServerFixture : IAsyncDisposable
{
    private readonly BriskServer _server;

    private ServerFixture(BriskServer server, ServerConfiguration configuration)
    {
        _server = server;
        Configuration = configuration;
        Port = server.BoundEndpoints[0].Port;
    }

    public int Port { get; }

    public string Address => $"127.0.0.1:{Port}";

    public ServerConfiguration Configuration { get; }

    public BriskServer Server => _server;

    /// <summary>Starts a server with both test certificates (RSA and ECDSA) unless the options name others.</summary>
    public static async Task<ServerFixture> StartAsync(Action<BriskServerOptions>? configure = null, ILoggerFactory? loggerFactory = null)
    {
        var certificates = TestCertificates.Instance;
        var options = new BriskServerOptions
        {
            Listen = ["127.0.0.1:0"],
            Certificates =
            [
                new CertificateFiles { Cert = certificates.ServerRsaCert, Key = certificates.ServerRsaKey },
                new CertificateFiles { Cert = certificates.ServerEcdsaCert, Key = certificates.ServerEcdsaKey },
            ],
        };
        configure?.Invoke(options);
        var configuration = ServerConfiguration.Build(options);
        var server = new BriskServer(configuration, (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<BriskServer>());
        await server.StartAsync(CancellationToken.None);
        return new ServerFixture(server, configuration);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.StopAsync(CancellationToken.None);
        await _server.DisposeAsync();
    }
}
