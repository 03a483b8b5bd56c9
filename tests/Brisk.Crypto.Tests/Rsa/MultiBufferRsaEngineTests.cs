using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>Routes requests through <see cref="BatchingRsaEngine"/> with an injected fault on every result.</summary>
internal sealed class FaultInjectingEngine(BatchingRsaEngine inner) : IRsaEngine
{
    public string Name => inner.Name;

    public bool Supports(RsaPrivateKey key) => inner.Supports(key);

    public ValueTask PrivateAsync(RsaPrivateKey key, ReadOnlyMemory<byte> input, Memory<byte> output, CancellationToken cancellationToken = default)
        => inner.PrivateAsync(key, input, output, injectFault: true, cancellationToken);
}

/// <summary>Batch-level checks shared by the batching engines: full, partial and mixed-key batches straight through the kernel.</summary>
public abstract class BatchKernelTests : RsaEngineContractTests
{
    private protected abstract BatchingRsaEngine Batching { get; }

    protected override IRsaEngine Engine => Batching;

    protected override IRsaEngine FaultyEngine => new FaultInjectingEngine(Batching);

    public static TheoryData<int> PartialSizes => new() { 1, 2, 3, 5, 7, 8 };

    [Theory]
    [MemberData(nameof(PartialSizes))]
    public void PartialAndMixedKeyBatchesMatchModPow(int count)
    {
        count = Math.Min(count, Batching.Lanes);
        // Two different 2048-bit keys interleaved in one batch.
        var keys = new[] { RsaTestKeys.Key(2048), RsaTestKeys.Get(2048 + 0).Key, MixedKey.Value };
        var items = new RsaBatchItem[count];
        for (int i = 0; i < count; i++)
        {
            var key = keys[i % keys.Length];
            items[i] = new RsaBatchItem(key, RsaTestKeys.RandomBelowModulus(key), new byte[key.ModulusLength]);
        }
        Batching.Kernel.Compute(items);
        foreach (var item in items)
        {
            Assert.True(item.Verified);
            Assert.Equal(RsaTestKeys.ReferencePrivate(item.Key, item.Input.Span), item.Output.ToArray());
        }
    }

    [Fact]
    public void FaultInOneLaneIsCaughtOnlyThere()
    {
        var key = RsaTestKeys.Key(2048);
        var items = Enumerable.Range(0, Batching.Lanes)
            .Select(i => new RsaBatchItem(key, RsaTestKeys.RandomBelowModulus(key), new byte[key.ModulusLength]) { InjectFault = i == 1 })
            .ToArray();
        Batching.Kernel.Compute(items);
        for (int i = 0; i < items.Length; i++)
            Assert.Equal(i != 1, items[i].Verified);
    }

    [Fact]
    public async Task ManyConcurrentRequestsFormBatchesAndAllMatch()
    {
        var key = RsaTestKeys.Key(1024);
        long before = RsaMetrics.OperationsOf(Batching.Name);
        var inputs = Enumerable.Range(0, 40).Select(_ => RsaTestKeys.RandomBelowModulus(key)).ToArray();
        var outputs = inputs.Select(_ => new byte[key.ModulusLength]).ToArray();
        await Task.WhenAll(inputs.Select((input, i) => Task.Run(async () => await Batching.PrivateAsync(key, input, outputs[i]))));
        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(RsaTestKeys.ReferencePrivate(key, inputs[i]), outputs[i]);
        Assert.True(RsaMetrics.OperationsOf(Batching.Name) > before);
    }

    private static readonly Lazy<RsaPrivateKey> MixedKey = new(() => RsaPrivateKey.FromRsa(System.Security.Cryptography.RSA.Create(2048)));
}

public sealed class MultiBufferAvx512EngineTests : BatchKernelTests
{
    private static readonly BatchingRsaEngine Instance = MultiBufferRsaEngine.Create(new RsaBatchOptions { MinimumBatch = 1 })!;

    private protected override BatchingRsaEngine Batching => Instance;
}

public sealed class MultiBufferAvx2EngineTests : BatchKernelTests
{
    private static readonly BatchingRsaEngine Instance = MultiBufferRsaEngine.Create(new RsaBatchOptions { MinimumBatch = 1 }, preferAvx2: true)!;

    private protected override BatchingRsaEngine Batching => Instance;
}

/// <summary>
/// The C/IFMA engine. The build compiles native/ when cmake and a C compiler are present; on such a
/// machine with AVX-512 IFMA these tests require the engine (they fail rather than silently pass when
/// libbrisk_native.so is missing).
/// </summary>
public sealed class NativeEngineTests : BatchKernelTests
{
    private static readonly BatchingRsaEngine? Instance = NativeRsaEngine.Create(new RsaBatchOptions { MinimumBatch = 1 });

    private protected override BatchingRsaEngine Batching => Instance ?? throw new InvalidOperationException(
        "Native engine unavailable: libbrisk_native.so missing or the CPU lacks AVX-512 IFMA.");

    [Fact]
    public void AvailableWhenTheCpuHasIfma()
    {
        bool cpuHasIfma = File.ReadAllText("/proc/cpuinfo").Contains(" avx512ifma", StringComparison.Ordinal);
        bool libraryBuilt = File.Exists(Path.Combine(AppContext.BaseDirectory, "libbrisk_native.so"));
        Assert.Equal(cpuHasIfma && libraryBuilt, NativeRsaEngine.IsSupported);
    }
}
