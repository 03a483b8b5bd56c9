using System.IO.Pipelines;
using Brisk.Server.Backends;
using Brisk.Server.ProxyProtocol;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Hosting;

/// <summary>The PROXY protocol in front of TLS (--accept-proxy-protocol) and the backends' logging.</summary>
public sealed partial class BriskServer
{
    /// <summary>
    /// Reads the PROXY v1/v2 header a load balancer sends before the TLS handshake, straight from the transport
    /// pipe (the parser looks at the pipe's own segments; nothing is copied to the heap), and consumes exactly
    /// the header, leaving the ClientHello behind it for the TLS layer. The real client's address replaces the
    /// socket peer for logs, limits and the outgoing PROXY header. False (logged at Debug) when the header is
    /// missing, malformed, oversized or late: the caller closes the connection without a TLS alert (it is not TLS yet).
    /// </summary>
    private async ValueTask<bool> AcceptProxyHeaderAsync(ActiveConnection active, string connectionId, CancellationToken cancellationToken)
    {
        var input = active.Transport.Transport.Input;

        // Nothing will be sent: completing the output lets the transport send its FIN and close at once
        // (rather than wait for output that never comes).
        async ValueTask<bool> RejectAsync(string reason)
        {
            LogProxyHeaderRejected(_logger, connectionId, reason);
            await active.Transport.Transport.Output.CompleteAsync().ConfigureAwait(false);
            await input.CompleteAsync().ConfigureAwait(false);
            return false;
        }

        while (true)
        {
            ReadResult result;
            try
            {
                result = await input.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return await RejectAsync("no complete PROXY header within the handshake timeout").ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException)
            {
                return await RejectAsync($"connection failed before the PROXY header: {ex.Message}").ConfigureAwait(false);
            }
            var buffer = result.Buffer;
            var status = ProxyHeaderParser.TryParse(buffer, out var header, out var end, out var error);
            if (status == ProxyHeaderStatus.Complete)
            {
                input.AdvanceTo(end);
                // LOCAL (a health check by the balancer itself), UNKNOWN and UNSPEC keep the socket's addresses.
                if (header.Source is { } source)
                {
                    active.ClientAddress = source;
                    active.LocalAddress = header.Destination;
                }
                LogProxyHeaderAccepted(_logger, connectionId, header.Version, header.IsLocal ? "LOCAL" : "PROXY", active.ClientAddress?.ToString() ?? "-");
                return true;
            }
            if (status == ProxyHeaderStatus.Invalid)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                return await RejectAsync(error ?? "malformed PROXY header").ConfigureAwait(false);
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return await RejectAsync("connection closed inside the PROXY header").ConfigureAwait(false);
            }
        }
    }

    private void AttachBackendLoggers()
    {
        foreach (var listener in _configuration.Listeners)
        {
            if (listener.Responder is ForwardingResponder forwarding)
            {
                forwarding.Logger = _logger;
                LogBackendListener(_logger, listener.Endpoint.ToString(), forwarding.Router.Default.ToString(),
                    string.Join(", ", forwarding.Router.Routes), forwarding.ProxyProtocol.ToString(), listener.AcceptProxyProtocol);
            }
        }
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Debug, Message = "{ConnectionId} PROXY header rejected, closing: {Reason}")]
    private static partial void LogProxyHeaderRejected(ILogger logger, string connectionId, string reason);

    [LoggerMessage(EventId = 211, Level = LogLevel.Debug, Message = "{ConnectionId} PROXY v{Version} {Command}: client {Client}")]
    private static partial void LogProxyHeaderAccepted(ILogger logger, string connectionId, int version, string command, string client);

    [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "listener {Endpoint}: backend {Backend} routes [{Routes}] proxy-protocol={ProxyProtocol} accept-proxy-protocol={AcceptProxyProtocol}")]
    private static partial void LogBackendListener(ILogger logger, string endpoint, string backend, string routes, string proxyProtocol, bool acceptProxyProtocol);
}
