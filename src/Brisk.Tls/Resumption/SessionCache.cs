namespace Brisk.Tls.Resumption;

/// <summary>
/// The server's TLS 1.2 session-ID cache (RFC 5246 §7.4.1.2, §F.1.4): session_id → <see cref="SessionState"/>,
/// bounded in size (least recently used evicted first) and in time (each state's lifetime). Thread-safe
/// behind one lock; entries are small and operations O(1), so the lock is held only briefly.
/// Evicted or expired states are erased.
/// </summary>
public sealed class SessionCache : IDisposable
{
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, LinkedListNode<Entry>> _entries;
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private readonly object _lock = new();

    public SessionCache(int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
        _time = time;
        _entries = new Dictionary<string, LinkedListNode<Entry>>(Math.Min(capacity, 1024), StringComparer.Ordinal);
    }

    public int Capacity => _capacity;

    public int Count
    {
        get { lock (_lock) return _entries.Count; }
    }

    /// <summary>Stores <paramref name="state"/> (the cache takes ownership) under <paramref name="sessionId"/>.</summary>
    public void Add(ReadOnlySpan<byte> sessionId, SessionState state)
    {
        string key = Convert.ToHexString(sessionId);
        lock (_lock)
        {
            if (_entries.Remove(key, out var existing))
            {
                _recency.Remove(existing);
                existing.Value.State.Dispose();
            }
            while (_entries.Count >= _capacity)
            {
                var oldest = _recency.Last!;
                _recency.RemoveLast();
                _entries.Remove(oldest.Value.Key);
                oldest.Value.State.Dispose();
            }
            _entries[key] = _recency.AddFirst(new Entry(key, state));
        }
    }

    /// <summary>
    /// A copy of the cached state (the caller owns and disposes it), or null when the ID is unknown or the
    /// session expired (it is then removed).
    /// </summary>
    public SessionState? TryGet(ReadOnlySpan<byte> sessionId)
    {
        if (sessionId.IsEmpty)
            return null;
        string key = Convert.ToHexString(sessionId);
        lock (_lock)
        {
            if (!_entries.TryGetValue(key, out var node))
                return null;
            var state = node.Value.State;
            if (state.IsExpired(_time.GetUtcNow()))
            {
                _entries.Remove(key);
                _recency.Remove(node);
                state.Dispose();
                return null;
            }
            _recency.Remove(node);
            _recency.AddFirst(node);
            return new SessionState
            {
                Version = state.Version,
                CipherSuite = state.CipherSuite,
                Secret = (byte[])state.Secret.Clone(),
                ExtendedMasterSecret = state.ExtendedMasterSecret,
                ApplicationProtocol = state.ApplicationProtocol,
                ServerName = state.ServerName,
                ClientCertificate = state.ClientCertificate,
                CreatedAt = state.CreatedAt,
                TicketAgeAdd = state.TicketAgeAdd,
                Lifetime = state.Lifetime,
            };
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var entry in _recency)
                entry.State.Dispose();
            _recency.Clear();
            _entries.Clear();
        }
    }

    private sealed record Entry(string Key, SessionState State);
}
