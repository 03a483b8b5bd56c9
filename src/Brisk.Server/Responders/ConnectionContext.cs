using System.Net;
using Brisk.Tls;

namespace Brisk.Server.Responders;

/// <summary>
/// What the application behind the TLS endpoint learns about one connection: the negotiated TLS parameters,
/// the client's address (the socket peer, or the address a PROXY protocol header in front carried) and the
/// local endpoint it arrived on.
/// </summary>
public sealed record ConnectionContext(TlsConnectionInfo Tls, IPEndPoint? ClientAddress, IPEndPoint? LocalAddress);
