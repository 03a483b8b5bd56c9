using System.Security.Cryptography;
using Brisk.Crypto.Hashing;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Client;

/// <summary>
/// What a client keeps to resume a session by ticket: TLS 1.3 (RFC 8446 §4.6.1: ticket, PSK derived from the
/// resumption master secret and the ticket nonce, ticket_age_add) or TLS 1.2 (RFC 5077 §3.4: ticket, master
/// secret, suite and whether the session used the extended master secret). Immutable; one session may be
/// offered by several connections at once (TLS 1.3 servers may accept a ticket more than once, or refuse it and
/// fall back to a full handshake).
/// </summary>
public sealed class TlsClientSession
{
    internal TlsClientSession(ushort version, CipherSuiteInfo suite, byte[] ticket, byte[] secret, uint ticketAgeAdd, uint lifetimeSeconds, bool extendedMasterSecret)
    {
        Version = version;
        Suite = suite;
        Ticket = ticket;
        Secret = secret;
        TicketAgeAdd = ticketAgeAdd;
        LifetimeSeconds = lifetimeSeconds;
        ExtendedMasterSecret = extendedMasterSecret;
        ReceivedAtMilliseconds = Environment.TickCount64;
    }

    /// <summary><see cref="ProtocolVersion.Tls12"/> or <see cref="ProtocolVersion.Tls13"/>.</summary>
    public ushort Version { get; }

    public CipherSuiteInfo Suite { get; }

    internal byte[] Ticket { get; }

    /// <summary>TLS 1.3: the resumption PSK; TLS 1.2: the master secret.</summary>
    internal byte[] Secret { get; }

    internal uint TicketAgeAdd { get; }

    internal uint LifetimeSeconds { get; }

    internal bool ExtendedMasterSecret { get; }

    internal long ReceivedAtMilliseconds { get; }

    internal HashKind Hash => Suite.Hash == HashAlgorithmName.SHA384 ? HashKind.Sha384 : HashKind.Sha256;

    /// <summary>RFC 8446 §4.2.11.1: obfuscated_ticket_age = (ticket age in ms + ticket_age_add) mod 2^32.</summary>
    internal uint ObfuscatedTicketAge => unchecked((uint)(Environment.TickCount64 - ReceivedAtMilliseconds) + TicketAgeAdd);

    /// <summary>Whether the ticket is still within its lifetime (a lifetime of 0 in TLS 1.2 means unspecified).</summary>
    public bool IsUsable => LifetimeSeconds == 0 && Version == ProtocolVersion.Tls12
        || Environment.TickCount64 - ReceivedAtMilliseconds < LifetimeSeconds * 1000L;
}
