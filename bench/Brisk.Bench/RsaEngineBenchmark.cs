using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Brisk.Crypto.Rsa;

namespace Brisk.Bench;

/// <summary>
/// Raw RSA private operations per engine, one thread, system (libcrypto) as the baseline. Batch engines
/// run one full batch per invocation; OperationsPerInvoke makes every row "time per operation".
/// <c>dotnet run -c Release --project bench/Brisk.Bench -- --filter *RsaEngineBenchmark* --job short</c>
/// (a method may not be called System: BenchmarkDotNet's generated code would resolve it instead of the namespace).
/// </summary>
[MemoryDiagnoser]
public class RsaEngineBenchmark
{
    private const int FiatOperations = 32; // 8 roots × b = 4
    private RsaPrivateKey _key = null!;
    private RsaPrivateKey[] _family = null!;
    private byte[] _input = null!, _output = null!;
    private BatchingRsaEngine? _multiBuffer, _native, _fiat;

    [Params(2048, 3072)]
    public int ModulusBits { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        using var rsa = RSA.Create(ModulusBits);
        _key = RsaPrivateKey.FromRsa(rsa);
        _family = FiatKeyFamily.Generate(ModulusBits, 4);
        _input = new byte[_key.ModulusLength];
        _input[^1] = 5;
        _input[10] = 9;
        _output = new byte[_key.ModulusLength];
        _multiBuffer = MultiBufferRsaEngine.Create();
        _native = NativeRsaEngine.Create();
        _fiat = FiatRsaEngine.Create(4);
    }

    [Benchmark(Baseline = true)]
    public void SystemEngine() => SystemRsaEngine.Instance.Private(_key, _input, _output);

    [Benchmark(OperationsPerInvoke = 8)]
    public void MultiBuffer() => RsaBenchEngines.FullBatches(_multiBuffer!, _key, 8);

    [Benchmark(OperationsPerInvoke = 8)]
    public void Native()
    {
        if (_native is not null)
            RsaBenchEngines.FullBatches(_native, _key, 8);
    }

    [Benchmark(OperationsPerInvoke = FiatOperations)]
    public void Fiat() => RsaBenchEngines.FullBatches(_fiat!, _family, FiatOperations);
}
