using System.Net;
using Brisk.Tls;

namespace Brisk.Server.Responders;

/// <summary>
/// What the application behind the TLS endpoint learns about one connection: the negotiated TLS parameters,
/// the client's address (the socket peer, or the address a PROXY protocol header in front carried) and the
/// local endpoint it arrived on (or the destination a PROXY header named).
/// </summary>
public sealed record ConnectionContext(TlsConnectionInfo Tls, IPEndPoint? ClientAddress, IPEndPoint? LocalAddress)
{
    /// <summary>The connection's name in the server's logs (e.g. "conn-42 203.0.113.7:4242").</summary>
    public string ConnectionId { get; init; } = "";

    /// <summary>
    /// Aborts the client's connection at once (a reset, no close_notify), with a reason for the log: for a
    /// responder that must pass on a failure it cannot express in-band, e.g. a backend's reset. Null in tests.
    /// </summary>
    public Action<string>? AbortClient { get; init; }
}
