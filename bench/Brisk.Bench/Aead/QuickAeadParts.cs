using System.Diagnostics;
using Brisk.Crypto.Aead;

namespace Brisk.Bench.Aead;

/// <summary>
/// <c>quick aead-parts [--path P]</c>: throughput of the ChaCha20 and Poly1305 halves alone at 16 KB, to
/// see which half limits ChaCha20-Poly1305 (diagnostic; prints GB/s, fastest of several rounds).
/// </summary>
public sealed unsafe class QuickAeadParts : IQuickCommand
{
    public string Area => "aead-parts";

    public void Run(string[] args)
    {
        var path = ManagedAeadProvider.SupportedPaths[0];
        if (args.Length >= 2 && args[0] == "--path" && !ManagedAeadProvider.TryParsePath(args[1], out path))
            throw new ArgumentException(args[1]);
        if (path == AeadPath.Auto)
            path = ManagedAeadProvider.SupportedPaths[0];
        const int size = 16384;
        byte* d = (byte*)System.Runtime.InteropServices.NativeMemory.AlignedAlloc(size, 64);
        byte* k = (byte*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(64);
        byte* n = k + 32;
        uint* state = (uint*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(64);
        {
            ChaCha20.InitState(state, k, n, 1);
            double chacha = Best(() => { state[12] = 1; ChaCha20.Xor(state, d, d, size, path); });
            double poly = Best(() => { var p = new Poly1305(k); p.Blocks(d, size / 16); });
            ulong* table = (ulong*)System.Runtime.InteropServices.NativeMemory.AllocZeroed(Poly1305.WidePowersLength * 8);
            if (Poly1305.WideSupported)
            {
                double polyWide = Best(() => { var p = new Poly1305(k); p.ComputeWidePowers(table, 8); p.BlocksWide(d, size / 16, table, 8); });
                Console.WriteLine($"PART poly1305-8lane-avx512-16k gbps={size / polyWide / 1e9:0.00}");
            }
            if (Poly1305.Wide256Supported)
            {
                double polyWide = Best(() => { var p = new Poly1305(k); p.ComputeWidePowers(table, 4); p.BlocksWide(d, size / 16, table, 4); });
                Console.WriteLine($"PART poly1305-4lane-avx2-16k gbps={size / polyWide / 1e9:0.00}");
            }
            Console.WriteLine($"PART chacha20-16k path={ManagedAeadProvider.PathToName(path)} gbps={size / chacha / 1e9:0.00}");
            Console.WriteLine($"PART poly1305-16k gbps={size / poly / 1e9:0.00}");
        }
    }

    private static double Best(Action action)
    {
        for (int i = 0; i < 2000; i++)
            action();
        Thread.Sleep(100);
        double best = double.MaxValue;
        for (int round = 0; round < 30; round++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < 20; i++)
                action();
            best = Math.Min(best, Stopwatch.GetElapsedTime(start).TotalSeconds / 20);
        }
        return best;
    }
}
