using System.Diagnostics;
using Brisk.Crypto.Aead;

namespace Brisk.Bench.Aead;

/// <summary>
/// <c>quick aead [--path auto|avx512|avx2|aesni|portable] [--rounds N]</c>: managed vs system AEAD for each
/// algorithm, seal/open and record size, in one process. The two are measured in alternating rounds
/// (order swapped every round). On the shared machine the noise is preemption, which only ever adds time, so
/// the ratio and GB/s come from each side's fastest round; <c>paired_median</c> is the median of the
/// per-round ratios (adjacent rounds see similar contention) as a cross-check.
/// Prints <c>RATIO &lt;alg&gt;-&lt;op&gt;-&lt;size&gt; managed/system=x managed_gbps=a system_gbps=b</c>;
/// the ratio is managed throughput over system throughput (higher is better for managed).
/// </summary>
public sealed class QuickAead : IQuickCommand
{
    private const double RoundSeconds = 0.0005;

    public string Area => "aead";

    public void Run(string[] args)
    {
        var path = AeadPath.Auto;
        int rounds = 41;
        for (int i = 0; i + 1 < args.Length; i += 2)
        {
            if (args[i] == "--path" && !ManagedAeadProvider.TryParsePath(args[i + 1], out path))
                throw new ArgumentException($"unknown path {args[i + 1]}");
            if (args[i] == "--rounds")
                rounds = int.Parse(args[i + 1]);
        }
        var provider = path == AeadPath.Auto && Environment.GetEnvironmentVariable(ManagedAeadProvider.PathEnvironmentVariable) is not null
            ? ManagedAeadProvider.Default
            : ManagedAeadProvider.Create(path);
        Console.WriteLine($"# managed path: {provider.PathName} (supported: {string.Join(",", ManagedAeadProvider.SupportedPaths.Select(ManagedAeadProvider.PathToName))}); {rounds} alternating rounds of ~{RoundSeconds * 1000:0.0} ms per side");

        (AeadAlgorithm Algorithm, string Name)[] algorithms =
            [(AeadAlgorithm.Aes128Gcm, "aes128gcm"), (AeadAlgorithm.Aes256Gcm, "aes256gcm"), (AeadAlgorithm.ChaCha20Poly1305, "chacha20poly1305")];
        (int Size, string Name)[] sizes = [(64, "64"), (1024, "1k"), (8192, "8k"), (16384, "16k")];
        // Warm-up for every algorithm first, long enough for tiered compilation to reach fully optimised
        // code on both sides (the kernels are shared between algorithms and sizes).
        foreach (var (algorithm, _) in algorithms)
        {
            using var managed = provider.Create(algorithm, new byte[algorithm.KeySize()]);
            using var system = SystemAeadProvider.Instance.Create(algorithm, new byte[algorithm.KeySize()]);
            foreach (var (size, _) in sizes)
            {
                Measure(managed, system, size, seal: true, rounds: 5);
                Measure(managed, system, size, seal: false, rounds: 5);
            }
        }
        Thread.Sleep(200); // let the background tier-1 compiles land

        foreach (var (algorithm, algorithmName) in algorithms)
        {
            var key = new byte[algorithm.KeySize()];
            Random.Shared.NextBytes(key);
            using var managed = provider.Create(algorithm, key);
            using var system = SystemAeadProvider.Instance.Create(algorithm, key);
            foreach (var (size, sizeName) in sizes)
            {
                foreach (bool seal in new[] { true, false })
                {
                    var (managedSeconds, systemSeconds, pairedMedian) = Measure(managed, system, size, seal, rounds);
                    double managedGbps = size / managedSeconds / 1e9;
                    double systemGbps = size / systemSeconds / 1e9;
                    Console.WriteLine($"RATIO {algorithmName}-{(seal ? "seal" : "open")}-{sizeName} managed/system={systemSeconds / managedSeconds:0.00} " +
                        $"managed_gbps={managedGbps:0.00} system_gbps={systemGbps:0.00} managed_ns={managedSeconds * 1e9:0} system_ns={systemSeconds * 1e9:0} " +
                        $"paired_median={pairedMedian:0.00}");
                }
            }
        }
    }

    /// <summary>Fastest seconds per operation for each side, and the median per-round speed ratio managed/system.</summary>
    private static (double Managed, double System, double Ratio) Measure(IAead managed, IAead system, int size, bool seal, int rounds)
    {
        var plaintext = new byte[size];
        Random.Shared.NextBytes(plaintext);
        var ciphertext = new byte[size];
        var output = new byte[size];
        var nonce = new byte[12];
        var aad = new byte[13];
        var tag = new byte[16];
        var scratchTag = new byte[16];
        system.Seal(nonce, plaintext, ciphertext, tag, aad);

        void Batch(IAead aead, int count)
        {
            if (seal)
            {
                for (int i = 0; i < count; i++)
                    aead.Seal(nonce, plaintext, output, scratchTag, aad);
            }
            else
            {
                for (int i = 0; i < count; i++)
                    if (!aead.Open(nonce, ciphertext, tag, output, aad))
                        throw new InvalidOperationException("open failed");
            }
        }

        // Warm up both (tiered JIT to full opt) and size the batch to ~RoundSeconds of the slower side.
        int count = 16;
        for (int i = 0; i < 3; i++)
        {
            Batch(managed, count);
            Batch(system, count);
        }
        var stopwatch = Stopwatch.StartNew();
        Batch(system, count);
        double perOp = Math.Max(stopwatch.Elapsed.TotalSeconds / count, 1e-9);
        count = Math.Max(8, (int)(RoundSeconds / perOp));
        Batch(managed, count);
        Batch(system, count);

        var managedTimes = new double[rounds];
        var systemTimes = new double[rounds];
        for (int round = 0; round < rounds; round++)
        {
            bool managedFirst = round % 2 == 0;
            for (int side = 0; side < 2; side++)
            {
                bool runManaged = (side == 0) == managedFirst;
                long start = Stopwatch.GetTimestamp();
                Batch(runManaged ? managed : system, count);
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds / count;
                if (runManaged) managedTimes[round] = seconds; else systemTimes[round] = seconds;
            }
        }
        var ratios = new double[rounds];
        for (int round = 0; round < rounds; round++)
            ratios[round] = systemTimes[round] / managedTimes[round];
        Array.Sort(ratios);
        return (managedTimes.Min(), systemTimes.Min(), ratios[rounds / 2]);
    }
}
