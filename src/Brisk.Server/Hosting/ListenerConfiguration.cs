using System.Net;
using Brisk.Server.Backends;
using Brisk.Server.Responders;

namespace Brisk.Server.Hosting;

/// <summary>One validated listener: where it accepts, what serves its connections, whether a PROXY header comes first.</summary>
public sealed record ListenerConfiguration(IPEndPoint Endpoint, IResponder Responder, bool AcceptProxyProtocol);

/// <summary>
/// Builds the listeners from the flag form (the i-th --backend pairs with the i-th --listen; a single
/// --backend serves every --listen; --route, --proxy-protocol and --accept-proxy-protocol apply to all of
/// them) and from the <c>Listeners</c> entries of appsettings.json.
/// </summary>
internal static class ListenerSetup
{
    public const string DefaultListen = "127.0.0.1:8443";

    public static List<ListenerConfiguration> Build(BriskServerOptions options, IResponder responder)
    {
        var listeners = new List<ListenerConfiguration>();
        var proxyProtocol = ParseOutgoing("ProxyProtocol", options.ProxyProtocol);
        bool accept = ServerConfiguration.ParseOnOff("AcceptProxyProtocol", options.AcceptProxyProtocol, whenUnset: false);
        var connectTimeout = ServerConfiguration.ParseDuration("BackendConnectTimeout", options.BackendConnectTimeout);
        var routes = options.Route.Select((text, i) => ParseRoute($"Route:{i}", text)).ToList();

        IReadOnlyList<string> listen = options.Listen.Count == 0 && options.Listeners.Count == 0 ? [DefaultListen] : options.Listen;
        var backends = options.Backend.Select((text, i) => ParseBackend($"Backend:{i}", text)).ToList();
        if (backends.Count > 1 && backends.Count != listen.Count)
            throw new ConfigurationException($"Backend: {backends.Count} backends for {listen.Count} --listen endpoints (give one for all, or one per --listen in the same order)");
        if (backends.Count == 0 && routes.Count > 0)
            throw new ConfigurationException("Route: routes need a default Backend for the connections no route matches");
        for (int i = 0; i < listen.Count; i++)
        {
            var endpoint = ServerConfiguration.ParseEndpoint("Listen", listen[i]);
            IResponder served = backends.Count == 0
                ? responder
                : new ForwardingResponder(new BackendRouter(backends[backends.Count == 1 ? 0 : i], routes), proxyProtocol, connectTimeout);
            listeners.Add(new ListenerConfiguration(endpoint, served, accept));
        }

        for (int i = 0; i < options.Listeners.Count; i++)
        {
            var entry = options.Listeners[i];
            string key = $"Listeners:{i}";
            if (string.IsNullOrWhiteSpace(entry.Listen))
                throw new ConfigurationException($"{key}:Listen: required (IP:PORT)");
            var endpoint = ServerConfiguration.ParseEndpoint($"{key}:Listen", entry.Listen);
            var entryProxy = entry.ProxyProtocol is null ? proxyProtocol : ParseOutgoing($"{key}:ProxyProtocol", entry.ProxyProtocol);
            bool entryAccept = entry.AcceptProxyProtocol is null ? accept : ServerConfiguration.ParseOnOff($"{key}:AcceptProxyProtocol", entry.AcceptProxyProtocol, whenUnset: false);
            var entryRoutes = entry.Routes.Select((text, k) => ParseRoute($"{key}:Routes:{k}", text)).ToList();
            IResponder served;
            if (string.IsNullOrWhiteSpace(entry.Backend))
            {
                if (entryRoutes.Count > 0)
                    throw new ConfigurationException($"{key}:Routes: routes need a default Backend for the connections no route matches");
                if (entry.ProxyProtocol is not null && entryProxy != OutgoingProxyProtocol.Off)
                    throw new ConfigurationException($"{key}:ProxyProtocol: set, but the listener has no Backend");
                served = responder;
            }
            else
            {
                served = new ForwardingResponder(new BackendRouter(ParseBackend($"{key}:Backend", entry.Backend), entryRoutes), entryProxy, connectTimeout);
            }
            listeners.Add(new ListenerConfiguration(endpoint, served, entryAccept));
        }

        if (proxyProtocol != OutgoingProxyProtocol.Off && !listeners.Any(l => l.Responder is ForwardingResponder))
            throw new ConfigurationException("ProxyProtocol: set, but no listener has a Backend");
        return listeners;
    }

    /// <summary>The ALPN protocols the listeners' routes select on (they must be offered to be negotiated).</summary>
    public static IEnumerable<string> RoutedApplicationProtocols(IEnumerable<ListenerConfiguration> listeners) =>
        listeners.Select(l => l.Responder).OfType<ForwardingResponder>()
            .SelectMany(f => f.Router.Routes).Where(r => r.Kind == RouteKind.Alpn).Select(r => r.Pattern).Distinct(StringComparer.Ordinal);

    private static BackendEndpoint ParseBackend(string key, string text) =>
        BackendEndpoint.TryParse(text, out var backend, out var error) ? backend : throw new ConfigurationException($"{key}: {error}");

    private static BackendRoute ParseRoute(string key, string text) =>
        BackendRoute.TryParse(text, out var route, out var error) ? route : throw new ConfigurationException($"{key}: {error}");

    private static OutgoingProxyProtocol ParseOutgoing(string key, string? text) => (text ?? "off").Trim().ToLowerInvariant() switch
    {
        "off" or "" or "none" => OutgoingProxyProtocol.Off,
        "v1" or "1" => OutgoingProxyProtocol.V1,
        "v2" or "2" => OutgoingProxyProtocol.V2,
        var other => throw new ConfigurationException($"{key}: '{other}' is not off, v1 or v2"),
    };
}
