using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Brisk.Server.ClientDirectory;
using Brisk.Server.Responders;
using Brisk.Server.Transport;
using Brisk.Tls;
using Brisk.Tls.Credentials;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Hosting;

/// <summary>
/// The hosted TLS server: its own accept loop per endpoint, a pipe pair per connection, the TLS handshake
/// under a timeout, then the responder. On stop it closes the listeners, lets in-flight connections
/// finish for the drain time, then aborts what is left.
/// </summary>
public sealed partial class BriskServer : IHostedService, IAsyncDisposable
{
    private readonly ServerConfiguration _configuration;
    private readonly ILogger<BriskServer> _logger;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<long, ActiveConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _nextConnectionId;

    // Backpressure: a peer that does not read pauses our writes at 64 KiB; unread input pauses the socket reads.
    private static readonly PipeOptions InputOptions = new(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);
    private static readonly PipeOptions OutputOptions = new(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024, useSynchronizationContext: false);

    /// <param name="loggerFactory">For components built with the configuration before logging existed (the directory check).</param>
    public BriskServer(ServerConfiguration configuration, ILogger<BriskServer> logger, ILoggerFactory? loggerFactory = null)
    {
        _configuration = configuration;
        _logger = logger;
        if (configuration.Tls.ClientCertificatePolicy is LdapClientCertificatePolicy directory && loggerFactory is not null)
            directory.Logger = loggerFactory.CreateLogger<LdapClientCertificatePolicy>();
    }

    /// <summary>The bound endpoints (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToList();

    public int ActiveConnections => _connections.Count;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var certificate in _configuration.Tls.Certificates)
            LogCertificate(_logger, certificate.KeyType.ToString(), certificate.Leaf.Subject, certificate.Sha256Fingerprint);
        LogRecordCrypto(_logger, _configuration.RecordCryptoDescription);
        if (_configuration.Tls.ClientCertificatePolicy is LdapClientCertificatePolicy directory)
        {
            var d = directory.Options;
            LogClientDirectory(_logger, d.Server.ToString(), d.Lookup.BaseDn, d.Lookup.Filter, d.BindDn ?? "anonymous",
                d.CacheTimeToLive.TotalSeconds, d.FailOpen ? "open" : "closed");
        }
        if (_configuration.UsesDevelopmentCertificates)
            Console.WriteLine("using generated development certificates (in memory, for localhost)");
        foreach (var certificate in _configuration.Tls.Certificates)
        {
            string engine = certificate.Key is RsaServerKey rsa ? $" rsa-engine {rsa.Engine.Name}" : "";
            Console.WriteLine($"certificate {certificate.KeyType} sha256 fingerprint {certificate.Sha256Fingerprint}{engine}");
        }

        foreach (var endpoint in _configuration.Endpoints)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
                    socket.DualMode = true;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                socket.Bind(endpoint);
                socket.Listen(_configuration.Backlog);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                throw new ConfigurationException($"Listen: cannot listen on {endpoint}: {ex.Message}", ex);
            }
            _listeners.Add(socket);
        }
        foreach (var listener in _listeners)
        {
            var bound = (IPEndPoint)listener.LocalEndPoint!;
            LogListening(_logger, bound.ToString());
            // The documented start signal that scripts and tests wait for.
            Console.WriteLine($"listening on {bound}");
            _acceptLoops.Add(AcceptLoopAsync(listener));
        }
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync(Socket listener)
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                // Transient accept failures (e.g. the peer reset before accept, descriptor exhaustion) must not end the loop.
                LogAcceptFailed(_logger, ex.SocketErrorCode.ToString());
                await Task.Delay(10).ConfigureAwait(false);
                continue;
            }
            socket.NoDelay = true;
            long id = Interlocked.Increment(ref _nextConnectionId);
            var connection = new SocketConnection(socket, InputOptions, OutputOptions);
            var active = new ActiveConnection(connection);
            _connections[id] = active;
            connection.Start();
            active.Task = Task.Run(() => HandleConnectionAsync(id, active));
        }
    }

    private async Task HandleConnectionAsync(long id, ActiveConnection active)
    {
        var transport = active.Transport;
        string connectionId = $"conn-{id} {active.ClientAddress}";
        try
        {
            await using var tls = new TlsServerConnection(_configuration.Tls, transport.Transport, _logger, connectionId);
            bool established;
            using (var handshakeTimeout = new CancellationTokenSource(_configuration.HandshakeTimeout))
            {
                established = await tls.HandshakeAsync(handshakeTimeout.Token).ConfigureAwait(false);
            }
            if (!established)
                return;
            active.Established = true;
            LogEstablished(_logger, connectionId, tls.Info.VersionName, tls.Info.CipherSuite.ToString(),
                tls.Info.Group?.ToString() ?? "rsa", tls.Info.ServerName ?? "-", tls.Info.ApplicationProtocol ?? "-",
                tls.Info.ClientIdentity is { } client ? $"{client.Subject} sha256={client.Sha256Thumbprint} san=[{string.Join(",", client.SubjectAlternativeNames)}]" : "-");
            var pump = tls.RunAsync(active.Aborted.Token);
            var context = new ConnectionContext(tls.Info, active.ClientAddress, transport.LocalEndPoint);
            var application = _configuration.Responder.RunAsync(context, tls.Application, active.Aborted.Token);
            await Task.WhenAll(pump, application).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Nothing a peer does may take the server down; anything reaching here is a bug worth a warning.
            LogConnectionError(_logger, ex, connectionId);
        }
        finally
        {
            await transport.DisposeAsync().ConfigureAwait(false);
            _connections.TryRemove(id, out _);
            LogClosed(_logger, connectionId, transport.CloseReason ?? "closed");
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        foreach (var listener in _listeners)
            listener.Dispose();
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);

        // Drain: in-flight handshakes and requests get a bounded time to finish.
        var pending = _connections.Values.Select(c => c.Task ?? Task.CompletedTask).ToArray();
        if (pending.Length > 0)
        {
            LogDraining(_logger, pending.Length, _configuration.DrainTimeout.TotalSeconds);
            var all = Task.WhenAll(pending);
            await Task.WhenAny(all, Task.Delay(_configuration.DrainTimeout, CancellationToken.None)).ConfigureAwait(false);
            foreach (var connection in _connections.Values)
            {
                connection.Aborted.Cancel();
                connection.Transport.Abort("server shutdown");
            }
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None)).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        (_configuration.Tls.ClientCertificatePolicy as IDisposable)?.Dispose();
    }

    private sealed class ActiveConnection(SocketConnection transport)
    {
        public SocketConnection Transport { get; } = transport;

        /// <summary>The client's address for logs, limits and the application: the socket peer unless a PROXY header says otherwise.</summary>
        public IPEndPoint? ClientAddress { get; set; } = transport.RemoteEndPoint;
        public CancellationTokenSource Aborted { get; } = new();
        public Task? Task { get; set; }
        public bool Established { get; set; }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "listening on {Endpoint}")]
    private static partial void LogListening(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "certificate {KeyType} {Subject} sha256 {Fingerprint}")]
    private static partial void LogCertificate(ILogger logger, string keyType, string subject, string fingerprint);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "accept failed: {Error}")]
    private static partial void LogAcceptFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4, Level = LogLevel.Debug, Message = "{ConnectionId} established {Version} {Suite} group={Group} sni={Sni} alpn={Alpn} client={Client}")]
    private static partial void LogEstablished(ILogger logger, string connectionId, string version, string suite, string group, string sni, string alpn, string client);

    [LoggerMessage(EventId = 5, Level = LogLevel.Debug, Message = "{ConnectionId} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "{ConnectionId} connection failed unexpectedly")]
    private static partial void LogConnectionError(ILogger logger, Exception exception, string connectionId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "record encryption: {Description}")]
    private static partial void LogRecordCrypto(ILogger logger, string description);

    [LoggerMessage(EventId = 326, Level = LogLevel.Information, Message = "client directory check: {Server} base={Base} filter={Filter} bind={Bind} cache-ttl={CacheTtl}s on-unreachable={OnUnreachable}")]
    private static partial void LogClientDirectory(ILogger logger, string server, string @base, string filter, string bind, double cacheTtl, string onUnreachable);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "draining {Count} connections for up to {Seconds}s")]
    private static partial void LogDraining(ILogger logger, int count, double seconds);
}
