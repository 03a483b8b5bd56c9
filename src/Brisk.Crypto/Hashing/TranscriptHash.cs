using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Hashing;

/// <summary>
/// The running hash of the handshake transcript (RFC 8446 §4.4.1, RFC 5246 §7.4.9): append messages as
/// they are sent/received, read the hash of everything so far as often as needed without finalizing.
/// </summary>
/// <remarks>
/// With libcrypto the state is a plain SHA2 context held inline, so <see cref="GetCurrentHash"/> copies
/// ~112/216 bytes and finalizes the copy: no native allocation, nothing to free. Measured ~4–8× cheaper
/// than IncrementalHash.GetCurrentHash per 64-byte append + read (docs/performance-platform.md). When
/// libcrypto.so.3 is not loadable it falls back to <see cref="IncrementalHash"/>. Not thread-safe: one
/// instance per connection.
/// </remarks>
public sealed class TranscriptHash : IDisposable
{
    private Sha2State _state;
    private readonly IncrementalHash? _system;
    private bool _disposed;

    /// <param name="kind">The cipher suite's hash.</param>
    /// <param name="useLibCrypto">false forces the .NET IncrementalHash implementation (baseline, fallback).</param>
    public TranscriptHash(HashKind kind, bool useLibCrypto = true)
    {
        Kind = kind;
        if (useLibCrypto && LibCrypto.Probe.IsAvailable)
            _state.Initialize(kind);
        else
            _system = IncrementalHash.CreateHash(kind.ToHashAlgorithmName());
    }

    private TranscriptHash(TranscriptHash source)
    {
        Kind = source.Kind;
        _state = source._state;
        _system = source._system?.Clone();
    }

    public HashKind Kind { get; }

    public int HashLength => Kind.HashLength();

    /// <summary>True when backed by libcrypto, false when by .NET's IncrementalHash.</summary>
    public bool IsLibCrypto => _system is null;

    public void Append(ReadOnlySpan<byte> data)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_system is null)
            _state.Append(data);
        else
            _system.AppendData(data);
    }

    /// <summary>Writes the hash of everything appended so far; the transcript continues unchanged.</summary>
    /// <returns>The number of bytes written (<see cref="HashLength"/>).</returns>
    public int GetCurrentHash(Span<byte> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_system is not null)
            return _system.GetCurrentHash(destination);
        Sha2State fork = _state;
        fork.Finish(destination);
        return HashLength;
    }

    /// <summary>An independent copy that continues from the current point (e.g. for a HelloRetryRequest).</summary>
    public TranscriptHash Clone()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new(this);
    }

    public void Dispose()
    {
        _disposed = true;
        _state.Clear();
        _system?.Dispose();
    }
}
