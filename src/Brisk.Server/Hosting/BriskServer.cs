using System.Collections.Concurrent;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Brisk.Crypto.KeyExchange;
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
    // The configuration as started: endpoints, backlog and drain (what a reload cannot change).
    private readonly ServerConfiguration _configuration;
    // What each new connection starts with; a reload swaps it (see ConfigurationReloader).
    private readonly LiveConfiguration _live;
    private readonly ILogger<BriskServer> _logger;
    private readonly List<Socket> _listeners = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<long, ActiveConnection> _connections = new();
    private readonly CancellationTokenSource _stopping = new();
    private long _nextConnectionId;

    // Backpressure: a peer that does not read pauses our writes at 64 KiB; unread input pauses the socket reads.
    // Inline (--inline-completions): the reader's continuation runs in the writer's flush and the writer's in the
    // reader's AdvanceTo, so a socket read, the TLS step it feeds and the send it produces stay on one thread.
    private readonly PipeOptions _socketPipeOptions; // both directions of every connection's transport
    // For the plaintext (application) pipes of each TlsServerConnection; null: the thread pool.
    private readonly PipeScheduler? _applicationScheduler;

    /// <param name="live">The reloadable configuration; when null, <paramref name="configuration"/> is used for the server's life.</param>
    /// <param name="loggerFactory">For components built with the configuration before logging existed (the directory check).</param>
    public BriskServer(ServerConfiguration configuration, ILogger<BriskServer> logger, LiveConfiguration? live = null, ILoggerFactory? loggerFactory = null)
    {
        _live = live ?? new LiveConfiguration(configuration);
        _configuration = _live.Current;
        _logger = logger;
        var scheduler = _configuration.InlineCompletions ? PipeScheduler.Inline : PipeScheduler.ThreadPool;
        _socketPipeOptions = new(pool: PinnedBlockMemoryPool.Shared, readerScheduler: scheduler, writerScheduler: scheduler,
            pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024,
            minimumSegmentSize: PinnedBlockMemoryPool.BlockSize, useSynchronizationContext: false);
        _applicationScheduler = _configuration.InlineCompletions ? PipeScheduler.Inline : null;
        if (loggerFactory is not null)
        {
            AttachDirectoryLogger(_configuration, loggerFactory);
            // A reload builds a new directory check (with an empty cache); it logs like the first one.
            _live.Swapped += next => AttachDirectoryLogger(next, loggerFactory);
        }
    }

    /// <summary>The bound endpoints (with the real port when 0 was asked for).</summary>
    public IReadOnlyList<IPEndPoint> BoundEndpoints => _listeners.Select(l => (IPEndPoint)l.LocalEndPoint!).ToList();

    public int ActiveConnections => _connections.Count;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // Each certificate on its own line while that stays readable; a --cert-dir of thousands gets a summary.
        var store = _configuration.Tls.CertificateStore;
        var listed = store.All.Count <= ListedCertificates ? store.All : store.Default;
        foreach (var certificate in listed)
            LogCertificate(_logger, certificate.KeyType.ToString(), certificate.Leaf.Subject, certificate.Sha256Fingerprint);
        LogCertificateStore(_logger, store.All.Count, store.NameCount, store.Default.Count, store.UnknownNames.ToString());
        LogRecordCrypto(_logger, _configuration.RecordCryptoDescription);
        LogKeyExchange(_logger, _configuration.Tls.KeyExchange.Name);
        if (_configuration.Tls.KeyExchange is NativeKeyExchangeProvider native)
            LogX25519Derivation(_logger, native.X25519DerivationPath);
        LogInlineCompletions(_logger, _configuration.InlineCompletions ? "on" : "off", InlineCompletionsSwitch.Description, Environment.ProcessorCount);
        if (_configuration.Tls.ClientCertificatePolicy is LdapClientCertificatePolicy directory)
        {
            var d = directory.Options;
            LogClientDirectory(_logger, d.Server.ToString(), d.Lookup.BaseDn, d.Lookup.Filter, d.BindDn ?? "anonymous",
                d.CacheTimeToLive.TotalSeconds, d.FailOpen ? "open" : "closed");
        }
        if (_configuration.UsesDevelopmentCertificates)
            Console.WriteLine("using generated development certificates (in memory, for localhost)");
        foreach (var certificate in listed)
        {
            string engine = certificate.Key switch
            {
                RsaServerKey rsa => $" rsa-engine {rsa.Engine.Name}",
                // The key never leaves the token, so no RSA engine (batched or not) can serve it.
                Pkcs11.Pkcs11ServerKey hsm => $" key {hsm.Description} (PKCS#11, {hsm.SessionCount} sessions; batched RSA engines do not apply)",
                _ => "",
            };
            if (certificate.Key is Pkcs11.Pkcs11ServerKey hsmKey)
            {
                hsmKey.Logger = _logger;
                Pkcs11.Pkcs11ServerKey.LogKeyInUse(_logger, hsmKey.Description, hsmKey.KeyType.ToString(), hsmKey.SessionCount);
            }
            Console.WriteLine($"certificate {certificate.KeyType} sha256 fingerprint {certificate.Sha256Fingerprint}{engine}");
        }
        if (listed.Count < store.All.Count)
            Console.WriteLine($"{store.All.Count} certificates for {store.NameCount} names (the {listed.Count} of the default set listed above)");
        StartOperations();

        foreach (var endpoint in _configuration.Endpoints)
        {
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                if (endpoint.AddressFamily == AddressFamily.InterNetworkV6 && endpoint.Address.Equals(IPAddress.IPv6Any))
                    socket.DualMode = true;
                socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                // Linux copies TCP_NODELAY from the listening socket to every accepted one: one setsockopt here
                // instead of one per connection (the accept loop sets it per connection elsewhere).
                socket.NoDelay = true;
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
        AttachBackendLoggers();
        for (int i = 0; i < _listeners.Count; i++)
        {
            var listener = _listeners[i];
            var bound = (IPEndPoint)listener.LocalEndPoint!;
            LogListening(_logger, bound.ToString());
            // The documented start signal that scripts and tests wait for.
            Console.WriteLine($"listening on {bound}");
            _acceptLoops.Add(AcceptLoopAsync(listener, _configuration.Listeners[i]));
        }
        return Task.CompletedTask;
    }

    private async Task AcceptLoopAsync(Socket listener, ListenerConfiguration listenerConfiguration)
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
            if (!TryAdmitConnection(socket))
                continue;
            if (!OperatingSystem.IsLinux())
                socket.NoDelay = true;
            long id = Interlocked.Increment(ref _nextConnectionId);
            var connection = new SocketConnection(socket, _socketPipeOptions, _socketPipeOptions, _metrics);
            var active = new ActiveConnection(connection);
            _connections[id] = active;
            connection.Start();
            // A thread-pool item per connection, also with inline completions. Started inline, a connection whose bytes
            // are always already there (inline pipes complete every await synchronously) runs its whole life inside this
            // loop: no accept meanwhile, and a stop waiting for the loop found the connection already gone instead of
            // draining it (ServiceLifeTests caught it). After this one hop its socket events run inline.
            active.Task = Task.Run(() => HandleConnectionAsync(id, active, listenerConfiguration));
        }
    }

    private async Task HandleConnectionAsync(long id, ActiveConnection active, ListenerConfiguration listener)
    {
        var transport = active.Transport;
        string connectionId = $"conn-{id} {active.ClientAddress}";
        // Read once: this connection keeps these certificates and keys even if a reload swaps them meanwhile.
        var configuration = _live.Current;
        try
        {
            using var handshakeTimeout = new CancellationTokenSource(configuration.HandshakeTimeout);
            // The PROXY header from a load balancer comes before TLS, within the same timeout (BriskServer.ProxyProtocol.cs).
            if (listener.AcceptProxyProtocol)
            {
                if (!await AcceptProxyHeaderAsync(active, connectionId, handshakeTimeout.Token).ConfigureAwait(false))
                    return;
                connectionId = $"conn-{id} {active.ClientAddress}";
            }
            await using var tls = new TlsServerConnection(configuration.Tls, transport.Transport, _logger, connectionId, _applicationScheduler);
            active.Tls = tls;
            bool established;
            // Limits (BriskServer.Operations.cs) run here, after any PROXY header: they see the real client address.
            // The admission (a concurrent-handshake slot) is released as soon as the handshake ends.
            using (var admission = await AdmitHandshakeAsync(active, connectionId, handshakeTimeout.Token).ConfigureAwait(false))
            {
                if (!admission.Admitted)
                    return;
                established = await tls.HandshakeAsync(handshakeTimeout.Token).ConfigureAwait(false);
                RecordHandshake(active, tls, connectionId, established, handshakeTimeout.IsCancellationRequested, admission.StartTimestamp);
            }
            if (!established)
                return;
            active.Established = true;
            LogEstablished(_logger, connectionId, tls.Info.VersionName, tls.Info.CipherSuite.ToString(),
                tls.Info.Group?.ToString() ?? "rsa", tls.Info.ServerName ?? "-", tls.Info.ApplicationProtocol ?? "-",
                tls.Info.ClientIdentity is { } client ? $"{client.Subject} sha256={client.Sha256Thumbprint} san=[{string.Join(",", client.SubjectAlternativeNames)}]" : "-");
            var pump = tls.RunAsync(active.Aborted.Token);
            var context = new ConnectionContext(tls.Info, active.ClientAddress, active.LocalAddress)
            {
                ConnectionId = connectionId,
                AbortClient = transport.Reset,
            };
            // The listener's responder (its backend, or the configured responder); a reload swaps only the TLS part.
            var application = listener.Responder.RunAsync(context, tls.Application, active.Aborted.Token);
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
            OnConnectionClosed(active);
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
        await StopOperationsAsync().ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopping.IsCancellationRequested)
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        // HSM keys hold token sessions (and the loaded module): closed once no handshake can use them.
        // (A reload that replaced HSM-held certificates leaves the replaced keys' sessions open until here, too: see README.)
        foreach (var certificate in _configuration.Tls.Certificates.Concat(_live.Current.Tls.Certificates).Distinct())
            (certificate.Key as IDisposable)?.Dispose();
        _metrics.Dispose();
        // The directory check's pooled LDAP connections (the one started with, and the one a reload put in place).
        (_configuration.Tls.ClientCertificatePolicy as IDisposable)?.Dispose();
        if (!ReferenceEquals(_live.Current.Tls.ClientCertificatePolicy, _configuration.Tls.ClientCertificatePolicy))
            (_live.Current.Tls.ClientCertificatePolicy as IDisposable)?.Dispose();
    }

    private static void AttachDirectoryLogger(ServerConfiguration configuration, ILoggerFactory loggerFactory)
    {
        if (configuration.Tls.ClientCertificatePolicy is LdapClientCertificatePolicy directory)
            directory.Logger = loggerFactory.CreateLogger<LdapClientCertificatePolicy>();
    }

    private sealed class ActiveConnection(SocketConnection transport)
    {
        public SocketConnection Transport { get; } = transport;

        /// <summary>The client's address for logs, limits and the application: the socket peer unless a PROXY header says otherwise.</summary>
        public IPEndPoint? ClientAddress { get; set; } = transport.RemoteEndPoint;

        /// <summary>The address the client connected to: the socket's local endpoint unless a PROXY header names the original destination.</summary>
        public IPEndPoint? LocalAddress { get; set; } = transport.LocalEndPoint;
        public CancellationTokenSource Aborted { get; } = new();
        public Task? Task { get; set; }
        public bool Established { get; set; }

        // For limits, metrics and the access log (BriskServer.Operations.cs).
        public long StartTimestamp { get; } = System.Diagnostics.Stopwatch.GetTimestamp();
        public TlsServerConnection? Tls { get; set; }
        public string? HandshakeResult { get; set; }
        public string? CloseReason { get; set; }
        public long IdleCloseStarted { get; set; }
    }

    private const int ListedCertificates = 16;

    [LoggerMessage(EventId = 247, Level = LogLevel.Information, Message = "{Certificates} certificates for {Names} names; default set {Defaults}; unknown server names: {Policy}")]
    private static partial void LogCertificateStore(ILogger logger, int certificates, int names, int defaults, string policy);

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

    // "native" = Brisk's X25519 kernel (libbrisk_native.so) with libcrypto for the NIST curves; "libcrypto" without it.
    [LoggerMessage(EventId = 470, Level = LogLevel.Information, Message = "key exchange: {Provider}")]
    private static partial void LogKeyExchange(ILogger logger, string provider);

    // Whether the server's X25519 derivations are batched into the 8-lane IFMA kernel, or why not (scalar kernel).
    [LoggerMessage(EventId = 490, Level = LogLevel.Information, Message = "x25519 derivation: {Path}")]
    private static partial void LogX25519Derivation(ILogger logger, string path);

    [LoggerMessage(EventId = 326, Level = LogLevel.Information, Message = "client directory check: {Server} base={Base} filter={Filter} bind={Bind} cache-ttl={CacheTtl}s on-unreachable={OnUnreachable}")]
    private static partial void LogClientDirectory(ILogger logger, string server, string @base, string filter, string bind, double cacheTtl, string onUnreachable);

    [LoggerMessage(EventId = 440, Level = LogLevel.Information, Message = "inline completions: {Mode} (socket completions: {Sockets}; {Cpus} CPUs)")]
    private static partial void LogInlineCompletions(ILogger logger, string mode, string sockets, int cpus);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "draining {Count} connections for up to {Seconds}s")]
    private static partial void LogDraining(ILogger logger, int count, double seconds);
}
