namespace Brisk.Tls.Credentials;

/// <summary>What a handshake does when the client's server_name matches no certificate (RFC 6066 §3).</summary>
public enum UnknownServerNamePolicy
{
    /// <summary>Continue with a certificate from the default set (the client will see a name mismatch).</summary>
    UseDefault,

    /// <summary>Abort with a fatal unrecognized_name alert (RFC 6066 §3, "abort the handshake").</summary>
    Reject,
}

/// <summary>
/// The server's certificates indexed by DNS name for SNI (RFC 6066 §3). Every certificate is filed under
/// each of its names (<see cref="ServerCertificate.DnsNames"/>: the SAN dNSNames, or the subject CN when the
/// certificate has no SAN extension). A name maps to a <em>set</em> — say an RSA and an ECDSA certificate
/// for the same host — and the handshake's own predicate (suite, signature_algorithms, curve) picks inside
/// the set, then inside the default set.
/// <para>
/// Lookup is two hash probes, never a scan: the exact name, then the wildcard of its parent
/// (<c>a.example.com</c> → <c>*.example.com</c>). Per RFC 6125 §6.4.3 a wildcard stands for exactly one
/// whole left-most label, so <c>*.example.com</c> matches neither <c>example.com</c> nor
/// <c>a.b.example.com</c>; partial-label wildcards (<c>w*.example.com</c>) are not indexed. Names compare
/// ASCII case-insensitively (RFC 4343) and a trailing dot is ignored.
/// </para>
/// Immutable once built; shared by every handshake.
/// </summary>
public sealed class CertificateStore
{
    private readonly Dictionary<string, ServerCertificate[]> _exact;
    private readonly Dictionary<string, ServerCertificate[]> _wildcardParents;
    private readonly Dictionary<string, ServerCertificate[]>.AlternateLookup<ReadOnlySpan<char>> _exactBySpan;
    private readonly Dictionary<string, ServerCertificate[]>.AlternateLookup<ReadOnlySpan<char>> _wildcardBySpan;

    /// <param name="certificates">Every certificate, in preference order (first usable one of a set wins).</param>
    /// <param name="defaults">The default set: used without SNI, for unknown names under <see cref="UnknownServerNamePolicy.UseDefault"/>, and when no certificate of a name's set suits the handshake.</param>
    /// <param name="unknownNames">What to do for a server_name that matches nothing.</param>
    public CertificateStore(IReadOnlyList<ServerCertificate> certificates, IReadOnlyList<ServerCertificate> defaults, UnknownServerNamePolicy unknownNames = UnknownServerNamePolicy.UseDefault)
    {
        All = certificates;
        Default = defaults;
        UnknownNames = unknownNames;
        var exact = new Dictionary<string, List<ServerCertificate>>(StringComparer.OrdinalIgnoreCase);
        var wildcard = new Dictionary<string, List<ServerCertificate>>(StringComparer.OrdinalIgnoreCase);
        foreach (var certificate in certificates)
        {
            foreach (var rawName in certificate.DnsNames)
            {
                var name = TrimTrailingDot(rawName.AsSpan());
                if (name.StartsWith("*."))
                {
                    var parent = name[2..];
                    // Only a whole left-most label may be a wildcard; "*.*.x", "*." and "*.x." are not names.
                    if (parent.Length > 0 && !parent.Contains('*') && parent[0] != '.')
                        Add(wildcard, parent.ToString(), certificate);
                }
                else if (name.Length > 0 && !name.Contains('*'))
                {
                    Add(exact, name.ToString(), certificate);
                }
            }
        }
        _exact = Freeze(exact);
        _wildcardParents = Freeze(wildcard);
        _exactBySpan = _exact.GetAlternateLookup<ReadOnlySpan<char>>();
        _wildcardBySpan = _wildcardParents.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>
    /// A store in which every certificate is also in the default set, each filed under its names: with
    /// <see cref="UnknownServerNamePolicy.UseDefault"/>, the behaviour of a plain certificate list.
    /// </summary>
    public static CertificateStore FromList(IReadOnlyList<ServerCertificate> certificates) => new(certificates, certificates);

    public IReadOnlyList<ServerCertificate> All { get; }

    public IReadOnlyList<ServerCertificate> Default { get; }

    public UnknownServerNamePolicy UnknownNames { get; }

    /// <summary>Distinct exact names plus distinct wildcard names indexed.</summary>
    public int NameCount => _exact.Count + _wildcardParents.Count;

    /// <summary>The certificate set filed under <paramref name="serverName"/> (exact name first, then the wildcard of its parent), or null.</summary>
    public IReadOnlyList<ServerCertificate>? Find(string serverName)
    {
        var name = TrimTrailingDot(serverName.AsSpan());
        if (name.IsEmpty)
            return null;
        if (_exactBySpan.TryGetValue(name, out var set))
            return set;
        int dot = name.IndexOf('.');
        // The left-most label must be non-empty for a wildcard to stand for it (RFC 6125 §6.4.3).
        if (dot > 0 && _wildcardBySpan.TryGetValue(name[(dot + 1)..], out set))
            return set;
        return null;
    }

    /// <summary>True when some certificate carries <paramref name="serverName"/> (exactly or by wildcard).</summary>
    public bool Recognizes(string serverName) => Find(serverName) is not null;

    /// <summary>
    /// The certificate to present: the first of the name's set that <paramref name="usable"/> accepts, else
    /// the first usable one of the default set, else null. The unknown-name policy is applied earlier (the
    /// handshake aborts before selecting). A member of a Fiat key family is replaced by the family's next
    /// member in turn, so the RSA batches fill with distinct exponents.
    /// </summary>
    public ServerCertificate? Select(string? serverName, Func<ServerCertificate, bool> usable)
    {
        if (serverName is not null && Find(serverName) is { } set)
        {
            foreach (var certificate in set)
            {
                if (usable(certificate))
                    return certificate.SpreadAcrossFamily();
            }
        }
        foreach (var certificate in Default)
        {
            if (usable(certificate))
                return certificate.SpreadAcrossFamily();
        }
        return null;
    }

    private static ReadOnlySpan<char> TrimTrailingDot(ReadOnlySpan<char> name) =>
        name.Length > 0 && name[^1] == '.' ? name[..^1] : name;

    private static void Add(Dictionary<string, List<ServerCertificate>> index, string name, ServerCertificate certificate)
    {
        if (!index.TryGetValue(name, out var list))
            index[name] = list = [];
        // A certificate listing the same name twice (e.g. differing only in case) is filed once.
        if (list.Count == 0 || !ReferenceEquals(list[^1], certificate))
            list.Add(certificate);
    }

    private static Dictionary<string, ServerCertificate[]> Freeze(Dictionary<string, List<ServerCertificate>> index)
    {
        var frozen = new Dictionary<string, ServerCertificate[]>(index.Count, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, list) in index)
            frozen[name] = [.. list];
        return frozen;
    }
}
