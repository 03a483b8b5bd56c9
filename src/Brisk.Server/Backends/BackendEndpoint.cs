using System.Globalization;
using System.Net;

namespace Brisk.Server.Backends;

/// <summary>A backend address, <c>tcp://HOST:PORT</c>: a host name (resolved at each connect) or an IP literal.</summary>
public sealed record BackendEndpoint(string Host, int Port)
{
    /// <summary>The IP literal, or null for a host name.</summary>
    public IPAddress? Address { get; } = IPAddress.TryParse(Host, out var ip) ? ip : null;

    public EndPoint ToEndPoint() => Address is { } ip ? new IPEndPoint(ip, Port) : new DnsEndPoint(Host, Port);

    public override string ToString() => Address is { AddressFamily: System.Net.Sockets.AddressFamily.InterNetworkV6 } ? $"tcp://[{Host}]:{Port}" : $"tcp://{Host}:{Port}";

    /// <summary>Parses <c>tcp://HOST:PORT</c> (IPv6 literals in brackets). False with a reason otherwise.</summary>
    public static bool TryParse(string? text, out BackendEndpoint endpoint, out string error)
    {
        endpoint = null!;
        error = "";
        text = text?.Trim();
        const string scheme = "tcp://";
        if (string.IsNullOrEmpty(text) || !text.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            error = $"'{text}' is not tcp://HOST:PORT";
            return false;
        }
        string rest = text[scheme.Length..].TrimEnd('/');
        string host;
        string portText;
        if (rest.StartsWith('['))
        {
            int close = rest.IndexOf(']');
            if (close < 0 || close + 1 >= rest.Length || rest[close + 1] != ':')
            {
                error = $"'{text}' is not tcp://[IPv6]:PORT";
                return false;
            }
            host = rest[1..close];
            portText = rest[(close + 2)..];
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                error = $"'{host}' in '{text}' is not an IPv6 address";
                return false;
            }
        }
        else
        {
            int colon = rest.LastIndexOf(':');
            if (colon < 0)
            {
                error = $"'{text}' has no port (tcp://HOST:PORT)";
                return false;
            }
            if (colon == 0 || rest.IndexOf(':') != colon)
            {
                error = $"'{text}' is not tcp://HOST:PORT (IPv6 literals go in brackets)";
                return false;
            }
            host = rest[..colon];
            portText = rest[(colon + 1)..];
            if (Uri.CheckHostName(host) is not (UriHostNameType.Dns or UriHostNameType.IPv4))
            {
                error = $"'{host}' in '{text}' is not a host name or IPv4 address";
                return false;
            }
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            error = $"'{text}' has no port 1..65535";
            return false;
        }
        endpoint = new BackendEndpoint(host, port);
        return true;
    }
}
