using System.Security.Cryptography;

namespace Brisk.Crypto.Hashing;

/// <summary>The hash functions TLS 1.2/1.3 cipher suites use for PRF/HKDF and the transcript.</summary>
public enum HashKind
{
    Sha256,
    Sha384,
}

public static class HashKindInfo
{
    /// <summary>Digest length in bytes (32 or 48).</summary>
    public static int HashLength(this HashKind kind) => kind switch
    {
        HashKind.Sha256 => 32,
        HashKind.Sha384 => 48,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Compression block length in bytes (64 or 128), the HMAC key-pad length (RFC 2104 §2).</summary>
    public static int BlockLength(this HashKind kind) => kind switch
    {
        HashKind.Sha256 => 64,
        HashKind.Sha384 => 128,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static HashAlgorithmName ToHashAlgorithmName(this HashKind kind) => kind switch
    {
        HashKind.Sha256 => HashAlgorithmName.SHA256,
        HashKind.Sha384 => HashAlgorithmName.SHA384,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>The largest hash length of the supported kinds; size stack buffers with it.</summary>
    public const int MaxHashLength = 48;

    /// <summary>The largest block length of the supported kinds.</summary>
    public const int MaxBlockLength = 128;
}
