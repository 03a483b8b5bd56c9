using Brisk.Tls.Codec;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;
using Microsoft.Extensions.Logging;

namespace Brisk.Tls.Handshake;

/// <summary>
/// Runs <see cref="TlsServerOptions.ClientCertificatePolicy"/> for both handshake versions and turns its answer
/// into the handshake's outcome: allow continues, deny is a <see cref="TlsProtocolException"/> with the policy's
/// alert, and a policy that throws becomes internal_error (logged at Error: it is a server-side fault).
/// </summary>
internal static partial class ClientCertificatePolicyCheck
{
    public static async ValueTask EnforceAsync(TlsServerConnection connection, ClientIdentity client, CancellationToken cancellationToken)
    {
        if (connection.Options.ClientCertificatePolicy is not { } policy)
            return;
        ClientCertificateDecision decision;
        try
        {
            decision = await policy.CheckAsync(client, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw; // the handshake timed out or the server is stopping: handled like any other wait
        }
        catch (Exception ex)
        {
            LogPolicyFailed(connection.Logger, ex, connection.ConnectionId, client.Subject);
            throw new TlsProtocolException(AlertDescription.InternalError, $"client certificate policy failed: {ex.GetType().Name}: {ex.Message}");
        }
        if (decision.IsAllowed)
            return;
        // default(ClientCertificateDecision) denies with alert 0 (close_notify), which is no error alert: internal_error.
        var alert = decision.Alert is AlertDescription.CloseNotify or AlertDescription.UserCanceled ? AlertDescription.InternalError : decision.Alert;
        throw new TlsProtocolException(alert, $"client certificate '{client.Subject}' denied by policy: {decision.Reason ?? "no reason given"}");
    }

    [LoggerMessage(EventId = 320, Level = LogLevel.Error, Message = "{ConnectionId} client certificate policy threw for '{Subject}'; the handshake ends with internal_error")]
    private static partial void LogPolicyFailed(ILogger logger, Exception exception, string connectionId, string subject);
}
