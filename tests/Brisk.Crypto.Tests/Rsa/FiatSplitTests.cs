using System.Collections.Concurrent;
using System.Numerics;
using Brisk.Crypto.Native;
using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>
/// Fiat's three splits (managed modulo n through libcrypto; scalar C modulo p and q; the IFMA kernels
/// with up to 8 batches side by side) against BigInteger.ModPow with each key's own d, against each
/// other, with edge inputs and injected faults inside batches. A split that cannot run on this machine
/// (no libbrisk_native.so, no AVX-512 IFMA) is not tested here; the other tests still are.
/// </summary>
public sealed class FiatSplitTests
{
    private static readonly ConcurrentDictionary<int, Lazy<RsaPrivateKey[]>> Families = new();

    private static RsaPrivateKey[] Family(int bits)
        => Families.GetOrAdd(bits, static b => new Lazy<RsaPrivateKey[]>(() => FiatKeyFamily.Generate(b, 8))).Value;

    public static TheoryData<string> Modes => new() { nameof(FiatSplitMode.Managed), nameof(FiatSplitMode.NativeScalar), nameof(FiatSplitMode.NativeVector) };

    private static bool CanRun(FiatSplitMode mode) => mode switch
    {
        FiatSplitMode.Managed => true,
        FiatSplitMode.NativeScalar => FiatNativeSplit.IsAvailable,
        _ => FiatNativeSplit.IsAvailable && NativeRsaEngine.IsSupported,
    };

    private static BatchingRsaEngine Engine(int batchSize, FiatSplitMode mode)
        => FiatRsaEngine.Create(batchSize, new RsaBatchOptions { MinimumBatch = 1 }, null, mode)
           ?? throw new InvalidOperationException("no root kernel on this machine");

    /// <summary>Requests cycling through the first <paramref name="batchSize"/> keys: <paramref name="batches"/> full batches plus a partial one (a lone batch is split by the scalar code even in NativeVector mode).</summary>
    private static RsaBatchItem[] Requests(RsaPrivateKey[] family, int batchSize, int batches)
        => Enumerable.Range(0, batchSize * batches + batchSize / 2).Select(i =>
        {
            var key = family[i % batchSize];
            return new RsaBatchItem(key, RsaTestKeys.RandomBelowModulus(key), new byte[key.ModulusLength]);
        }).ToArray();

    private static void AssertAllMatchReference(IEnumerable<RsaBatchItem> items)
    {
        foreach (var item in items)
        {
            Assert.True(item.Verified);
            Assert.Equal(RsaTestKeys.ReferencePrivate(item.Key, item.Input.Span), item.Output.ToArray());
        }
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2048)]
    [InlineData(3072)]
    public void EveryBatchSizeInEverySplitMatchesModPow(int bits)
    {
        var family = Family(bits);
        foreach (var mode in Enum.GetValues<FiatSplitMode>().Where(CanRun))
        {
            for (int b = 2; b <= FiatRsaEngine.MaxBatch; b++)
            {
                var engine = Engine(b, mode);
                // roots in the 8-lane kernel for even b, one by one through libcrypto for odd b
                ((FiatKernel)engine.Kernel).SmallRootLimit = b % 2 == 0 ? 1 : int.MaxValue;
                // 3 full batches (3 lanes of one vector group) and a partial one (another exponent list).
                var items = Requests(family, b, batches: 3);
                engine.Kernel.Compute(items);
                AssertAllMatchReference(items);
            }
        }
    }

    [Fact]
    public void AllSplitsGiveIdenticalResults()
    {
        var family = Family(2048);
        var inputs = Enumerable.Range(0, 20).Select(i => (Key: family[i % 4], Input: RsaTestKeys.RandomBelowModulus(family[i % 4]))).ToArray();
        var outputs = new List<byte[][]>();
        foreach (var mode in Enum.GetValues<FiatSplitMode>().Where(CanRun))
        {
            var items = inputs.Select(x => new RsaBatchItem(x.Key, x.Input, new byte[x.Key.ModulusLength])).ToArray();
            Engine(4, mode).Kernel.Compute(items);
            Assert.All(items, item => Assert.True(item.Verified));
            outputs.Add(items.Select(item => item.Output.ToArray()).ToArray());
        }
        Assert.NotEmpty(outputs);
        foreach (var other in outputs.Skip(1))
            for (int i = 0; i < inputs.Length; i++)
                Assert.Equal(outputs[0][i], other[i]);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void EdgeInputsInsideBatchesAreRetriedAndCorrect(string modeName)
    {
        var mode = Enum.Parse<FiatSplitMode>(modeName);
        if (!CanRun(mode))
            return;
        var family = Family(1024);
        int k = family[0].ModulusLength;
        var p = RsaTestKeys.ToInteger(family[0].Parameters.P);
        var q = RsaTestKeys.ToInteger(family[0].Parameters.Q);
        byte[][] edge =
        [
            new byte[k], RsaTestKeys.ToBytes(p, k), RsaTestKeys.ToBytes(q * 3, k), RsaTestKeys.ToBytes(1, k),
            RsaTestKeys.ModulusMinus(family[0], 1), RsaTestKeys.ToBytes(2, k), [.. new byte[k - 3], 1, 2, 3],
        ];
        // Each edge value sits in a batch with ordinary partners; the partners must still come out right.
        var items = new List<RsaBatchItem>();
        foreach (var value in edge)
        {
            items.Add(new RsaBatchItem(family[0], value, new byte[k]));
            for (int j = 1; j < 4; j++)
                items.Add(new RsaBatchItem(family[j], RsaTestKeys.RandomBelowModulus(family[j]), new byte[k]));
        }
        Engine(4, mode).Kernel.Compute(items.ToArray());
        AssertAllMatchReference(items);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void InjectedFaultInTheSplitIsCaughtAndWithheld(string modeName)
    {
        var mode = Enum.Parse<FiatSplitMode>(modeName);
        if (!CanRun(mode))
            return;
        var family = Family(2048);
        // Two full batches of 4 and a fault in each at different positions: only those two fail.
        var items = Enumerable.Range(0, 8).Select(i =>
            new RsaBatchItem(family[i % 4], RsaTestKeys.RandomBelowModulus(family[i % 4]), new byte[family[0].ModulusLength]) { InjectFault = i is 1 or 6 }).ToArray();
        Engine(4, mode).Kernel.Compute(items);
        for (int i = 0; i < items.Length; i++)
        {
            if (i is 1 or 6)
            {
                Assert.False(items[i].Verified);
                Assert.True(items[i].Output.Span.IndexOfAnyExcept((byte)0) < 0, "a faulty result must not be left in the output");
            }
            else
            {
                Assert.True(items[i].Verified);
                Assert.Equal(RsaTestKeys.ReferencePrivate(items[i].Key, items[i].Input.Span), items[i].Output.ToArray());
            }
        }
    }

    [Fact]
    public async Task InjectedFaultThroughTheEngineRaisesAndIsCounted()
    {
        var family = Family(1024);
        var engine = FiatRsaEngine.Create(4, new RsaBatchOptions { MinimumBatch = 1 })!;
        byte[] output = new byte[family[0].ModulusLength];
        await Assert.ThrowsAsync<RsaFaultException>(async () =>
            await engine.PrivateAsync(family[1], RsaTestKeys.RandomBelowModulus(family[1]), output, injectFault: true));
        Assert.True(output.AsSpan().IndexOfAnyExcept((byte)0) < 0);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void BatchesWithDifferentExponentListsInOneCall(string modeName)
    {
        var mode = Enum.Parse<FiatSplitMode>(modeName);
        if (!CanRun(mode))
            return;
        var family = Family(2048);
        int k = family[0].ModulusLength;
        // keys 0..3 twice (two batches of 4), then keys 5 and 6 (a batch of 2 with other exponents), then key 7 alone.
        int[] order = [0, 1, 2, 3, 0, 1, 2, 3, 5, 6, 7];
        var items = order.Select(i => new RsaBatchItem(family[i], RsaTestKeys.RandomBelowModulus(family[i]), new byte[k])).ToArray();
        Engine(4, mode).Kernel.Compute(items);
        AssertAllMatchReference(items);
    }

    [Fact]
    public async Task TwoPendingRequestsForTwoKeysAreBatchedNotSentToTheFallback()
    {
        var family = Family(1024);
        var engine = FiatRsaEngine.Create(4)!;
        Assert.Equal(2, ((FiatKernel)engine.Kernel).DefaultMinimumBatch);
        var inputs = Enumerable.Range(0, 6).Select(i => RsaTestKeys.RandomBelowModulus(family[i % 2])).ToArray();
        var outputs = inputs.Select(_ => new byte[family[0].ModulusLength]).ToArray();
        await Task.WhenAll(inputs.Select((x, i) => engine.PrivateAsync(family[i % 2], x, outputs[i]).AsTask()));
        for (int i = 0; i < inputs.Length; i++)
            Assert.Equal(RsaTestKeys.ReferencePrivate(family[i % 2], inputs[i]), outputs[i]);
    }

    [Fact]
    public void KeysFirstSeenByAnotherFiatEngineStillShareBatches()
    {
        var family = Family(1024);
        int k = family[0].ModulusLength;
        RsaBatchItem Item(int i) => new(family[i], RsaTestKeys.RandomBelowModulus(family[i]), new byte[k]);
        var first = (FiatKernel)Engine(2, FiatSplitMode.Managed).Kernel;
        var second = (FiatKernel)Engine(4, FiatSplitMode.Managed).Kernel;
        Assert.Equal(1, first.CountBatches([Item(0), Item(1)]));
        // keys 0 and 1 are now known to the first engine; the second must still put 0..3 in one batch
        Assert.Equal(1, second.CountBatches([Item(0), Item(1), Item(2), Item(3)]));
        Assert.Equal(2, second.CountBatches([Item(0), Item(1), Item(2), Item(3), Item(0)]));
    }

    [Fact]
    public void BatchesWhoseRequestsArriveInDifferentOrdersAreStillSplitSideBySide()
    {
        if (!CanRun(FiatSplitMode.NativeVector))
            return;
        var family = Family(2048);
        int k = family[0].ModulusLength;
        RsaBatchItem Item(int i) => new(family[i], RsaTestKeys.RandomBelowModulus(family[i]), new byte[k]);
        var kernel = (FiatKernel)Engine(4, FiatSplitMode.NativeVector).Kernel;
        // Three full batches of one family of 4, each arriving in another order: the exponent lists only
        // match once each batch is sorted, and only matching lists share the IFMA split.
        int[] order = [0, 1, 2, 3, 3, 2, 1, 0, 2, 0, 3, 1];
        Assert.Equal((3, 3), kernel.CountVectorLanes(order.Select(Item).ToArray()));
        var items = order.Select(Item).ToArray();
        kernel.Compute(items);
        AssertAllMatchReference(items);
    }

    [Fact]
    public void LargeExponentsAreNotCombined()
    {
        // A family with 65537 among small exponents: the 65537 key runs alone, the others still batch.
        var family = FiatKeyFamily.Generate(1024, [3, 5, 65537]);
        int k = family[0].ModulusLength;
        var kernel = (FiatKernel)Engine(4, FiatSplitMode.Managed).Kernel;
        RsaBatchItem Item(int i) => new(family[i], RsaTestKeys.RandomBelowModulus(family[i]), new byte[k]);
        Assert.Equal(2, kernel.CountBatches([Item(0), Item(1), Item(2)]));
        foreach (var mode in Enum.GetValues<FiatSplitMode>().Where(CanRun))
        {
            var items = new[] { Item(0), Item(2), Item(1), Item(2) };
            Engine(4, mode).Kernel.Compute(items);
            AssertAllMatchReference(items);
        }
    }

    [Fact]
    public void PublicInverseGmpAndLibCryptoAgreeWithBigInteger()
    {
        var key = Family(2048)[0];
        var n = RsaTestKeys.ToInteger(key.Modulus);
        int k = key.ModulusLength;
        IntPtr ctx = LibCrypto.BnCtxNew(), modulus;
        unsafe
        {
            fixed (byte* m = key.Parameters.Modulus)
                modulus = LibCrypto.BnBin2Bn(m, k, IntPtr.Zero);
        }
        try
        {
            foreach (bool gmp in new[] { true, false })
            {
                PublicModularInverse.DisableGmp = !gmp;
                for (int i = 0; i < 20; i++)
                {
                    byte[] value = RsaTestKeys.RandomBelowModulus(key);
                    if (i == 0)
                        value = RsaTestKeys.ToBytes(1, k); // leading zeros in the result's encoding
                    var x = RsaTestKeys.ToInteger(value);
                    Assert.True(PublicModularInverse.TryInvert(value, key.Modulus, modulus, ctx));
                    Assert.Equal(BigInteger.One, x * RsaTestKeys.ToInteger(value) % n);
                }
                byte[] multipleOfP = RsaTestKeys.ToBytes(RsaTestKeys.ToInteger(key.Parameters.P) * 5, k);
                Assert.False(PublicModularInverse.TryInvert(multipleOfP, key.Modulus, modulus, ctx));
            }
        }
        finally
        {
            PublicModularInverse.DisableGmp = false;
            LibCrypto.BnClearFree(modulus);
            LibCrypto.BnCtxFree(ctx);
        }
    }

    [Fact]
    public void NativeSplitKeyBlobHoldsTheMontgomeryConstants()
    {
        if (!FiatNativeSplit.IsAvailable)
            return;
        var key = Family(1024)[0];
        ulong[] blob = FiatNativeSplit.BuildKey(key.Parameters);
        int full = (int)blob[0], half = (int)blob[1];
        Assert.Equal(key.ModulusLength / 8, full);
        Assert.Equal(full / 2, half);
        // k0 · n ≡ −1 (mod 2^64)
        ulong n0 = blob[8];
        Assert.Equal(ulong.MaxValue, unchecked(blob[2] * n0));
        var p = RsaTestKeys.ToInteger(key.Parameters.P);
        Assert.Equal(ulong.MaxValue, unchecked(blob[3] * (ulong)(p & ulong.MaxValue)));
    }
}
