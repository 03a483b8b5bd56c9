using System.Diagnostics;
using System.Numerics;
using System.Security.Cryptography;
using Brisk.Crypto.Native;
using Brisk.Crypto.Rsa;

namespace Brisk.Bench;

/// <summary>
/// <c>quick rsa-fiat-parts [cpu-seconds]</c>: where a Fiat batch's time goes, in CPU microseconds of the
/// measuring thread: the whole engine on full kernels (per request), the native split's phases for one
/// batch (up, down, the one inversion mod n, finish with verification), and one <c>system</c> operation
/// for scale. Prints <c>RATIO rsaN-fiat-bB part/system=x us=y</c> (the part's cost per request relative to
/// one system private operation).
/// </summary>
public sealed class QuickRsaFiatParts : IQuickCommand
{
    public string Area => "rsa-fiat-parts";

    public void Run(string[] args)
    {
        double seconds = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 0.2;
        if (!FiatNativeSplit.IsAvailable)
        {
            Console.WriteLine("# rsa-fiat-parts: libbrisk_native.so not loaded");
            return;
        }
        foreach (int bits in new[] { 2048, 3072 })
        {
            var family = FiatKeyFamily.Generate(bits, 8);
            int k = family[0].ModulusLength;
            double system = PerCall(seconds, () =>
            {
                byte[] input = new byte[k], output = new byte[k];
                input[^1] = 7;
                SystemRsaEngine.Instance.Private(family[0], input, output);
            });
            Console.WriteLine($"RATIO rsa{bits}-fiat system/system=1.00 us={system * 1e6:F1}");
            foreach (int b in new[] { 2, 4, 8 })
            {
                var keys = family.Take(b).ToArray();
                var engine = FiatRsaEngine.Create(b)!;
                double whole = PerCall(seconds, () => RsaBenchEngines.FullBatches(engine, keys, 1)) / engine.Lanes;
                var managed = FiatRsaEngine.Create(b, null, null, FiatSplitMode.Managed)!;
                double wholeManaged = PerCall(seconds, () => RsaBenchEngines.FullBatches(managed, keys, 1)) / managed.Lanes;
                var scalar = FiatRsaEngine.Create(b, null, null, FiatSplitMode.NativeScalar)!;
                double wholeScalar = PerCall(seconds, () => RsaBenchEngines.FullBatches(scalar, keys, 1)) / scalar.Lanes;

                ulong[] blob = FiatNativeSplit.BuildKey(family[0].Parameters);
                var items = keys.Select((key, i) => new RsaBatchItem(key, RandomBelow(key), new byte[k])).ToArray();
                var exponents = keys.Select(key => (ulong)new BigInteger(key.PublicExponent, isUnsigned: true, isBigEndian: true)).ToArray();
                byte[] root = new byte[k], rootResult = RandomBelow(keys[0]);
                using var batch = new FiatNativeSplit.Batch(blob, exponents, items, k);
                double up = PerCall(seconds, () => batch.Up(root)) / b;
                IntPtr ctx = LibCrypto.BnCtxNew();
                IntPtr modulus;
                unsafe
                {
                    fixed (byte* n = keys[0].Parameters.Modulus)
                        modulus = LibCrypto.BnBin2Bn(n, k, IntPtr.Zero);
                }
                // down + inversion + finish (results fail verification here, at the same cost)
                double split = PerCall(seconds, () => batch.Split(rootResult, items, keys[0].Parameters.Modulus, modulus, ctx)) / b;
                byte[] value = RandomBelow(keys[0]);
                double inverse = PerCall(seconds, () => Invert(value, modulus, ctx)) / b;
                double inverseGmp = PerCall(seconds, () => PublicModularInverse.TryInvert(value.ToArray(), keys[0].Parameters.Modulus, modulus, ctx)) / b;
                // The IFMA split: 8 batches side by side (one group = 8·b requests).
                double vectorUp = double.NaN, vectorSplit = double.NaN;
                if (FiatVectorGroup.Supports(keys[0]))
                {
                    ulong[] vectorKey = new NativeKeyState(keys[0]).Blob;
                    var lanes = Enumerable.Range(0, FiatVectorGroup.Lanes).Select(_ => (vectorKey, keys[0].Parameters.Modulus!, modulus,
                        (IReadOnlyList<RsaBatchItem>)keys.Select(key => new RsaBatchItem(key, RandomBelow(key), new byte[k])).ToArray())).ToList();
                    var roots = Enumerable.Range(0, FiatVectorGroup.Lanes).Select(_ => (ReadOnlyMemory<byte>?)RandomBelow(keys[0])).ToArray();
                    vectorUp = PerCall(seconds, () =>
                    {
                        using var group = new FiatVectorGroup(lanes, exponents, k);
                        group.Upward();
                    }) / (FiatVectorGroup.Lanes * b);
                    vectorSplit = PerCall(seconds, () =>
                    {
                        using var group = new FiatVectorGroup(lanes, exponents, k);
                        group.Upward();
                        group.Split(roots, ctx);
                    }) / (FiatVectorGroup.Lanes * b) - vectorUp;
                }
                LibCrypto.BnClearFree(modulus);
                LibCrypto.BnCtxFree(ctx);

                ulong product = exponents.Aggregate(1UL, (x, y) => x * y);
                var rootKey = FiatKernel.DeriveRootKey(family[0].Parameters, product);
                var native = NativeRsaEngine.Create()!;
                double rootKernel = PerCall(seconds, () => RsaBenchEngines.FullBatches(native, rootKey, 1)) / native.Lanes / b;
                double nativeOrdinary = PerCall(seconds, () => RsaBenchEngines.FullBatches(native, family[0], 1)) / native.Lanes;

                void Print(string part, double perRequest) => Console.WriteLine($"RATIO rsa{bits}-fiat-b{b} {part}/system={perRequest / system:F3} us={perRequest * 1e6:F1}");
                Print("engine-per-request", whole);
                Print("managed-split-engine-per-request", wholeManaged);
                Print("scalar-split-engine-per-request", wholeScalar);
                Print("native-engine-e3-per-request", nativeOrdinary);
                Print("root-kernel-per-request", rootKernel);
                Print("vector-up-per-request", vectorUp);
                Print("vector-split-with-inverse-per-request", vectorSplit);
                Print("scalar-up-per-request", up);
                Print("scalar-split-with-inverse-per-request", split);
                Print("libcrypto-inverse-mod-n-per-request", inverse);
                Print("gmp-inverse-mod-n-per-request", inverseGmp);
            }
        }
    }

    private static unsafe void Invert(byte[] value, IntPtr modulus, IntPtr ctx)
    {
        IntPtr a, r = LibCrypto.BnNew();
        fixed (byte* data = value)
            a = LibCrypto.BnBin2Bn(data, value.Length, IntPtr.Zero);
        LibCrypto.BnModInverse(r, a, modulus, ctx);
        LibCrypto.BnClearFree(a);
        LibCrypto.BnClearFree(r);
    }

    private static byte[] RandomBelow(RsaPrivateKey key)
    {
        var bytes = RandomNumberGenerator.GetBytes(key.ModulusLength);
        bytes[0] = (byte)(key.Modulus[0] >> 1);
        return bytes;
    }

    /// <summary>CPU seconds of this thread per call of <paramref name="action"/>.</summary>
    private static double PerCall(double cpuSeconds, Action action)
    {
        action();
        long calls = 0;
        double start = QuickRsa.ThreadCpuSeconds(), used;
        do
        {
            action();
            calls++;
            used = QuickRsa.ThreadCpuSeconds() - start;
        }
        while (used < cpuSeconds);
        return used / calls;
    }
}
