namespace Brisk.Server.ClientDirectory;

/// <summary>
/// A bounded cache of directory answers keyed by the certificate's SHA-256 thumbprint, each kept for the TTL.
/// Holds definite answers only (listed, not found, not listed): a directory that could not be asked is asked
/// again on the next handshake. Expired entries are dropped as new ones come, and when full the oldest goes. One lock: a hit is a
/// dictionary probe, short next to a handshake.
/// </summary>
internal sealed class DirectoryDecisionCache(int capacity, TimeSpan timeToLive, TimeProvider time)
{
    private readonly Dictionary<string, LinkedListNode<(string Key, DirectoryOutcome Outcome, DateTimeOffset Expires)>> _entries = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Key, DirectoryOutcome Outcome, DateTimeOffset Expires)> _byAge = new();
    private readonly Lock _lock = new();

    public bool Enabled => capacity > 0 && timeToLive > TimeSpan.Zero;

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    public bool TryGet(string key, out DirectoryOutcome outcome)
    {
        outcome = default;
        if (!Enabled)
            return false;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
                return false;
            if (node.Value.Expires <= now)
            {
                _entries.Remove(key);
                _byAge.Remove(node);
                return false;
            }
            outcome = node.Value.Outcome;
            return true;
        }
    }

    public void Add(string key, DirectoryOutcome outcome)
    {
        if (!Enabled)
            return;
        var now = time.GetUtcNow();
        lock (_lock)
        {
            if (_entries.Remove(key, out var existing))
                _byAge.Remove(existing);
            // Every entry lives for the same TTL, so insertion order is expiry order: drop from the front,
            // expired ones first and then, while still full, the oldest. The cache never passes its capacity.
            while (_byAge.First is { } oldest && (oldest.Value.Expires <= now || _entries.Count >= capacity))
            {
                _entries.Remove(oldest.Value.Key);
                _byAge.RemoveFirst();
            }
            _entries[key] = _byAge.AddLast((key, outcome, now + timeToLive));
        }
    }
}
