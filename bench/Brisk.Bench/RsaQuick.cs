using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Brisk.Crypto.Rsa;

namespace Brisk.Bench;

/// <summary>
/// <c>quick rsa [cpu-seconds-per-round] [engine-name-filter, alternatives separated by |] [key sizes, e.g. 2048 or 2048|3072]</c>:
/// raw RSA private operations per second on one thread, each batch
/// engine against <c>system</c> (libcrypto) measured alternately in the same run. Batch engines are fed
/// full batches (their throughput per core under load). Prints
/// <c>RATIO rsa2048-private ENGINE/system=x ops_per_s=y system_ops_per_s=z</c> </c> (medians over 5 alternating rounds,
/// each timed in CPU time of the measuring thread).
/// </summary>
public sealed class QuickRsa : IQuickCommand
{
    public string Area => "rsa";

    public void Run(string[] args)
    {
        double seconds = args.Length > 0 && double.TryParse(args[0], System.Globalization.CultureInfo.InvariantCulture, out double s) ? s : 0.1;
        string? filter = args.Length > 1 && args[1].Length > 0 ? args[1] : null;
        // A profile of one size (perf record) needs the other size left out, key generation included.
        int[] sizes = args.Length > 2
            ? args[2].Split('|').Select(b => int.Parse(b, System.Globalization.CultureInfo.InvariantCulture)).ToArray()
            : [2048, 3072];
        const int rounds = 5;
        foreach (int bits in sizes)
        {
            using var rsa = RSA.Create(bits);
            var key = RsaPrivateKey.FromRsa(rsa);
            var family = FiatKeyFamily.Generate(bits, 8);
            foreach (var (name, engine) in RsaBenchEngines.All(key).Concat(RsaBenchEngines.Fiat(family)))
            {
                if (filter is not null && !filter.Split('|').Any(f => name.Contains(f, StringComparison.Ordinal)))
                    continue;
                // Warm up (JIT, key state, blinding pool) before timing.
                engine(4);
                SystemRound(key, 4);
                // The machine is shared: alternate short rounds of system and engine and report the median
                // of the per-round ratios, which cancels load that drifts between rounds.
                var ratios = new List<double>();
                var rates = new List<double>();
                var systemRates = new List<double>();
                for (int r = 0; r < rounds; r++)
                {
                    double system = Measure(seconds, n => SystemRound(key, n));
                    double rate = Measure(seconds, engine);
                    systemRates.Add(system);
                    rates.Add(rate);
                    ratios.Add(rate / system);
                }
                double ratio = Median(ratios), best = Median(rates), bestSystem = Median(systemRates);
                Console.WriteLine($"RATIO rsa{bits}-private {name}/system={ratio:F2} ops_per_s={best:F0} system_ops_per_s={bestSystem:F0}");
            }
        }
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }

    private static int SystemRound(RsaPrivateKey key, int count)
    {
        byte[] input = new byte[key.ModulusLength], output = new byte[key.ModulusLength];
        input[^1] = 7;
        for (int i = 0; i < count; i++)
            SystemRsaEngine.Instance.Private(key, input, output);
        return count;
    }

    /// <summary>
    /// Operations per CPU-second of this thread (CLOCK_THREAD_CPUTIME_ID): the machine is shared by many
    /// processes, and wall time would mostly measure how long the thread waited for a core.
    /// </summary>
    private static double Measure(double cpuSeconds, Func<int, int> round)
    {
        long operations = 0;
        double start = ThreadCpuSeconds();
        double used;
        do
        {
            operations += round(8);
            used = ThreadCpuSeconds() - start;
        }
        while (used < cpuSeconds);
        return operations / used;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    internal static double ThreadCpuSeconds()
    {
        const int ClockThreadCpuTimeId = 3;
        if (ClockGetTime(ClockThreadCpuTimeId, out var t) != 0)
            throw new InvalidOperationException("clock_gettime failed");
        return t.Seconds + t.Nanoseconds * 1e-9;
    }
}

/// <summary>The engines under test, each as "do about n operations, return how many".</summary>
internal static class RsaBenchEngines
{
    public static IEnumerable<(string Name, Func<int, int> Round)> All(RsaPrivateKey key)
    {
        var engines = new List<(string, Func<int, int>)>();
        foreach (var (name, engine) in Engines())
        {
            if (engine is null || !engine.Supports(key))
            {
                Console.WriteLine($"# {name}: not supported here (rsa{key.ModulusBits})");
                continue;
            }
            engines.Add((name, n => FullBatches(engine, key, n)));
        }
        return engines;
    }

    /// <summary>
    /// Fiat with b = 2, 4 and 8: full batches cycle through b keys of one family. "fiat-bN" splits in C
    /// modulo p and q when libbrisk_native.so is there; "fiat-bN-managed" is the fallback split (modulo n
    /// through libcrypto) and "fiat-bN-scalar" the scalar C split (one batch at a time), for comparison in
    /// the same run.
    /// </summary>
    public static IEnumerable<(string Name, Func<int, int> Round)> Fiat(RsaPrivateKey[] family)
    {
        foreach (int b in new[] { 2, 4, 8 })
        {
            var engine = FiatRsaEngine.Create(b);
            if (engine is null)
                continue;
            var keys = family.Take(b).ToArray();
            yield return ($"fiat-b{b}", n => FullBatches(engine, keys, n));
            // one Fiat batch per call (a lightly loaded server): the root goes through libcrypto
            yield return ($"fiat-b{b}-one-batch", n => FullBatches(engine, keys, n, requestsPerCall: b));
        }
        if (FiatNativeSplit.IsAvailable)
        {
            foreach (int b in new[] { 4 })
            {
                var engine = FiatRsaEngine.Create(b, null, null, FiatSplitMode.Managed);
                if (engine is null)
                    continue;
                var keys = family.Take(b).ToArray();
                yield return ($"fiat-b{b}-managed", n => FullBatches(engine, keys, n));
                var scalar = FiatRsaEngine.Create(b, null, null, FiatSplitMode.NativeScalar)!;
                yield return ($"fiat-b{b}-scalar", n => FullBatches(scalar, keys, n));
            }
        }
    }

    public static IEnumerable<(string Name, BatchingRsaEngine? Engine)> Engines()
    {
        yield return ("multibuffer", MultiBufferRsaEngine.Create());
        yield return ("multibuffer-avx2", MultiBufferRsaEngine.Create(preferAvx2: true));
        yield return ("native", NativeRsaEngine.Create());
    }

    public static int FullBatches(BatchingRsaEngine engine, RsaPrivateKey key, int atLeast) => FullBatches(engine, [key], atLeast);

    public static int FullBatches(BatchingRsaEngine engine, RsaPrivateKey[] keys, int atLeast, int requestsPerCall = 0)
    {
        var key = keys[0];
        int lanes = requestsPerCall > 0 ? requestsPerCall : engine.Lanes, done = 0;
        var items = new RsaBatchItem[lanes];
        while (done < atLeast)
        {
            for (int i = 0; i < lanes; i++)
            {
                byte[] input = new byte[key.ModulusLength];
                input[^1] = (byte)(i + 2);
                items[i] = new RsaBatchItem(keys[i % keys.Length], input, new byte[key.ModulusLength]);
            }
            engine.Kernel.Compute(items);
            foreach (var item in items)
            {
                if (!item.Verified)
                    throw new InvalidOperationException("verification failed");
            }
            done += lanes;
        }
        return done;
    }
}
