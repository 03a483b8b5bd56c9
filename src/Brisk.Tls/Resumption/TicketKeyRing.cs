using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Crypto;

namespace Brisk.Tls.Resumption;

/// <summary>
/// The session-ticket keys and the ticket seal (RFC 5077 §4's recommended construction, with an AEAD):
/// <c>key_name(16) || nonce(12) || AES-256-GCM(state) || tag(16)</c>, the key name as associated data.
/// The newest key seals; every key still in the ring opens. Two sources of keys:
/// <list type="bullet">
/// <item>rotating, in memory (<see cref="CreateRotating"/>): a new random key every <c>rotateEvery</c>, each
/// accepted until <c>acceptFor</c> after its creation; keys never leave the process.</item>
/// <item>a key file (<see cref="LoadFile"/>) shared by several servers: one key per line, newest first; the file
/// is re-read when it changes, so operators rotate by rewriting it (see README, "Session ticket keys").</item>
/// </list>
/// Thread-safe: handshakes on every connection seal and open concurrently. Opening never throws: a ticket that
/// is malformed, from an unknown or retired key, or tampered with simply does not open.
/// </summary>
public sealed class TicketKeyRing : IDisposable
{
    public const int KeyNameLength = 16;
    public const int KeyLength = 32;
    public const int NonceLength = 12;
    public const int TagLength = 16;

    /// <summary>Bytes a ticket adds to the sealed state.</summary>
    public const int Overhead = KeyNameLength + NonceLength + TagLength;

    /// <summary>How often a key file is checked for changes (its modification time and size).</summary>
    private static readonly TimeSpan FileCheckInterval = TimeSpan.FromSeconds(1);

    private readonly IAeadProvider _aead;
    private readonly TimeProvider _time;
    private readonly TimeSpan _rotateEvery;
    private readonly TimeSpan _acceptFor;
    private readonly string? _path;
    private readonly object _refreshLock = new();
    private volatile TicketKey[] _keys;
    private DateTimeOffset _nextFileCheck;
    private (DateTime Modified, long Length) _fileStamp;

    private TicketKeyRing(IAeadProvider aead, TimeProvider time, TimeSpan rotateEvery, TimeSpan acceptFor, string? path, TicketKey[] keys)
    {
        _aead = aead;
        _time = time;
        _rotateEvery = rotateEvery;
        _acceptFor = acceptFor;
        _path = path;
        _keys = keys;
    }

    /// <summary>Default rotation: a new key every hour...</summary>
    public static readonly TimeSpan DefaultRotation = TimeSpan.FromHours(1);

    /// <summary>...each accepted for two hours after its creation, so a ticket sealed just before a rotation still opens for an hour.</summary>
    public static readonly TimeSpan DefaultAcceptance = TimeSpan.FromHours(2);

    /// <summary>In-memory keys that rotate on a schedule (the usual single-server setup).</summary>
    public static TicketKeyRing CreateRotating(IAeadProvider aead, TimeProvider time, TimeSpan? rotateEvery = null, TimeSpan? acceptFor = null)
    {
        var rotate = rotateEvery ?? DefaultRotation;
        var accept = acceptFor ?? DefaultAcceptance;
        if (rotate <= TimeSpan.Zero || accept < rotate)
            throw new ArgumentException("Keys must rotate after a positive interval and be accepted at least that long.");
        return new TicketKeyRing(aead, time, rotate, accept, null, [TicketKey.Generate(time.GetUtcNow())]);
    }

    /// <summary>
    /// Keys from a file: one key per line (hex or base64 of 48 bytes: a 16-byte key name, then a 32-byte
    /// AES-256 key), newest first; blank lines and lines starting with '#' are ignored. The first key seals,
    /// all open. Throws <see cref="InvalidDataException"/> or <see cref="IOException"/> for a bad or unreadable file.
    /// </summary>
    public static TicketKeyRing LoadFile(string path, IAeadProvider aead, TimeProvider time)
    {
        var keys = ReadKeyFile(path);
        var ring = new TicketKeyRing(aead, time, TimeSpan.MaxValue, TimeSpan.MaxValue, path, keys);
        ring._fileStamp = Stamp(path);
        ring._nextFileCheck = time.GetUtcNow() + FileCheckInterval;
        return ring;
    }

    /// <summary>The key file this ring follows, or null for in-memory keys.</summary>
    public string? KeyFile => _path;

    /// <summary>Number of keys currently accepted (the first one seals).</summary>
    public int KeyCount => Refresh().Length;

    /// <summary>Seals <paramref name="plaintext"/> under the newest key into a new ticket.</summary>
    public byte[] Seal(ReadOnlySpan<byte> plaintext)
    {
        var key = Refresh()[0];
        var ticket = new byte[Overhead + plaintext.Length];
        key.Name.CopyTo(ticket, 0);
        var nonce = ticket.AsSpan(KeyNameLength, NonceLength);
        PooledRandom.Fill(nonce);
        using var aead = _aead.Create(AeadAlgorithm.Aes256Gcm, key.Key);
        aead.Seal(nonce, plaintext, ticket.AsSpan(KeyNameLength + NonceLength, plaintext.Length), ticket.AsSpan(ticket.Length - TagLength), key.Name);
        return ticket;
    }

    /// <summary>
    /// Opens a ticket into a new array that the caller owns (and must erase: it holds secrets). False, and
    /// null, when the ticket is too short, names a key not in the ring (unknown or retired) or fails
    /// authentication. <paramref name="sealedWithNewestKey"/> tells whether the ticket should be renewed.
    /// </summary>
    public bool TryOpen(ReadOnlySpan<byte> ticket, out byte[]? plaintext, out bool sealedWithNewestKey)
    {
        plaintext = null;
        sealedWithNewestKey = false;
        if (ticket.Length < Overhead)
            return false;
        var keys = Refresh();
        var name = ticket[..KeyNameLength];
        var now = _time.GetUtcNow();
        for (int i = 0; i < keys.Length; i++)
        {
            var key = keys[i];
            if (!name.SequenceEqual(key.Name))
                continue;
            if (!IsAccepted(key, now))
                return false;
            var output = new byte[ticket.Length - Overhead];
            using var aead = _aead.Create(AeadAlgorithm.Aes256Gcm, key.Key);
            if (!aead.Open(ticket.Slice(KeyNameLength, NonceLength), ticket.Slice(KeyNameLength + NonceLength, output.Length),
                    ticket[^TagLength..], output, key.Name))
                return false;
            plaintext = output;
            sealedWithNewestKey = i == 0;
            return true;
        }
        return false;
    }

    /// <summary>Seals a session into a ticket (RFC 5077 §4, RFC 8446 §4.6.1).</summary>
    public byte[] SealSession(SessionState state)
    {
        using var serialized = state.Serialize();
        return Seal(serialized.WrittenSpan);
    }

    /// <summary>
    /// Opens a ticket into the session it carries; null (never an exception) when it does not open, does not
    /// parse, or its session has expired. The caller owns and disposes the state.
    /// </summary>
    public SessionState? TryOpenSession(ReadOnlySpan<byte> ticket, out bool sealedWithNewestKey)
    {
        if (!TryOpen(ticket, out var plaintext, out sealedWithNewestKey))
            return null;
        try
        {
            if (!SessionState.TryDeserialize(plaintext, out var state))
                return null;
            if (state!.IsExpired(_time.GetUtcNow()))
            {
                state.Dispose();
                return null;
            }
            return state;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private bool IsAccepted(TicketKey key, DateTimeOffset now) => _path is not null || now < key.CreatedAt + _acceptFor;

    /// <summary>The current keys, newest first, after any due rotation (memory) or reload (file).</summary>
    private TicketKey[] Refresh()
    {
        var keys = _keys;
        var now = _time.GetUtcNow();
        if (_path is null ? now - keys[0].CreatedAt < _rotateEvery : now < _nextFileCheck)
            return keys;
        lock (_refreshLock)
        {
            keys = _keys;
            if (_path is null)
            {
                if (now - keys[0].CreatedAt >= _rotateEvery)
                {
                    var fresh = TicketKey.Generate(now);
                    var retired = keys.Where(k => !IsAccepted(k, now)).ToList();
                    keys = [fresh, .. keys.Where(k => IsAccepted(k, now))];
                    _keys = keys;
                    foreach (var key in retired)
                        key.Erase();
                }
            }
            else if (now >= _nextFileCheck)
            {
                _nextFileCheck = now + FileCheckInterval;
                keys = ReloadIfChanged(keys);
            }
            return keys;
        }
    }

    private TicketKey[] ReloadIfChanged(TicketKey[] keys)
    {
        try
        {
            var stamp = Stamp(_path!);
            if (stamp == _fileStamp)
                return keys;
            var loaded = ReadKeyFile(_path!);
            _fileStamp = stamp;
            _keys = loaded;
            // The old key objects may still be in use by a concurrent Seal/TryOpen; they are left to the GC.
            return loaded;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            // A half-written or unreadable file keeps the keys we have; the next check tries again.
            return keys;
        }
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        info.Refresh();
        return (info.LastWriteTimeUtc, info.Exists ? info.Length : -1);
    }

    internal static TicketKey[] ReadKeyFile(string path)
    {
        var keys = new List<TicketKey>();
        int lineNumber = 0;
        foreach (var rawLine in File.ReadAllLines(path))
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            byte[] material = ParseKeyLine(line) ?? throw new InvalidDataException(
                $"{path}:{lineNumber}: a ticket key is {KeyNameLength + KeyLength} bytes in hex ({2 * (KeyNameLength + KeyLength)} digits) or base64");
            var key = new TicketKey(material.AsSpan(0, KeyNameLength).ToArray(), material.AsSpan(KeyNameLength).ToArray(), DateTimeOffset.MinValue);
            CryptographicOperations.ZeroMemory(material);
            if (keys.Any(k => k.Name.AsSpan().SequenceEqual(key.Name)))
                throw new InvalidDataException($"{path}:{lineNumber}: duplicate key name");
            keys.Add(key);
        }
        if (keys.Count == 0)
            throw new InvalidDataException($"{path}: no ticket key in the file");
        return [.. keys];
    }

    private static byte[]? ParseKeyLine(string line)
    {
        const int length = KeyNameLength + KeyLength;
        if (line.Length == 2 * length)
        {
            try { return Convert.FromHexString(line); } catch (FormatException) { }
        }
        var buffer = new byte[length + 3];
        if (Convert.TryFromBase64String(line, buffer, out int written) && written == length)
            return buffer.AsSpan(0, length).ToArray();
        return null;
    }

    public void Dispose()
    {
        foreach (var key in _keys)
            key.Erase();
    }

    internal sealed class TicketKey(byte[] name, byte[] key, DateTimeOffset createdAt)
    {
        public byte[] Name { get; } = name;

        public byte[] Key { get; } = key;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public static TicketKey Generate(DateTimeOffset now) =>
            new(RandomNumberGenerator.GetBytes(KeyNameLength), RandomNumberGenerator.GetBytes(KeyLength), now);

        public void Erase() => CryptographicOperations.ZeroMemory(Key);
    }
}
