using Brisk.Tls;

namespace Brisk.Server.Backends;

public enum RouteKind
{
    /// <summary>The client's server_name (SNI), exact or "*.example.com" (one label).</summary>
    Sni,

    /// <summary>The negotiated ALPN protocol, exact.</summary>
    Alpn,
}

/// <summary>One routing rule: connections whose SNI or negotiated ALPN protocol matches go to <see cref="Backend"/>.</summary>
public sealed record BackendRoute(RouteKind Kind, string Pattern, BackendEndpoint Backend)
{
    public bool Matches(TlsConnectionInfo tls)
    {
        if (Kind == RouteKind.Alpn)
            return tls.ApplicationProtocol is { } protocol && string.Equals(protocol, Pattern, StringComparison.Ordinal);
        if (tls.ServerName is not { } name)
            return false;
        // DNS names compare case-insensitively (RFC 4343); "*.example.com" covers exactly one more label,
        // as certificate wildcards do (RFC 6125 §6.4.3), so neither example.com nor a.b.example.com.
        if (Pattern.StartsWith("*.", StringComparison.Ordinal))
        {
            var suffix = Pattern.AsSpan(1); // ".example.com"
            return name.Length > suffix.Length
                && name.AsSpan().EndsWith(suffix, StringComparison.OrdinalIgnoreCase)
                && name.AsSpan(0, name.Length - suffix.Length).IndexOf('.') < 0;
        }
        return string.Equals(name, Pattern, StringComparison.OrdinalIgnoreCase);
    }

    public override string ToString() => $"{(Kind == RouteKind.Sni ? "sni" : "alpn")}={Pattern}={Backend}";

    /// <summary>Parses <c>sni=NAME=tcp://HOST:PORT</c> or <c>alpn=PROTOCOL=tcp://HOST:PORT</c>.</summary>
    public static bool TryParse(string? text, out BackendRoute route, out string error)
    {
        route = null!;
        error = $"'{text}' is not sni=NAME=tcp://HOST:PORT or alpn=PROTOCOL=tcp://HOST:PORT";
        if (string.IsNullOrWhiteSpace(text))
            return false;
        var parts = text.Trim().Split('=', 3);
        if (parts.Length != 3 || parts[1].Length == 0)
            return false;
        RouteKind kind;
        switch (parts[0].ToLowerInvariant())
        {
            case "sni": kind = RouteKind.Sni; break;
            case "alpn": kind = RouteKind.Alpn; break;
            default: return false;
        }
        if (kind == RouteKind.Sni)
        {
            string host = parts[1].StartsWith("*.", StringComparison.Ordinal) ? parts[1][2..] : parts[1];
            if (Uri.CheckHostName(host) != UriHostNameType.Dns || host.Contains('*'))
            {
                error = $"'{parts[1]}' in '{text}' is not a host name or *.domain";
                return false;
            }
        }
        if (!BackendEndpoint.TryParse(parts[2], out var backend, out var backendError))
        {
            error = backendError;
            return false;
        }
        route = new BackendRoute(kind, parts[1], backend);
        return true;
    }
}

/// <summary>Picks the backend for an established connection: the first matching route, else the default.</summary>
public sealed class BackendRouter(BackendEndpoint defaultBackend, IReadOnlyList<BackendRoute> routes)
{
    public BackendEndpoint Default { get; } = defaultBackend;

    public IReadOnlyList<BackendRoute> Routes { get; } = routes;

    public BackendEndpoint Select(TlsConnectionInfo tls)
    {
        foreach (var route in Routes)
        {
            if (route.Matches(tls))
                return route.Backend;
        }
        return Default;
    }
}
