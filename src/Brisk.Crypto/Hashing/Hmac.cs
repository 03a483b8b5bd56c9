using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Hashing;

/// <summary>
/// HMAC-SHA256/384 (RFC 2104) into caller-provided spans, zero allocation. Built on the inline libcrypto
/// SHA2 state (<see cref="Sha2State"/>): four native calls per hash and no EVP_MAC machinery, measured
/// ~4× cheaper than HMACSHA256.HashData for 64-byte messages (docs/performance-platform.md). Falls back to
/// .NET's one-shots when libcrypto.so.3 is not loadable. Thread-safe (no shared state).
/// </summary>
public static class Hmac
{
    /// <summary>Computes HMAC(key, data) and returns the number of bytes written (the hash length).</summary>
    public static int Compute(HashKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> data, Span<byte> destination) =>
        Compute(kind, key, data, [], [], destination);

    /// <summary>
    /// Computes HMAC(key, part1 || part2 || part3) without concatenating (HKDF-Expand's T(n-1) | info | n).
    /// </summary>
    public static int Compute(HashKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2,
        ReadOnlySpan<byte> part3, Span<byte> destination)
    {
        int length = kind.HashLength();
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} bytes.", nameof(destination));
        if (!LibCrypto.Probe.IsAvailable)
            return ComputeSystem(kind, key, part1, part2, part3, destination);

        var state = new HmacState(kind, key);
        try
        {
            state.Append(part1);
            state.Append(part2);
            state.Append(part3);
            state.Finish(destination);
            return length;
        }
        finally
        {
            state.Clear();
        }
    }

    /// <summary>The .NET path: fallback without libcrypto, and the baseline in tests and benchmarks.</summary>
    internal static int ComputeSystem(HashKind kind, ReadOnlySpan<byte> key, ReadOnlySpan<byte> part1, ReadOnlySpan<byte> part2,
        ReadOnlySpan<byte> part3, Span<byte> destination)
    {
        if (part2.IsEmpty && part3.IsEmpty)
            return kind == HashKind.Sha256 ? HMACSHA256.HashData(key, part1, destination) : HMACSHA384.HashData(key, part1, destination);
        using var hmac = IncrementalHash.CreateHMAC(kind.ToHashAlgorithmName(), key);
        hmac.AppendData(part1);
        hmac.AppendData(part2);
        hmac.AppendData(part3);
        return hmac.GetHashAndReset(destination);
    }

    /// <summary>One HMAC computation: inner hash keyed with K ⊕ ipad, outer with K ⊕ opad (RFC 2104 §2).</summary>
    private struct HmacState
    {
        private Sha2State _inner;
        private Sha2State _outer;

        public HmacState(HashKind kind, ReadOnlySpan<byte> key)
        {
            int blockLength = kind.BlockLength();
            Span<byte> pad = stackalloc byte[HashKindInfo.MaxBlockLength];
            pad = pad[..blockLength];
            try
            {
                // Keys longer than the block are replaced by their hash; shorter ones are zero-padded.
                if (key.Length > blockLength)
                {
                    _inner.Initialize(kind);
                    _inner.Append(key);
                    _inner.Finish(pad);
                    pad[kind.HashLength()..].Clear();
                }
                else
                {
                    key.CopyTo(pad);
                    pad[key.Length..].Clear();
                }
                for (int i = 0; i < pad.Length; i++)
                    pad[i] ^= 0x36;
                _inner.Initialize(kind);
                _inner.Append(pad);
                for (int i = 0; i < pad.Length; i++)
                    pad[i] ^= 0x36 ^ 0x5c;
                _outer.Initialize(kind);
                _outer.Append(pad);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(pad);
            }
        }

        public void Append(ReadOnlySpan<byte> data) => _inner.Append(data);

        public void Finish(Span<byte> destination)
        {
            Span<byte> innerHash = stackalloc byte[HashKindInfo.MaxHashLength];
            innerHash = innerHash[.._inner.Kind.HashLength()];
            _inner.Finish(innerHash);
            _outer.Append(innerHash);
            _outer.Finish(destination);
            CryptographicOperations.ZeroMemory(innerHash);
        }

        public void Clear()
        {
            _inner.Clear();
            _outer.Clear();
        }
    }
}
