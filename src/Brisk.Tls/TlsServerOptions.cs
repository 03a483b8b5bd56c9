using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Credentials;
using Brisk.Tls.Resumption;

namespace Brisk.Tls;

public enum ClientAuthenticationMode
{
    None,
    Optional,
    Require,
}

/// <summary>
/// Everything a handshake needs from the server's configuration. Built once at start-up (and on reload),
/// validated there, then shared read-only by every connection.
/// </summary>
public sealed class TlsServerOptions
{
    /// <summary>Certificates the server can present; one is chosen per handshake by suite, signature_algorithms and SNI.</summary>
    public required IReadOnlyList<ServerCertificate> Certificates { get; init; }

    /// <summary>TLS 1.2 suites in server preference order.</summary>
    public IReadOnlyList<CipherSuiteInfo> Tls12CipherSuites { get; init; } = CipherSuites.Tls12Default;

    /// <summary>TLS 1.3 suites in server preference order.</summary>
    public IReadOnlyList<CipherSuiteInfo> Tls13CipherSuites { get; init; } = CipherSuites.Tls13Default;

    /// <summary>Key-exchange groups in server preference order.</summary>
    public IReadOnlyList<NamedGroup> Groups { get; init; } = [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];

    public bool EnableTls12 { get; init; } = true;

    public bool EnableTls13 { get; init; }

    /// <summary>ALPN protocols the application speaks, in server preference order (RFC 7301). Empty: ALPN is ignored.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = [];

    public ClientAuthenticationMode ClientAuthentication { get; init; } = ClientAuthenticationMode.None;

    /// <summary>Trust anchors for client certificates; their subject names go into CertificateRequest.</summary>
    public X509Certificate2Collection ClientTrustAnchors { get; init; } = [];

    /// <summary>
    /// Optional check of an authenticated client after its chain and CertificateVerify were verified (and when a
    /// session with a client certificate is resumed); a deny ends the handshake with the policy's alert.
    /// Not called for a handshake without a client certificate. Null: no check.
    /// </summary>
    public IClientCertificatePolicy? ClientCertificatePolicy { get; init; }

    public required IKeyExchangeProvider KeyExchange { get; init; }

    public required IAeadProvider RecordCrypto { get; init; }

    /// <summary>Largest handshake message accepted (client certificate chains are the large ones).</summary>
    public int MaxHandshakeMessageLength { get; init; } = 128 * 1024;

    /// <summary>
    /// TLS 1.3: after this many records under one write key the server sends KeyUpdate (RFC 8446 §5.5; AES-GCM
    /// is safe to about 2^24.5 records per key). Lowered only by tests.
    /// </summary>
    public ulong KeyUpdateAfterRecords { get; init; } = 1UL << 24;

    /// <summary>
    /// Session-ticket keys (RFC 5077 for TLS 1.2, RFC 8446 §4.6.1 for TLS 1.3), or null: no tickets are issued
    /// or accepted (TLS 1.3 then has no resumption).
    /// </summary>
    public TicketKeyRing? TicketKeys { get; init; }

    /// <summary>TLS 1.2 session-ID cache, or null: full handshakes get an empty session_id and IDs are not resumed.</summary>
    public SessionCache? SessionCache { get; init; }

    /// <summary>NewSessionTicket messages sent after each TLS 1.3 handshake (RFC 8446 §4.6.1; a client uses one per connection).</summary>
    public int Tls13TicketCount { get; init; } = 2;

    /// <summary>
    /// How long a session may be resumed: ticket_lifetime (RFC 8446 §4.6.1, at most 7 days), the TLS 1.2 lifetime
    /// hint, and the cache's expiry. The default, one hour, fits the default key rotation (a key seals for one
    /// hour and opens for two), so every ticket is honoured for its whole advertised lifetime.
    /// </summary>
    public TimeSpan TicketLifetime { get; init; } = TimeSpan.FromHours(1);

    /// <summary>TLS 1.3: accept psk_ke (resumption without a fresh (EC)DHE, so without forward secrecy for its data; RFC 8446 §4.2.9). Off by default.</summary>
    public bool AllowPskWithoutKeyExchange { get; init; }

    /// <summary>TLS 1.3: how far the client's ticket age may be from ours (RFC 8446 §4.2.11.1, §8.3).</summary>
    public TimeSpan TicketAgeTolerance { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The certificates indexed by name for SNI, with the default set and the unknown-name policy. When not
    /// given, every certificate of <see cref="Certificates"/> is filed under its names and is also in the
    /// default set (unknown names get the first usable certificate in configuration order).
    /// </summary>
    public CertificateStore CertificateStore
    {
        get => _certificateStore ?? LazyInitializer.EnsureInitialized(ref _certificateStore, () => CertificateStore.FromList(Certificates));
        init => _certificateStore = value;
    }

    private CertificateStore? _certificateStore;

    /// <summary>
    /// The certificate to present (see <see cref="CertificateStore.Select"/>): the first usable certificate of
    /// the set filed under <paramref name="serverName"/>, else the first usable one of the default set.
    /// </summary>
    internal ServerCertificate? SelectCertificate(string? serverName, Func<ServerCertificate, bool> usable) =>
        CertificateStore.Select(serverName, usable);

    /// <summary>Clock for certificate validity checks; tests pin it.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
