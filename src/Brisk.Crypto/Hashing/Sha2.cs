using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Hashing;

/// <summary>One-shot SHA-256/SHA-384 into a span through libcrypto's SHA2 functions (.NET fallback).</summary>
public static class Sha2
{
    /// <summary>Hashes <paramref name="data"/>; returns the number of bytes written (the hash length).</summary>
    public static int Hash(HashKind kind, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int length = kind.HashLength();
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} bytes.", nameof(destination));
        if (!LibCrypto.Probe.IsAvailable)
            return kind == HashKind.Sha256 ? SHA256.HashData(data, destination) : SHA384.HashData(data, destination);
        var state = default(Sha2State);
        state.Initialize(kind);
        state.Append(data);
        state.Finish(destination);
        return length;
    }
}
