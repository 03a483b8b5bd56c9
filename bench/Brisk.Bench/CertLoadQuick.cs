using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Rsa;
using Brisk.Server.Hosting;

namespace Brisk.Bench;

/// <summary>
/// <c>quick certload [N]</c>: loading a <c>--cert-dir</c> of N certificates (default 2000; half ECDSA P-256,
/// half RSA-2048 leaves; the leaves share one key per type so that generating the set takes seconds — each
/// key file is still read and imported on its own). Three ways in one run, rounds alternating, median
/// reported, wall and process CPU time:
/// <list type="bullet">
/// <item><c>dir</c>: <see cref="CertificateLoader.LoadDirectory"/> (parallel, managed RSA key reader) — what Brisk does;</item>
/// <item><c>seq</c>: the same per-file load, one file after another;</item>
/// <item><c>seq_platform</c>: one after another with RSA keys through RSA.ImportFromPem + ExportParameters, the baseline (how keys were read before).</item>
/// </list>
/// </summary>
public sealed class QuickCertLoad : IQuickCommand
{
    public string Area => "certload";

    private const int Rounds = 3;

    public void Run(string[] args)
    {
        int count = args.Length > 0 && int.TryParse(args[0], out var n) ? n : 2000;
        var directory = Directory.CreateTempSubdirectory("brisk-certload-").FullName;
        try
        {
            var generate = Stopwatch.StartNew();
            Generate(directory, count);
            Console.WriteLine($"generated {count} certificates in {generate.Elapsed.TotalSeconds:F1} s ({directory})");
            var pairs = CertificateLoader.ListDirectory(directory);
            var engine = SystemRsaEngine.Instance; // only its Supports(key) is consulted while loading

            var dir = new List<(double Wall, double Cpu)>();
            var seq = new List<(double Wall, double Cpu)>();
            var platform = new List<(double Wall, double Cpu)>();
            for (int round = 0; round < Rounds; round++)
            {
                dir.Add(Measure(() => CertificateLoader.LoadDirectory(directory, engine)));
                seq.Add(Measure(() =>
                {
                    foreach (var pair in pairs)
                        CertificateLoader.LoadPem(pair.Cert, pair.Key, engine);
                }));
                CertificateLoader.UsePlatformRsaImport = true;
                try
                {
                    platform.Add(Measure(() =>
                    {
                        foreach (var pair in pairs)
                            CertificateLoader.LoadPem(pair.Cert, pair.Key, engine);
                    }));
                }
                finally
                {
                    CertificateLoader.UsePlatformRsaImport = false;
                }
            }
            var (dirWall, dirCpu) = Median(dir);
            var (seqWall, seqCpu) = Median(seq);
            var (platformWall, platformCpu) = Median(platform);
            Console.WriteLine($"RATIO certload-{count} dir/seq_platform wall={dirWall / platformWall:F3} cpu={dirCpu / platformCpu:F3} dir_s={dirWall:F2} dir_cpu_s={dirCpu:F2} seq_platform_s={platformWall:F2} seq_platform_cpu_s={platformCpu:F2}");
            Console.WriteLine($"RATIO certload-{count} seq/seq_platform wall={seqWall / platformWall:F3} cpu={seqCpu / platformCpu:F3} seq_s={seqWall:F2} seq_cpu_s={seqCpu:F2}");
            Console.WriteLine($"per certificate: dir {dirWall / count * 1e6:F0} µs wall, {dirCpu / count * 1e6:F0} µs CPU; seq_platform {platformWall / count * 1e6:F0} µs wall; {Environment.ProcessorCount} cores");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static (double Wall, double Cpu) Measure(Action action)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        action();
        wall.Stop();
        process.Refresh();
        return (wall.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds);
    }

    private static (double, double) Median(List<(double Wall, double Cpu)> samples)
    {
        var walls = samples.Select(s => s.Wall).Order().ToList();
        var cpus = samples.Select(s => s.Cpu).Order().ToList();
        return (walls[walls.Count / 2], cpus[cpus.Count / 2]);
    }

    private static void Generate(string directory, int count)
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=certload CA", caKey, HashAlgorithmName.SHA256);
        using var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        using var rsa = RSA.Create(2048);
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        string rsaPem = rsa.ExportPkcs8PrivateKeyPem(), ecdsaPem = ecdsa.ExportPkcs8PrivateKeyPem();
        var signer = X509SignatureGenerator.CreateForECDsa(caKey);
        for (int i = 0; i < count; i++)
        {
            string name = $"host{i}.example.net";
            bool isRsa = i % 2 == 1;
            var request = isRsa
                ? new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                : new CertificateRequest($"CN={name}", ecdsa, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName(name);
            request.CertificateExtensions.Add(san.Build());
            var serial = RandomNumberGenerator.GetBytes(12);
            serial[0] &= 0x7F;
            using var certificate = request.Create(ca.SubjectName, signer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
            File.WriteAllText(Path.Combine(directory, name + ".crt"), certificate.ExportCertificatePem());
            File.WriteAllText(Path.Combine(directory, name + ".key"), isRsa ? rsaPem : ecdsaPem);
        }
    }
}
