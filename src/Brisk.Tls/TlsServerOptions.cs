using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Credentials;

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

    public required IKeyExchangeProvider KeyExchange { get; init; }

    public required IAeadProvider RecordCrypto { get; init; }

    /// <summary>Largest handshake message accepted (client certificate chains are the large ones).</summary>
    public int MaxHandshakeMessageLength { get; init; } = 128 * 1024;

    /// <summary>
    /// TLS 1.3: after this many records under one write key the server sends KeyUpdate (RFC 8446 §5.5; AES-GCM
    /// is safe to about 2^24.5 records per key). Lowered only by tests.
    /// </summary>
    public ulong KeyUpdateAfterRecords { get; init; } = 1UL << 24;

    /// <summary>Clock for certificate validity checks; tests pin it.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
