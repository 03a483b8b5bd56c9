namespace Brisk.Server.Hosting;

/// <summary>
/// One entry of <c>Listeners</c> in appsettings.json: an endpoint with its own backend, routes and PROXY
/// protocol settings. Unset values inherit the top-level ones (ProxyProtocol, AcceptProxyProtocol); an entry
/// without a Backend serves the top-level Responder.
/// </summary>
public sealed class ListenerOptions
{
    /// <summary>IP:PORT to accept on (required).</summary>
    public string? Listen { get; set; }

    /// <summary>tcp://HOST:PORT: the default backend of this listener.</summary>
    public string? Backend { get; set; }

    /// <summary>off | v1 | v2: the PROXY header sent to this listener's backends.</summary>
    public string? ProxyProtocol { get; set; }

    /// <summary>off | on: expect a PROXY header (v1 or v2) from a load balancer before the TLS handshake.</summary>
    public string? AcceptProxyProtocol { get; set; }

    /// <summary>Routing rules, first match wins: sni=NAME=tcp://HOST:PORT, alpn=PROTOCOL=tcp://HOST:PORT.</summary>
    public List<string> Routes { get; set; } = [];
}
