using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Brisk.Crypto.Aead;

namespace Brisk.Bench.Aead;

/// <summary>
/// Record sealing/opening: managed kernels (path from BRISK_AEAD_PATH, default auto) against
/// System.Security.Cryptography (OpenSSL) as the baseline of each category.
/// Run: <c>dotnet run -c Release --project bench/Brisk.Bench -- --filter *AeadBenchmark*</c>
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class AeadBenchmark
{
    private IAead _managed = null!;
    private IAead _system = null!;
    private byte[] _plaintext = null!;
    private byte[] _ciphertext = null!;
    private byte[] _output = null!;
    private readonly byte[] _tag = new byte[16];
    private readonly byte[] _scratchTag = new byte[16];
    private readonly byte[] _nonce = new byte[12];
    private readonly byte[] _aad = new byte[13];

    [Params(AeadAlgorithm.Aes128Gcm, AeadAlgorithm.Aes256Gcm, AeadAlgorithm.ChaCha20Poly1305)]
    public AeadAlgorithm Algorithm { get; set; }

    [Params(64, 1024, 8192, 16384)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var key = new byte[Algorithm.KeySize()];
        Random.Shared.NextBytes(key);
        Random.Shared.NextBytes(_nonce);
        Random.Shared.NextBytes(_aad);
        _managed = ManagedAeadProvider.Default.Create(Algorithm, key);
        _system = SystemAeadProvider.Instance.Create(Algorithm, key);
        _plaintext = new byte[Size];
        Random.Shared.NextBytes(_plaintext);
        _ciphertext = new byte[Size];
        _output = new byte[Size];
        _system.Seal(_nonce, _plaintext, _ciphertext, _tag, _aad);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _managed.Dispose();
        _system.Dispose();
    }

    [Benchmark(Baseline = true), BenchmarkCategory("seal")]
    public void SystemSeal() => _system.Seal(_nonce, _plaintext, _output, _scratchTag, _aad);

    [Benchmark, BenchmarkCategory("seal")]
    public void ManagedSeal() => _managed.Seal(_nonce, _plaintext, _output, _scratchTag, _aad);

    [Benchmark(Baseline = true), BenchmarkCategory("open")]
    public bool SystemOpen() => _system.Open(_nonce, _ciphertext, _tag, _output, _aad);

    [Benchmark, BenchmarkCategory("open")]
    public bool ManagedOpen() => _managed.Open(_nonce, _ciphertext, _tag, _output, _aad);
}
