using System.Runtime.InteropServices;

namespace Brisk.Crypto.KeyExchange;

/// <summary>
/// Up to 8 X25519 derivations in one call: native/src/x25519_mb52.c runs 8 Montgomery ladders side by side
/// in the lanes of AVX-512 IFMA (radix 2^52, lane i = derivation i). Used only when the CPU has IFMA and a
/// known-answer test passes at load (<see cref="IsAvailable"/>); otherwise callers use the scalar kernel
/// (<see cref="NativeX25519.TryScalarMultiply"/>).
/// </summary>
internal static unsafe partial class NativeX25519MultiBuffer
{
    private const string Library = "brisk_native";
    private const int KeyLength = NativeX25519.KeyLength;

    /// <summary>Derivations per kernel call at most.</summary>
    public const int Lanes = 8;

    private static readonly Lazy<(bool Available, string Status)> s_probe = new(Probe);

    /// <summary>True when the 8-lane kernel is loaded, the CPU runs it, and it passed its known answers. Never throws.</summary>
    public static bool IsAvailable => s_probe.Value.Available;

    /// <summary>Why the kernel is or is not used (for the server's start-up log).</summary>
    public static string Status => s_probe.Value.Status;

    /// <summary>True when libbrisk_native.so is loaded and reports a CPU the 8-lane kernel can run on (tests).</summary>
    internal static bool CpuSupportsKernel
    {
        get
        {
            try
            {
                return NativeX25519.IsAvailable && X25519Mb52Supported() == 1;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                return false;
            }
        }
    }

    [LibraryImport(Library, EntryPoint = "brisk_x25519_mb52")]
    private static partial int X25519Mb52(byte* output, byte* scalars, byte* points, int lanes);

    [LibraryImport(Library, EntryPoint = "brisk_x25519_mb52_supported")]
    private static partial int X25519Mb52Supported();

    /// <summary>
    /// outputs[32i..] = X25519(scalars[32i..], points[32i..]) for i &lt; lanes (1..8). Returns the mask of lanes
    /// whose result is not all zero; a lane with a clear bit must be refused (RFC 7748 §6.1) and its output
    /// is all zero. Throws only for misuse (lengths, lane count, kernel not available).
    /// </summary>
    public static int Compute(Span<byte> outputs, ReadOnlySpan<byte> scalars, ReadOnlySpan<byte> points, int lanes)
    {
        if (!IsAvailable)
            throw new InvalidOperationException("The 8-lane X25519 kernel is not available here.");
        return ComputeUnchecked(outputs, scalars, points, lanes);
    }

    private static int ComputeUnchecked(Span<byte> outputs, ReadOnlySpan<byte> scalars, ReadOnlySpan<byte> points, int lanes)
    {
        if (lanes is < 1 or > Lanes)
            throw new ArgumentOutOfRangeException(nameof(lanes));
        int length = lanes * KeyLength;
        if (outputs.Length < length || scalars.Length < length || points.Length < length)
            throw new ArgumentException("Each buffer needs 32 bytes per lane.");
        fixed (byte* o = outputs)
        fixed (byte* k = scalars)
        fixed (byte* u = points)
            return X25519Mb52(o, k, u, lanes);
    }

    private static (bool, string) Probe()
    {
        try
        {
            if (!NativeX25519.IsAvailable)
                return (false, "libbrisk_native.so not loaded");
            if (X25519Mb52Supported() != 1)
                return (false, "no AVX-512 IFMA on this CPU");
            return PassesKnownAnswers() ? (true, "8-lane AVX-512 IFMA batches") : (false, "8-lane kernel failed its known-answer test");
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return (false, "libbrisk_native.so without the 8-lane entry point");
        }
    }

    /// <summary>
    /// RFC 7748 §5.2 (both single-iteration vectors), §6.1 (both directions) and the all-zero refusal
    /// (u = 0) in one 5-lane call, then §5.2's first vector alone: every result must match and only the
    /// zero lane may be reported zero.
    /// </summary>
    private static bool PassesKnownAnswers()
    {
        string[][] cases =
        [
            ["a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4", "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c", "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"],
            ["4b66e9d4d1b4673c5ad22691957d6af5c11b6421e0ea01d42ca4169e7918ba0d", "e5210f12786811d3f4b7959d0538ae2c31dbe7106fc03c3efc4cd549c715a493", "95cbde9476e8907d7aade45cb4b873f88b595a68799fa152e6f8f7647aac7957"],
            ["77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"],
            ["5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "0000000000000000000000000000000000000000000000000000000000000000", "0000000000000000000000000000000000000000000000000000000000000000"],
            ["5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"],
        ];
        int lanes = cases.Length;
        var scalars = new byte[lanes * KeyLength];
        var points = new byte[lanes * KeyLength];
        var expected = new byte[lanes * KeyLength];
        for (int i = 0; i < lanes; i++)
        {
            Convert.FromHexString(cases[i][0]).CopyTo(scalars, i * KeyLength);
            Convert.FromHexString(cases[i][1]).CopyTo(points, i * KeyLength);
            Convert.FromHexString(cases[i][2]).CopyTo(expected, i * KeyLength);
        }
        var outputs = new byte[lanes * KeyLength];
        if (ComputeUnchecked(outputs, scalars, points, lanes) != 0b10111 || !outputs.AsSpan().SequenceEqual(expected))
            return false;
        return ComputeUnchecked(outputs, scalars, points, 1) == 1 && outputs.AsSpan(0, KeyLength).SequenceEqual(expected.AsSpan(0, KeyLength));
    }
}
