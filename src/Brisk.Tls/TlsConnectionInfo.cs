using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Protocol;

namespace Brisk.Tls;

/// <summary>What the handshake agreed, for the application, logs and metrics. Set once the handshake completes.</summary>
public sealed class TlsConnectionInfo
{
    public ushort Version { get; internal set; }

    public string VersionName => Version switch
    {
        ProtocolVersion.Tls13 => "TLSv1.3",
        ProtocolVersion.Tls12 => "TLSv1.2",
        _ => $"0x{Version:x4}",
    };

    public CipherSuite CipherSuite { get; internal set; }

    /// <summary>The ECDHE group, or null for RSA key exchange.</summary>
    public NamedGroup? Group { get; internal set; }

    public string? ServerName { get; internal set; }

    public string? ApplicationProtocol { get; internal set; }

    public bool Resumed { get; internal set; }

    public bool ExtendedMasterSecret { get; internal set; }

    /// <summary>The verified client certificate, when client authentication succeeded.</summary>
    public ClientIdentity? ClientIdentity { get; internal set; }
}

/// <summary>The identity of an authenticated client (subject, SANs, SHA-256 thumbprint), for the application.</summary>
public sealed record ClientIdentity(string Subject, IReadOnlyList<string> SubjectAlternativeNames, string Sha256Thumbprint, X509Certificate2 Certificate);
