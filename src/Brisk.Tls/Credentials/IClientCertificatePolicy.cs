using Brisk.Tls.Protocol;

namespace Brisk.Tls.Credentials;

/// <summary>
/// A check of an authenticated client beyond chain validation (e.g. "is this certificate still listed in the
/// user's directory entry"). Called once per handshake that authenticated a client certificate, after the chain
/// and the client's CertificateVerify were verified (TLS 1.2 RFC 5246 §7.4.8, TLS 1.3 RFC 8446 §4.4.3), and
/// when a session that carries a client certificate is resumed. Implementations are shared by every connection,
/// so they must be thread-safe; they should complete asynchronously rather than block a thread. An exception
/// from <see cref="CheckAsync"/> ends the handshake with internal_error.
/// </summary>
public interface IClientCertificatePolicy
{
    ValueTask<ClientCertificateDecision> CheckAsync(ClientIdentity client, CancellationToken cancellationToken);
}

/// <summary>The answer of an <see cref="IClientCertificatePolicy"/>: allow, or deny with the fatal alert to send.</summary>
public readonly record struct ClientCertificateDecision
{
    private ClientCertificateDecision(bool allowed, AlertDescription alert, string reason)
    {
        IsAllowed = allowed;
        Alert = alert;
        Reason = reason;
    }

    public bool IsAllowed { get; }

    /// <summary>The alert sent when denied (RFC 8446 §6.2: e.g. certificate_unknown, access_denied, internal_error).</summary>
    public AlertDescription Alert { get; }

    /// <summary>Why, for the log (never sent to the peer).</summary>
    public string Reason { get; }

    public static ClientCertificateDecision Allow(string reason = "allowed") => new(true, default, reason);

    public static ClientCertificateDecision Deny(AlertDescription alert, string reason)
    {
        if (alert is AlertDescription.CloseNotify or AlertDescription.UserCanceled)
            throw new ArgumentOutOfRangeException(nameof(alert), alert, "a denial needs a fatal error alert");
        return new(false, alert, reason);
    }
}
