using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Brisk.Crypto.Rsa.MultiBuffer;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// The native multi-buffer engine ("native"): the same blinded, verified 8-lane RSA-CRT as the managed
/// engine, in C with AVX-512 IFMA (52-bit limbs, vpmadd52luq/huq), from <c>native/</c>
/// (libbrisk_native.so, built by <c>dotnet build</c> when cmake and a C compiler exist). When the library
/// is missing or the CPU lacks AVX-512 IFMA, <see cref="Create"/> returns null and the server falls back.
/// </summary>
public static class NativeRsaEngine
{
    public const string EngineName = "native";

    private static readonly Lazy<bool> Available = new(Probe);

    /// <summary>Whether libbrisk_native.so loaded and the CPU has AVX-512F and AVX-512 IFMA.</summary>
    public static bool IsSupported => Available.Value;

    public static BatchingRsaEngine? Create(RsaBatchOptions? options = null, IRsaEngine? fallback = null)
        => IsSupported ? new BatchingRsaEngine(new NativeIfmaKernel(), fallback ?? SystemRsaEngine.Instance, options) : null;

    private static bool Probe()
    {
        try
        {
            return BriskNative.Mb52Supported() == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}

internal static partial class BriskNative
{
    private const string Library = "brisk_native";

    [LibraryImport(Library, EntryPoint = "brisk_rsa_mb52_supported")]
    internal static partial int Mb52Supported();

    [LibraryImport(Library, EntryPoint = "brisk_rsa_mb52_private")]
    internal static unsafe partial int Mb52Private(NativeBatch* batch, uint* verifiedLanes);

    /// <summary>Mirror of <c>brisk_rsa_batch</c> in native/src/brisk_rsa.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal unsafe struct NativeBatch
    {
        public fixed ulong Key[8];
        public fixed ulong Blind[8];
        public fixed ulong Unblind[8];
        public fixed ulong Input[8];
        public fixed ulong Output[8];
        public int ModulusBytes;
        public uint FaultMask;
    }
}

/// <summary>Per key: the 52-bit Montgomery state and the blob the C kernel reads (pinned, layout in brisk_rsa.h).</summary>
internal sealed class NativeKeyState
{
    private const int HeaderWords = 8;

    public NativeKeyState(RsaPrivateKey key)
    {
        State = new MontgomeryKeyState(key, limbBits: 52);
        var s = State;
        int total = HeaderWords + 3 * s.FullLimbs + 7 * s.HalfLimbs + 2 * s.Windows;
        Blob = GC.AllocateArray<ulong>(total, pinned: true);
        Span<ulong> b = Blob;
        b[0] = (ulong)s.FullLimbs;
        b[1] = (ulong)s.HalfLimbs;
        b[2] = (ulong)s.Windows;
        b[3] = s.K0N;
        b[4] = s.K0P;
        b[5] = s.K0Q;
        b[6] = s.PublicExponent;
        int offset = HeaderWords;
        foreach (ulong[] limbs in new[] { s.N, s.RSquaredN, s.OneN, s.P, s.Q, s.RCubedP, s.RCubedQ, s.OneP, s.OneQ, s.QInverseP })
        {
            limbs.CopyTo(b[offset..]);
            offset += limbs.Length;
        }
        foreach (byte[] digits in new[] { s.DpWindows, s.DqWindows })
        {
            for (int w = 0; w < digits.Length; w++)
                b[offset + w] = digits[w];
            offset += digits.Length;
        }
    }

    public MontgomeryKeyState State { get; }

    public ulong[] Blob { get; }
}

internal sealed class NativeIfmaKernel : IRsaBatchKernel
{
    private const int MaxFullLimbs = 80;
    private const int MaxHalfLimbs = 40;

    public string Name => NativeRsaEngine.EngineName;

    public int Lanes => 8;

    /// <summary>
    /// What one call costs, in libcrypto private operations of the same size, whatever the lanes in use: 8 lanes
    /// at 3.6× the system's rate per operation at 2048 bits (`quick rsa`, performance-rsa.md, 27 Nov 2026;
    /// it was ≈ 5 before the squaring and table-scan fixes).
    /// </summary>
    internal const double CallCostInSystemOperations = 8 / 3.6;

    /// <summary>The fewest requests for which a call is cheaper than running them one by one through libcrypto (3).</summary>
    internal const int BreakEvenLanes = (int)CallCostInSystemOperations + 1;

    /// <summary>Below <see cref="BreakEvenLanes"/> pending requests the batcher's fallback (libcrypto) is cheaper and faster.</summary>
    public int DefaultMinimumBatch => BreakEvenLanes;

    public object GroupOf(RsaPrivateKey key) => key.ModulusLength;

    public bool Supports(RsaPrivateKey key)
    {
        var p = key.Parameters;
        return NativeRsaEngine.IsSupported && key.ModulusBits is >= 1024 and <= 4096 && key.ModulusLength % 2 == 0 &&
               p.P!.Length == key.ModulusLength / 2 && p.Q!.Length == key.ModulusLength / 2 &&
               p.Exponent!.Length <= 4 && (p.Modulus![^1] & 1) == 1 && p.P[0] >= 0x80 && p.Q[0] >= 0x80 &&
               (key.ModulusBits + 2 + 51) / 52 <= MaxFullLimbs && (key.ModulusBits / 2 + 2 + 51) / 52 <= MaxHalfLimbs;
    }

    private static NativeKeyState StateOf(RsaPrivateKey key)
        => (NativeKeyState)key.EngineState.GetOrAdd("native52", static (_, k) => new NativeKeyState(k), key);

    public unsafe void Compute(ReadOnlySpan<RsaBatchItem> items)
    {
        if (items.Length == 0 || items.Length > Lanes)
            throw new ArgumentException("Batch size out of range.", nameof(items));
        var states = new NativeKeyState[Lanes];
        var pairs = new BlindingPair[Lanes];
        var handles = new MemoryHandle[2 * Lanes];
        BriskNative.NativeBatch batch = default;
        try
        {
            for (int l = 0; l < Lanes; l++)
            {
                var item = items[l < items.Length ? l : 0];
                states[l] = StateOf(item.Key);
                if (l < items.Length)
                {
                    pairs[l] = states[l].State.TakeBlinding();
                    handles[2 * l] = item.Input.Pin();
                    handles[2 * l + 1] = item.Output.Pin();
                    batch.Output[l] = (ulong)handles[2 * l + 1].Pointer;
                }
                else
                {
                    // Padding lanes: lane 0's request again, with a private copy of its blinding pair and a
                    // scratch output, both discarded. The scratch is this thread's and reused: pinned arrays
                    // allocated per call would each wait for a gen2 collection.
                    var scratch = PaddingScratch.For(l, pairs[0].Blind.Length, item.Output.Length);
                    pairs[0].Blind.CopyTo(scratch.Pair.Blind, 0);
                    pairs[0].Unblind.CopyTo(scratch.Pair.Unblind, 0);
                    pairs[l] = scratch.Pair;
                    handles[2 * l] = item.Input.Pin();
                    batch.Output[l] = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(scratch.Output));
                }
                batch.Key[l] = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(states[l].Blob));
                batch.Blind[l] = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pairs[l].Blind));
                batch.Unblind[l] = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pairs[l].Unblind));
                batch.Input[l] = (ulong)handles[2 * l].Pointer;
                if (l < items.Length && item.InjectFault)
                    batch.FaultMask |= 1u << l;
            }
            batch.ModulusBytes = items[0].Key.ModulusLength;
            uint verified = 0;
            int status = BriskNative.Mb52Private(&batch, &verified);
            if (status != 0)
                throw new InvalidOperationException($"brisk_rsa_mb52_private rejected the batch ({status}).");
            for (int l = 0; l < items.Length; l++)
                items[l].Verified = (verified & (1u << l)) != 0;
        }
        finally
        {
            foreach (var handle in handles)
                handle.Dispose();
            for (int l = 0; l < items.Length; l++)
            {
                if (pairs[l] is not null)
                    states[l].State.Return(pairs[l]);
            }
            for (int l = items.Length; l < Lanes; l++)
            {
                // The padding copies held lane 0's blinding factors: erase them.
                if (pairs[l] is not null)
                {
                    Array.Clear(pairs[l].Blind);
                    Array.Clear(pairs[l].Unblind);
                }
            }
        }
    }

    /// <summary>Per-thread pinned buffers for the padding lanes of partial batches, grown to the largest key seen.</summary>
    private sealed class PaddingScratch(int limbs, int outputLength)
    {
        [ThreadStatic]
        private static PaddingScratch?[]? t_lanes;

        public BlindingPair Pair { get; } = new(GC.AllocateArray<ulong>(limbs, pinned: true), GC.AllocateArray<ulong>(limbs, pinned: true));

        public byte[] Output { get; } = GC.AllocateArray<byte>(outputLength, pinned: true);

        public static PaddingScratch For(int lane, int limbs, int outputLength)
        {
            var lanes = t_lanes ??= new PaddingScratch?[8];
            var scratch = lanes[lane];
            if (scratch is null || scratch.Pair.Blind.Length != limbs || scratch.Output.Length < outputLength)
                lanes[lane] = scratch = new PaddingScratch(limbs, outputLength);
            return scratch;
        }
    }
}
