using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>
/// The Fiat engine: the engine contract with ordinary keys (every request is a singleton batch), and
/// real Fiat batches over key families sharing one modulus, checked against BigInteger.ModPow with each
/// key's own d.
/// </summary>
public sealed class FiatRsaEngineTests : BatchKernelTests
{
    private static readonly BatchingRsaEngine Instance = FiatRsaEngine.Create(batchSize: 4, new RsaBatchOptions { MinimumBatch = 1 })!;
    private static readonly BatchingRsaEngine Instance8 = FiatRsaEngine.Create(batchSize: 8, new RsaBatchOptions { MinimumBatch = 1 })!;
    private static readonly Dictionary<int, RsaPrivateKey[]> Families = new();

    private protected override BatchingRsaEngine Batching => Instance;

    private static RsaPrivateKey[] Family(int bits)
    {
        lock (Families)
        {
            if (!Families.TryGetValue(bits, out var family))
                Families[bits] = family = FiatKeyFamily.Generate(bits, 8);
            return family;
        }
    }

    [Fact]
    public void GeneratedFamilySharesModulusWithDistinctExponents()
    {
        var family = Family(1024);
        Assert.Equal(8, family.Length);
        Assert.All(family, k => Assert.True(k.Modulus.SequenceEqual(family[0].Modulus)));
        Assert.Equal(family.Length, family.Select(k => Convert.ToHexString(k.PublicExponent)).Distinct().Count());
        // Each key is a consistent RSA key: x^(e·d) = x.
        foreach (var key in family)
        {
            byte[] x = RsaTestKeys.RandomBelowModulus(key);
            Assert.Equal(x, RsaTestKeys.RawPublic(key, RsaTestKeys.ReferencePrivate(key, x)));
        }
    }

    public static TheoryData<int, int, int> BatchShapes => new()
    {
        { 1024, 4, 2 }, { 1024, 4, 4 }, { 1024, 4, 7 }, { 1024, 8, 8 }, { 1024, 8, 32 },
        { 2048, 4, 4 }, { 2048, 4, 16 }, { 2048, 8, 8 }, { 3072, 4, 4 },
    };

    [Theory]
    [MemberData(nameof(BatchShapes))]
    public void FamilyBatchesMatchModPow(int bits, int batchSize, int requests)
    {
        var engine = batchSize == 4 ? Instance : Instance8;
        var family = Family(bits);
        var items = Enumerable.Range(0, requests).Select(i =>
        {
            var key = family[i % family.Length];
            return new RsaBatchItem(key, RsaTestKeys.RandomBelowModulus(key), new byte[key.ModulusLength]);
        }).ToArray();
        engine.Kernel.Compute(items);
        foreach (var item in items)
        {
            Assert.True(item.Verified);
            Assert.Equal(RsaTestKeys.ReferencePrivate(item.Key, item.Input.Span), item.Output.ToArray());
        }
    }

    [Fact]
    public void EdgeInputsInsideFamilyBatches()
    {
        var family = Family(1024);
        int k = family[0].ModulusLength;
        byte[][] inputs =
        [
            new byte[k], RsaTestKeys.ToBytes(1, k), RsaTestKeys.ModulusMinus(family[0], 1),
            RsaMath.ToFixedLength(family[0].Parameters.P, k), RsaTestKeys.RandomBelowModulus(family[0]),
            RsaTestKeys.ToBytes(2, k), [.. new byte[k - 3], 1, 2, 3], RsaTestKeys.RandomBelowModulus(family[0]),
        ];
        var items = inputs.Select((input, i) => new RsaBatchItem(family[i % 4], input, new byte[k])).ToArray();
        Instance.Kernel.Compute(items);
        foreach (var item in items)
        {
            Assert.True(item.Verified);
            Assert.Equal(RsaTestKeys.ReferencePrivate(item.Key, item.Input.Span), item.Output.ToArray());
        }
    }

    [Fact]
    public void FaultInOneRequestOfAFiatBatchIsCaughtOnlyThere()
    {
        var family = Family(1024);
        var items = Enumerable.Range(0, 4).Select(i =>
            new RsaBatchItem(family[i], RsaTestKeys.RandomBelowModulus(family[i]), new byte[family[i].ModulusLength]) { InjectFault = i == 2 }).ToArray();
        Instance.Kernel.Compute(items);
        for (int i = 0; i < items.Length; i++)
            Assert.Equal(i != 2, items[i].Verified);
    }

    [Fact]
    public async Task ConcurrentFamilyRequestsThroughTheEngine()
    {
        var family = Family(2048);
        var inputs = Enumerable.Range(0, 24).Select(i => (Key: family[i % 4], Input: RsaTestKeys.RandomBelowModulus(family[i % 4]))).ToArray();
        var outputs = inputs.Select(x => new byte[x.Key.ModulusLength]).ToArray();
        await Task.WhenAll(inputs.Select((x, i) => Task.Run(async () => await Instance.PrivateAsync(x.Key, x.Input, outputs[i]))));
        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(RsaTestKeys.ReferencePrivate(inputs[i].Key, inputs[i].Input), outputs[i]);
    }
}
