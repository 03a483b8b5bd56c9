using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Brisk.Server.ProxyProtocol;
using Brisk.Server.Responders;
using Brisk.Tls;
using Brisk.Tls.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brisk.Server.Backends;

/// <summary>Which PROXY protocol header, if any, starts each backend connection.</summary>
public enum OutgoingProxyProtocol
{
    Off,
    V1,
    V2,
}

/// <summary>
/// Forwards the decrypted stream of each connection to a TCP backend (chosen by <see cref="BackendRouter"/>)
/// and the backend's answer back, optionally after a PROXY protocol header. See <see cref="BackendBridge"/>
/// for the data path.
/// </summary>
public sealed partial class ForwardingResponder : IResponder
{
    public ForwardingResponder(BackendRouter router, OutgoingProxyProtocol proxyProtocol, TimeSpan connectTimeout)
    {
        Router = router;
        ProxyProtocol = proxyProtocol;
        ConnectTimeout = connectTimeout;
    }

    public string Name => "backend";

    public BackendRouter Router { get; }

    public OutgoingProxyProtocol ProxyProtocol { get; }

    public TimeSpan ConnectTimeout { get; }

    /// <summary>Set by the server at start (the responder is built with the configuration, before logging exists).</summary>
    internal ILogger Logger { get; set; } = NullLogger.Instance;

    public async Task RunAsync(ConnectionContext connection, IDuplexPipe application, CancellationToken cancellationToken)
    {
        var backend = Router.Select(connection.Tls);
        Socket? socket = await ConnectAsync(connection, backend, cancellationToken).ConfigureAwait(false);
        if (socket is null)
        {
            // No backend: end the client's connection cleanly (close_notify), the reason is in the log.
            await application.Input.CompleteAsync().ConfigureAwait(false);
            await application.Output.CompleteAsync().ConfigureAwait(false);
            return;
        }
        if (Logger.IsEnabled(LogLevel.Debug))
            LogForwarding(Logger, connection.ConnectionId, backend.ToString(), socket.RemoteEndPoint?.ToString() ?? "-", ProxyProtocol.ToString());
        var bridge = new BackendBridge(socket, application, connection, Logger);
        await bridge.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connects within <see cref="ConnectTimeout"/> and sends the PROXY header; null (logged) when that fails.</summary>
    private async Task<Socket?> ConnectAsync(ConnectionContext connection, BackendEndpoint backend, CancellationToken cancellationToken)
    {
        // A dual-mode socket reaches IPv4 and IPv6 backends alike, and host names resolve to either.
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ConnectTimeout);
        string? failure;
        try
        {
            await socket.ConnectAsync(backend.ToEndPoint(), timeout.Token).ConfigureAwait(false);
            socket.NoDelay = true;
            if (ProxyProtocol != OutgoingProxyProtocol.Off)
                await SendProxyHeaderAsync(socket, connection, timeout.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            failure = $"connect timed out after {ConnectTimeout.TotalSeconds}s";
        }
        catch (OperationCanceledException)
        {
            failure = "server stopping";
        }
        catch (SocketException ex)
        {
            failure = ex.SocketErrorCode.ToString();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or ArgumentException)
        {
            failure = ex.Message;
        }
        socket.Dispose();
        LogBackendConnectFailed(Logger, connection.ConnectionId, backend.ToString(), failure);
        return null;
    }

    private async ValueTask SendProxyHeaderAsync(Socket socket, ConnectionContext connection, CancellationToken cancellationToken)
    {
        var tls = ProxyProtocol == OutgoingProxyProtocol.V2 ? DescribeTls(connection.Tls) : null;
        int length = ProxyProtocol == OutgoingProxyProtocol.V1
            ? ProxyHeaderWriter.MaxV1Length
            : ProxyHeaderWriter.GetV2Length(connection.ClientAddress, connection.LocalAddress, tls, crc32c: true);
        // Owned here for the one send; the header is sent whole before any client data (§2.1: "at once").
        byte[] header = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            int written = ProxyProtocol == OutgoingProxyProtocol.V1
                ? ProxyHeaderWriter.WriteV1(header, connection.ClientAddress, connection.LocalAddress)
                : ProxyHeaderWriter.WriteV2(header, connection.ClientAddress, connection.LocalAddress, tls, crc32c: true);
            var remaining = header.AsMemory(0, written);
            while (!remaining.IsEmpty)
                remaining = remaining[await socket.SendAsync(remaining, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(header);
        }
    }

    /// <summary>The v2 TLS TLVs: version, cipher (OpenSSL's name, as the spec's example), SNI, ALPN, client CN.</summary>
    internal static ProxyTlsInfo DescribeTls(TlsConnectionInfo tls)
    {
        var client = tls.ClientIdentity;
        string? commonName = client?.Certificate.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, forIssuer: false);
        return new ProxyTlsInfo(
            tls.ApplicationProtocol,
            tls.ServerName,
            tls.VersionName,
            OpenSslCipherName(tls.CipherSuite),
            string.IsNullOrEmpty(commonName) ? null : commonName,
            // A resumed session did not see the certificate on this connection, only earlier in the session.
            ClientCertificateOnConnection: client is not null && !tls.Resumed,
            ClientCertificateInSession: client is not null);
    }

    /// <summary>OpenSSL's names for the TLS 1.2 suites (what backends behind haproxy or stunnel expect); TLS 1.3 names are the IANA ones.</summary>
    internal static string OpenSslCipherName(CipherSuite suite) => suite switch
    {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256 => "ECDHE-RSA-CHACHA20-POLY1305",
        CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256 => "AES128-GCM-SHA256",
        CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384 => "AES256-GCM-SHA384",
        _ => suite.ToString(),
    };

    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "{ConnectionId} forwarding to {Backend} ({Resolved}) proxy-protocol={ProxyProtocol}")]
    private static partial void LogForwarding(ILogger logger, string connectionId, string backend, string resolved, string proxyProtocol);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "{ConnectionId} backend {Backend} unreachable: {Reason}; closing the client connection")]
    private static partial void LogBackendConnectFailed(ILogger logger, string connectionId, string backend, string reason);
}
