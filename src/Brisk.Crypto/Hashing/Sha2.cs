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

    /// <summary>
    /// One-shot hash by .NET name: SHA-256 and SHA-384 through <see cref="Hash(HashKind, ReadOnlySpan{byte}, Span{byte})"/>
    /// (a few direct libcrypto calls on a stack context), anything else through .NET, whose one-shot API creates and
    /// frees an EVP_MD_CTX and clears OpenSSL's error queue on every call: about 1 µs each, and a PSS signature
    /// with MGF1 makes eight of them.
    /// </summary>
    public static int Hash(HashAlgorithmName hash, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        if (hash == HashAlgorithmName.SHA256)
            return Hash(HashKind.Sha256, data, destination);
        if (hash == HashAlgorithmName.SHA384)
            return Hash(HashKind.Sha384, data, destination);
        return CryptographicOperations.HashData(hash, data, destination);
    }
}
