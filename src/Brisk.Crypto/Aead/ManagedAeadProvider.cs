using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Brisk.Crypto.Aead;

/// <summary>
/// Kernel strategy of <see cref="ManagedAeadProvider"/>. .NET 10 exposes no VAES API (only 128-bit
/// <see cref="System.Runtime.Intrinsics.X86.Aes"/>), so every hardware path runs AES rounds on 128-bit
/// AES-NI; the paths differ in the width of the carry-less multiplies used for GHASH and of the
/// vectors used for ChaCha20.
/// </summary>
public enum AeadPath
{
    /// <summary>The widest path the CPU supports.</summary>
    Auto,
    /// <summary>AES-NI rounds, GHASH with VPCLMULQDQ on 512-bit vectors, ChaCha20 on Vector512 (4 blocks per vector).</summary>
    Avx512,
    /// <summary>AES-NI rounds, GHASH with VPCLMULQDQ on 256-bit vectors, ChaCha20 on Vector256 (2 blocks per vector).</summary>
    Avx2,
    /// <summary>AES-NI rounds, GHASH with 128-bit PCLMULQDQ, ChaCha20 on Vector128.</summary>
    AesNi,
    /// <summary>Scalar constant-time code: no secret-indexed tables (S-box by GF(2^8) inversion, bit-serial GHASH).</summary>
    Portable,
}

/// <summary>
/// Our own AEAD kernels (AES-GCM per NIST SP 800-38D, ChaCha20-Poly1305 per RFC 8439).
/// The path is chosen from the CPU, or forced with the <c>BRISK_AEAD_PATH</c> environment variable
/// (<c>auto|avx512|avx2|aesni|portable</c>) or <see cref="Create(AeadPath)"/>.
/// </summary>
public sealed class ManagedAeadProvider : IAeadProvider
{
    public const string PathEnvironmentVariable = "BRISK_AEAD_PATH";

    private static ManagedAeadProvider? s_default;

    private ManagedAeadProvider(AeadPath path) => Path = path;

    /// <summary>The provider for the best supported path, or the one named by <c>BRISK_AEAD_PATH</c>.</summary>
    public static ManagedAeadProvider Default => s_default ??= Create(PathFromEnvironment());

    public string Name => "managed";

    /// <summary>The concrete path in use (never <see cref="AeadPath.Auto"/>); the server logs it at start.</summary>
    public AeadPath Path { get; }

    /// <summary>Lower-case name of <see cref="Path"/>, as accepted by <c>BRISK_AEAD_PATH</c>.</summary>
    public string PathName => PathToName(Path);

    /// <summary>Every path this CPU can run, widest first (always ends with <see cref="AeadPath.Portable"/>).</summary>
    public static IReadOnlyList<AeadPath> SupportedPaths { get; } = ComputeSupportedPaths();

    public static bool IsSupported(AeadPath path) => path == AeadPath.Auto || SupportedPaths.Contains(path);

    /// <summary>Creates a provider on <paramref name="path"/>; throws <see cref="PlatformNotSupportedException"/> if the CPU lacks it.</summary>
    public static ManagedAeadProvider Create(AeadPath path)
    {
        if (path == AeadPath.Auto)
            path = SupportedPaths[0];
        if (!IsSupported(path))
            throw new PlatformNotSupportedException($"AEAD path '{PathToName(path)}' is not supported on this CPU.");
        return new ManagedAeadProvider(path);
    }

    public IAead Create(AeadAlgorithm algorithm, ReadOnlySpan<byte> key)
    {
        if (key.Length != algorithm.KeySize())
            throw new ArgumentException($"{algorithm} needs a {algorithm.KeySize()}-byte key.", nameof(key));
        return algorithm switch
        {
            AeadAlgorithm.Aes128Gcm or AeadAlgorithm.Aes256Gcm => new ManagedAesGcm(algorithm, key, Path),
            AeadAlgorithm.ChaCha20Poly1305 => new ManagedChaCha20Poly1305(key, Path),
            _ => throw new ArgumentOutOfRangeException(nameof(algorithm)),
        };
    }

    public static string PathToName(AeadPath path) => path switch
    {
        AeadPath.Auto => "auto",
        AeadPath.Avx512 => "avx512",
        AeadPath.Avx2 => "avx2",
        AeadPath.AesNi => "aesni",
        AeadPath.Portable => "portable",
        _ => throw new ArgumentOutOfRangeException(nameof(path)),
    };

    public static bool TryParsePath(string? name, out AeadPath path)
    {
        switch (name?.Trim().ToLowerInvariant())
        {
            case null or "" or "auto": path = AeadPath.Auto; return true;
            case "avx512": path = AeadPath.Avx512; return true;
            case "avx2": path = AeadPath.Avx2; return true;
            case "aesni": path = AeadPath.AesNi; return true;
            case "portable": path = AeadPath.Portable; return true;
            default: path = AeadPath.Auto; return false;
        }
    }

    internal static AeadPath PathFromEnvironment()
    {
        string? value = Environment.GetEnvironmentVariable(PathEnvironmentVariable);
        if (!TryParsePath(value, out var path))
            throw new InvalidOperationException($"{PathEnvironmentVariable}='{value}' is not one of auto|avx512|avx2|aesni|portable.");
        return path;
    }

    private static List<AeadPath> ComputeSupportedPaths()
    {
        var paths = new List<AeadPath>();
        bool aesNi = System.Runtime.Intrinsics.X86.Aes.IsSupported && Pclmulqdq.IsSupported && Sse41.IsSupported;
        if (aesNi && Pclmulqdq.V512.IsSupported && Avx512BW.IsSupported && Avx512F.IsSupported && Vector512.IsHardwareAccelerated)
            paths.Add(AeadPath.Avx512);
        if (aesNi && Pclmulqdq.V256.IsSupported && Avx2.IsSupported)
            paths.Add(AeadPath.Avx2);
        if (aesNi)
            paths.Add(AeadPath.AesNi);
        paths.Add(AeadPath.Portable);
        return paths;
    }
}
