using Brisk.Tls.Protocol;

namespace Brisk.Server.ClientDirectory;

/// <summary>What <see cref="LdapClientCertificatePolicy"/> needs, validated by ServerConfiguration.Build.</summary>
public sealed record LdapDirectoryOptions
{
    /// <summary>ldap://HOST[:PORT] or ldaps://HOST[:PORT] (default ports 389 and 636).</summary>
    public required Uri Server { get; init; }

    public required DirectoryLookupTemplate Lookup { get; init; }

    /// <summary>
    /// ldaps: directory of trusted CA certificates in OpenSSL's hashed layout (<c>openssl rehash DIR</c>) for the
    /// directory server's certificate, in a TLS context of our own; null: libldap's defaults (ldap.conf, LDAPTLS_*).
    /// </summary>
    public string? TrustedCertificatesDirectory { get; init; }

    /// <summary>DN to bind as (simple bind, RFC 4513 §5.1.3), or null for an anonymous bind.</summary>
    public string? BindDn { get; init; }

    public string? BindPassword { get; init; }

    /// <summary>Bound on connect + bind and on each search; the handshake waits no longer for the directory.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>How long an answer is reused; zero turns the cache off.</summary>
    public TimeSpan CacheTimeToLive { get; init; } = TimeSpan.FromMinutes(1);

    public int CacheSize { get; init; } = 10000;

    /// <summary>When the directory cannot be reached (down, timed out): deny (false, default) or let the client in.</summary>
    public bool FailOpen { get; init; }

    /// <summary>The alert for a client whose certificate is not in its entry (or that has no entry).</summary>
    public AlertDescription DenyAlert { get; init; } = AlertDescription.CertificateUnknown;

    /// <summary>Directory connections (and so lookups in flight) at most; further lookups queue within the timeout.</summary>
    public int MaxConnections { get; init; } = 4;

    /// <summary>More certificate values than this in the entry is an oversized answer: denied.</summary>
    public int MaxCertificateValues { get; init; } = 16;
}
