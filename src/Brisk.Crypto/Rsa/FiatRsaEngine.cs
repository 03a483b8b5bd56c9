using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Brisk.Crypto.Native;
using Brisk.Crypto.Rsa.MultiBuffer;

namespace Brisk.Crypto.Rsa;

/// <summary>Where Fiat's percolations run.</summary>
internal enum FiatSplitMode
{
    /// <summary>Modulo n through libcrypto, one P/Invoke per multiplication (the fallback without libbrisk_native.so).</summary>
    Managed,

    /// <summary>Modulo p and q in scalar C (native/src/fiat_split.c), one batch at a time.</summary>
    NativeScalar,

    /// <summary>Modulo p and q in the AVX-512 IFMA kernels, up to 8 batches side by side (scalar C for sizes they do not handle).</summary>
    NativeVector,
}

/// <summary>
/// Fiat batch RSA ("fiat"; A. Fiat, CRYPTO '89; Shacham &amp; Boneh, "Improving SSL handshake
/// performance via batching", CT-RSA 2001): b keys share one modulus n and have distinct, pairwise
/// coprime small public exponents e₁…e_b (3, 5, 7, 11, …). Requests for different keys of one family
/// are combined so that b private operations cost one full exponentiation plus small-exponent work:
/// <list type="number">
/// <item>upward percolation: V = Π cᵢ^(E/eᵢ) with E = Π eᵢ, along a binary product tree;</item>
/// <item>M = V^(1/E) mod n: one RSA-CRT private operation with the derived key (n, E), blinded and
///   verified — up to 8 roots share one call of the multi-buffer kernel (native IFMA or managed); fewer
///   than it pays for go one by one through libcrypto;</item>
/// <item>downward percolation from M to the b roots mᵢ = cᵢ^(1/eᵢ) along the same tree, modulo p and
///   modulo q separately, with delayed division (fractions all the way down, one blinded inversion mod n
///   per batch); every mᵢ is verified with its own exponent (mᵢ^eᵢ ≡ cᵢ mod n) before it leaves.</item>
/// </list>
/// Steps 1 and 3 run in C (<see cref="FiatNativeSplit"/>, <see cref="FiatVectorGroup"/>; the algorithm
/// and the constant-time argument are in native/src/fiat_split.c), or, without libbrisk_native.so, in the
/// older managed form below: the direct split modulo n through libcrypto (Xᵢ ≡ 1 mod eᵢ, ≡ 0 mod eⱼ;
/// mᵢ = M^Xᵢ / Π cⱼ^⌊Xᵢ/eⱼ⌋, whose denominators are public). Requests with the same exponent, or without
/// a partner, run as singletons (the root operation is then the request itself); a batch containing an
/// input that shares a factor with n cannot be split and is retried as singletons.
/// </summary>
public static class FiatRsaEngine
{
    public const string EngineName = "fiat";

    /// <summary>Largest number of distinct keys combined into one root operation (Shacham–Boneh use 4; up to 8).</summary>
    public const int MaxBatch = 8;

    /// <summary>
    /// The engine over the fastest available multi-buffer kernel, or null when there is none. Keys of
    /// one family must be given as separate <see cref="RsaPrivateKey"/> objects with the same modulus.
    /// </summary>
    public static BatchingRsaEngine? Create(int batchSize = 4, RsaBatchOptions? options = null, IRsaEngine? fallback = null)
        => Create(batchSize, options, fallback, FiatNativeSplit.IsAvailable ? (NativeRsaEngine.IsSupported ? FiatSplitMode.NativeVector : FiatSplitMode.NativeScalar) : FiatSplitMode.Managed);

    /// <summary>Creates the engine with a chosen split (tests and benchmarks compare them).</summary>
    internal static BatchingRsaEngine? Create(int batchSize, RsaBatchOptions? options, IRsaEngine? fallback, FiatSplitMode split)
    {
        if (batchSize is < 1 or > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batchSize));
        IRsaBatchKernel? root = NativeRsaEngine.IsSupported ? new NativeIfmaKernel()
            : Avx512Lanes.IsSupported ? new MultiBufferKernel<Vector512<ulong>, Avx512Lanes>("fiat-root")
            : Avx2Lanes.IsSupported ? new MultiBufferKernel<Vector256<ulong>, Avx2Lanes>("fiat-root") : null;
        if (split != FiatSplitMode.Managed && !FiatNativeSplit.IsAvailable || split == FiatSplitMode.NativeVector && !NativeRsaEngine.IsSupported)
            throw new InvalidOperationException($"The {split} Fiat split cannot run here.");
        return root is null ? null : new BatchingRsaEngine(new FiatKernel(root, batchSize, split), fallback ?? SystemRsaEngine.Instance, options);
    }
}

internal sealed class FiatKernel(IRsaBatchKernel root, int batchSize, FiatSplitMode split) : IRsaBatchKernel
{
    private static int _kernelCount;

    private readonly ConcurrentDictionary<string, Family> _families = new(StringComparer.Ordinal);

    /// <summary>
    /// This kernel's slot in <see cref="RsaPrivateKey.EngineState"/>: every key of one modulus must map to
    /// this kernel's family object, also when another Fiat engine saw the key first (with one shared slot,
    /// batches combined only keys first seen by the same engine).
    /// </summary>
    private readonly string _stateKey = "fiat#" + Interlocked.Increment(ref _kernelCount);

    public string Name => FiatRsaEngine.EngineName;

    public int Lanes => root.Lanes * batchSize;

    public int BatchSize => batchSize;

    public FiatSplitMode Split => split;

    /// <summary>
    /// Two requests for two keys of a family already pay for themselves (one root instead of two private
    /// operations), so the batcher should not send small queues to the fallback as it does for lane kernels.
    /// </summary>
    public int DefaultMinimumBatch => 2;

    /// <summary>
    /// Fewer roots than this in a kernel call are computed one by one with libcrypto instead: a call of the
    /// 8-lane IFMA kernel costs about as much as <see cref="NativeIfmaKernel.CallCostInSystemOperations"/>
    /// libcrypto operations whatever the number of lanes in use, and the managed kernels are slower per lane
    /// than libcrypto at every size measured (performance-rsa.md).
    /// </summary>
    internal int SmallRootLimit { get; set; } = root is NativeIfmaKernel ? NativeIfmaKernel.BreakEvenLanes : root.Lanes + 1;

    /// <summary>Roots (verified or not) in kernel calls of up to <c>root.Lanes</c>, or one by one through libcrypto when few.</summary>
    private void ComputeRoots(RsaBatchItem[] roots)
    {
        for (int offset = 0; offset < roots.Length; offset += root.Lanes)
        {
            var chunk = roots.AsSpan(offset, Math.Min(root.Lanes, roots.Length - offset));
            if (chunk.Length >= SmallRootLimit || !SystemRsaEngine.Instance.Supports(chunk[0].Key))
            {
                root.Compute(chunk);
                continue;
            }
            foreach (var item in chunk)
            {
                try
                {
                    // libcrypto blinds, and verifies with the public exponent (here E) before returning.
                    SystemRsaEngine.Instance.Private(item.Key, item.Input.Span, item.Output.Span);
                    item.Verified = true;
                }
                catch (RsaFaultException)
                {
                    item.Verified = false;
                }
            }
        }
    }

    public object GroupOf(RsaPrivateKey key) => key.ModulusLength;

    public bool Supports(RsaPrivateKey key) => root.Supports(key);

    public void Compute(ReadOnlySpan<RsaBatchItem> items)
    {
        var batches = Partition(items);
        var groups = split == FiatSplitMode.NativeVector ? FormVectorGroups(batches) : [];
        IntPtr ctx = LibCrypto.BnCtxNew();
        var rooted = new List<(FiatBatch Batch, RsaBatchItem Root)>(batches.Count);
        try
        {
            // Upward: one root request per Fiat batch (none for a batch that cannot be split).
            List<RsaBatchItem>? retry = null;
            foreach (var (group, members) in groups)
            {
                var inputs = group.Upward();
                for (int l = 0; l < members.Count; l++)
                {
                    if (inputs[l] is { } input)
                        rooted.Add((members[l], members[l].RootItem = new RsaBatchItem(members[l].RootKey(), input, new byte[members[l].Family.ModulusLength])));
                    else
                        (retry ??= []).AddRange(members[l].Items);
                }
            }
            foreach (var batch in batches)
            {
                if (batch.InVectorGroup)
                    continue;
                var rootItem = batch.Prepare(ctx, split != FiatSplitMode.Managed);
                if (rootItem is null)
                    (retry ??= []).AddRange(batch.Items);
                else
                    rooted.Add((batch, rootItem));
            }
            ComputeRoots(rooted.Select(r => r.Root).ToArray());
            // Downward: split every verified root into its requests and verify each.
            foreach (var (group, members) in groups)
            {
                var results = members.Select(m => m.RootItem is { Verified: true } r ? (ReadOnlyMemory<byte>?)r.Output : null).ToArray();
                foreach (int l in group.Split(results, ctx))
                    (retry ??= []).AddRange(members[l].Items);
            }
            foreach (var (batch, rootItem) in rooted)
            {
                if (!batch.InVectorGroup && rootItem.Verified && !batch.Split(rootItem.Output.Span, ctx))
                    (retry ??= []).AddRange(batch.Items);
            }
            // A request sharing a factor with n (e.g. c = 0) cannot be split out of a batch; rather than
            // fail its batch partners, run those requests again one by one (their roots are themselves).
            if (retry is not null)
            {
                var singles = retry.Select(item => new RsaBatchItem(item.Key, item.Input, item.Output) { InjectFault = item.InjectFault }).ToArray();
                ComputeRoots(singles);
                for (int i = 0; i < singles.Length; i++)
                {
                    if (singles[i].InjectFault)
                        singles[i].Output.Span[^1] ^= 1;
                    retry[i].Verified = singles[i].Verified && !singles[i].InjectFault;
                }
            }
            // Whatever path an item took, a result that failed verification is not left in its output.
            foreach (var item in items)
            {
                if (!item.Verified)
                    item.Output.Span.Clear();
            }
        }
        finally
        {
            // A root M = V^(1/E) is as sensitive as the results it splits into.
            foreach (var (batch, rootItem) in rooted)
            {
                if (batch.Items.Count > 1)
                    CryptographicOperations.ZeroMemory(rootItem.Output.Span);
            }
            foreach (var (group, _) in groups)
                group.Dispose();
            foreach (var batch in batches)
                batch.Dispose();
            LibCrypto.BnCtxFree(ctx);
        }
    }

    /// <summary>
    /// Batches that the IFMA kernels can split together: two or more requests, a supported size, and the
    /// same exponent list (so that the tree and every exponent are shared by the lanes); 2 to 8 per group.
    /// </summary>
    private static List<(FiatVectorGroup Group, List<FiatBatch> Members)> FormVectorGroups(List<FiatBatch> batches)
    {
        var groups = new List<(FiatVectorGroup, List<FiatBatch>)>();
        if (!NativeRsaEngine.IsSupported)
            return groups;
        var pending = new Dictionary<string, List<FiatBatch>>(StringComparer.Ordinal);
        void Flush(List<FiatBatch> members)
        {
            var lanes = members.Select(m => (m.Family.VectorKey!, m.Family.ModulusBytes, m.Family.Modulus, (IReadOnlyList<RsaBatchItem>)m.Items)).ToList();
            groups.Add((new FiatVectorGroup(lanes, members[0].Exponents, members[0].Family.ModulusLength), members));
            foreach (var m in members)
                m.InVectorGroup = true;
        }
        foreach (var batch in batches)
        {
            if (batch.Items.Count < 2 || batch.Family.VectorKey is null)
                continue;
            string signature = batch.Family.ModulusLength + ":" + string.Join(',', batch.Exponents);
            if (!pending.TryGetValue(signature, out var members))
                pending[signature] = members = [];
            members.Add(batch);
            if (members.Count == FiatVectorGroup.Lanes)
            {
                Flush(members);
                pending[signature] = [];
            }
        }
        // A group call costs the same for 1 lane as for 8; one batch alone is cheaper in the scalar split.
        foreach (var members in pending.Values)
        {
            if (members.Count > 1)
                Flush(members);
        }
        return groups;
    }

    /// <summary>The RSA key (n, E) for the family's primes: its private operation is the E-th root.</summary>
    internal static RsaPrivateKey DeriveRootKey(RSAParameters p, ulong e)
    {
        BigInteger P = ToInteger(p.P!), Q = ToInteger(p.Q!);
        BigInteger phi = (P - 1) * (Q - 1);
        int k = p.Modulus!.Length, half = p.P!.Length;
        return new RsaPrivateKey(new RSAParameters
        {
            Modulus = p.Modulus,
            Exponent = RsaMath.ToFixedLength(new BigInteger(e).ToByteArray(isUnsigned: true, isBigEndian: true), new BigInteger(e).GetByteCount(isUnsigned: true)),
            D = RsaMath.ToFixedLength(RsaMath.ModInverse(e, phi).ToByteArray(isUnsigned: true, isBigEndian: true), k),
            P = p.P,
            Q = p.Q,
            DP = RsaMath.ToFixedLength(RsaMath.ModInverse(e, P - 1).ToByteArray(isUnsigned: true, isBigEndian: true), half),
            DQ = RsaMath.ToFixedLength(RsaMath.ModInverse(e, Q - 1).ToByteArray(isUnsigned: true, isBigEndian: true), half),
            InverseQ = p.InverseQ,
        });
    }

    private static BigInteger ToInteger(byte[] value) => new(value, isUnsigned: true, isBigEndian: true);

    private const ulong MaxCombinedExponent = 0xFFFF;

    private static bool ProductFits(List<ulong> exponents, ulong next)
    {
        UInt128 product = next;
        foreach (ulong e in exponents)
            product *= e;
        return product < (UInt128)1 << 62;
    }

    /// <summary>Whether every exponent is small enough to combine and shares no factor with <paramref name="next"/>.</summary>
    private static bool AllCoprimeAndSmall(List<ulong> exponents, ulong next)
    {
        foreach (ulong e in exponents)
        {
            if (e > MaxCombinedExponent || Gcd(e, next) != 1)
                return false;
        }
        return true;
    }

    private static ulong Gcd(ulong a, ulong b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }

    /// <summary>How many Fiat batches <paramref name="items"/> would form (tests).</summary>
    internal int CountBatches(ReadOnlySpan<RsaBatchItem> items) => Partition(items).Count;

    /// <summary>How many Fiat batches <paramref name="items"/> would form, and how many of them the IFMA split would take side by side (tests).</summary>
    internal (int Batches, int InVectorGroups) CountVectorLanes(ReadOnlySpan<RsaBatchItem> items)
    {
        var batches = Partition(items);
        var groups = FormVectorGroups(batches);
        int lanes = groups.Sum(g => g.Members.Count);
        foreach (var (group, _) in groups)
            group.Dispose();
        foreach (var batch in batches)
            batch.Dispose();
        return (batches.Count, lanes);
    }

    /// <summary>Groups requests by family, then into batches of distinct exponents, at most <c>batchSize</c> each.</summary>
    private List<FiatBatch> Partition(ReadOnlySpan<RsaBatchItem> items)
    {
        var batches = new List<FiatBatch>();
        foreach (var item in items)
        {
            var member = Member(item.Key);
            FiatBatch? target = null;
            foreach (var batch in batches)
            {
                // Exponents are combined only while they are small and their product E fits in 62 bits (the
                // C split takes exponents below 2^16; a key with e = 65537 simply runs alone).
                if (batch.Family == member.Family && batch.Items.Count < batchSize && member.Exponent <= MaxCombinedExponent &&
                    AllCoprimeAndSmall(batch.Exponents, member.Exponent) &&
                    ProductFits(batch.Exponents, member.Exponent))
                {
                    target = batch;
                    break;
                }
            }
            if (target is null)
                batches.Add(target = new FiatBatch(member.Family));
            target.Items.Add(item);
            target.Exponents.Add(member.Exponent);
        }
        foreach (var batch in batches)
            batch.SortByExponent();
        return batches;
    }

    private FamilyMember Member(RsaPrivateKey key)
        => (FamilyMember)key.EngineState.GetOrAdd(_stateKey, static (_, state) =>
        {
            var (kernel, k) = state;
            string id = Convert.ToHexString(k.Modulus);
            var family = kernel._families.GetOrAdd(id, static (_, key) => new Family(key), k);
            return new FamilyMember(family, (ulong)new BigInteger(k.PublicExponent, isUnsigned: true, isBigEndian: true));
        }, (this, key));

    private sealed record FamilyMember(Family Family, ulong Exponent);

    /// <summary>Keys sharing one modulus: n in OpenSSL form and the derived root keys per exponent set.</summary>
    private sealed class Family
    {
        private readonly RSAParameters _parameters;
        private readonly ConcurrentDictionary<ulong, RsaPrivateKey> _rootKeys = new();
        private readonly Lazy<ulong[]?> _nativeKey;
        private readonly Lazy<ulong[]?> _vectorKey;

        public Family(RsaPrivateKey member)
        {
            _parameters = member.Parameters;
            ModulusLength = member.ModulusLength;
            _nativeKey = new(() => FiatNativeSplit.IsAvailable && FiatNativeSplit.Supports(member) ? FiatNativeSplit.BuildKey(_parameters) : null);
            _vectorKey = new(() => FiatVectorGroup.Supports(member) ? new NativeKeyState(new RsaPrivateKey(_parameters)).Blob : null);
            IntPtr ctx = LibCrypto.BnCtxNew();
            try
            {
                Modulus = FiatBatch.FromBytes(member.Modulus);
                Montgomery = LibCrypto.BnMontCtxNew();
                if (LibCrypto.BnMontCtxSet(Montgomery, Modulus, ctx) != 1)
                    throw new CryptographicException("BN_MONT_CTX_set failed.");
                One = LibCrypto.BnNew();
                LibCrypto.BnSetWord(One, 1);
                if (LibCrypto.BnToMontgomery(One, One, Montgomery, ctx) != 1)
                    throw new CryptographicException("BN_to_montgomery failed.");
            }
            finally
            {
                LibCrypto.BnCtxFree(ctx);
            }
        }

        public int ModulusLength { get; }

        public byte[] ModulusBytes => _parameters.Modulus!;

        /// <summary>The IFMA kernels' key blob (pinned, <see cref="NativeKeyState"/> layout), or null when they cannot split this key's batches.</summary>
        public ulong[]? VectorKey => _vectorKey.Value;

        /// <summary>The key blob of native/src/fiat_split.c, or null when the native split cannot handle this key.</summary>
        public ulong[]? NativeKey => _nativeKey.Value;

        /// <summary>Lives as long as the kernel (families are few and long-lived).</summary>
        public IntPtr Modulus { get; }

        public IntPtr Montgomery { get; }

        /// <summary>R mod n: one in Montgomery form.</summary>
        public IntPtr One { get; }

        /// <summary>The RSA key (n, E) with E = product of the batch's exponents: its private operation is V^(1/E).</summary>
        public RsaPrivateKey RootKey(ulong product) => _rootKeys.GetOrAdd(product, static (e, p) => DeriveRootKey(p, e), _parameters);
    }

    /// <summary>
    /// Montgomery multiplication modulo the family's n through libcrypto (fixed-size, constant time in the
    /// operands), with square-and-multiply over public exponents.
    /// </summary>
    private readonly struct MontgomeryMath(Family family, IntPtr ctx)
    {
        public void Multiply(IntPtr result, IntPtr a, IntPtr b)
        {
            if (LibCrypto.BnModMulMontgomery(result, a, b, family.Montgomery, ctx) != 1)
                throw new CryptographicException("BN_mod_mul_montgomery failed.");
        }

        /// <summary>result = value^exponent (Montgomery form in and out); the sequence depends only on the public exponent.</summary>
        public void Exponentiate(IntPtr result, IntPtr value, ulong exponent)
        {
            if (exponent == 0)
            {
                LibCrypto.BnCopy(result, family.One);
                return;
            }
            IntPtr @base = LibCrypto.BnNew();
            try
            {
                LibCrypto.BnCopy(@base, value);
                LibCrypto.BnCopy(result, value);
                for (int bit = 62 - System.Numerics.BitOperations.LeadingZeroCount(exponent); bit >= 0; bit--)
                {
                    Multiply(result, result, result);
                    if (((exponent >> bit) & 1) != 0)
                        Multiply(result, result, @base);
                }
            }
            finally
            {
                LibCrypto.BnClearFree(@base);
            }
        }

        /// <summary>result = Π basesⱼ^exponentsⱼ with one shared chain of squarings (Straus/Shamir); public exponents.</summary>
        public void MultiExponentiate(IntPtr result, List<IntPtr> bases, ulong[] exponents)
        {
            ulong all = 0;
            for (int j = 0; j < bases.Count; j++)
                all |= exponents[j];
            LibCrypto.BnCopy(result, family.One);
            bool started = false;
            for (int bit = 63 - System.Numerics.BitOperations.LeadingZeroCount(all | 1); bit >= 0; bit--)
            {
                if (started)
                    Multiply(result, result, result);
                for (int j = 0; j < bases.Count; j++)
                {
                    if (((exponents[j] >> bit) & 1) != 0)
                    {
                        Multiply(result, result, bases[j]);
                        started = true;
                    }
                }
            }
        }
    }

    private sealed class FiatBatch(Family family) : IDisposable
    {
        public Family Family { get; } = family;
        public List<RsaBatchItem> Items { get; } = new(FiatRsaEngine.MaxBatch);
        public List<ulong> Exponents { get; } = new(FiatRsaEngine.MaxBatch);

        private readonly List<IntPtr> _inputs = new(FiatRsaEngine.MaxBatch);
        private readonly List<IntPtr> _inputsMont = new(FiatRsaEngine.MaxBatch);
        private ulong _product;
        private FiatNativeSplit.Batch? _native;

        /// <summary>Split with other batches in the lanes of a <see cref="FiatVectorGroup"/>, not by this object.</summary>
        public bool InVectorGroup { get; set; }

        /// <summary>The root request when <see cref="InVectorGroup"/>.</summary>
        public RsaBatchItem? RootItem { get; set; }

        /// <summary>
        /// Requests in increasing exponent order: batches of one family with the same exponents then have the
        /// same exponent list whatever order their requests arrived in, which is what lets the IFMA split take
        /// them side by side (<see cref="FormVectorGroups"/>); a lone batch goes to the scalar split, about five
        /// times slower per request.
        /// </summary>
        public void SortByExponent()
        {
            for (int i = 1; i < Exponents.Count; i++)
            {
                for (int j = i; j > 0 && Exponents[j - 1] > Exponents[j]; j--)
                {
                    (Exponents[j - 1], Exponents[j]) = (Exponents[j], Exponents[j - 1]);
                    (Items[j - 1], Items[j]) = (Items[j], Items[j - 1]);
                }
            }
        }

        public RsaPrivateKey RootKey()
        {
            ulong product = 1;
            foreach (ulong e in Exponents)
                product *= e;
            return Family.RootKey(product);
        }

        /// <summary>
        /// V = Π cᵢ^(E/eᵢ) mod n, as the root request for the kernel; null when the batch cannot be split
        /// (the native path found some cᵢ ≡ 0 mod p or q) and must run as singletons.
        /// </summary>
        public RsaBatchItem? Prepare(IntPtr ctx, bool nativeSplit)
        {
            int k = Family.ModulusLength;
            _product = 1;
            foreach (ulong e in Exponents)
                _product *= e;
            var rootKey = Family.RootKey(_product);
            if (Items.Count == 1)
                return new RsaBatchItem(rootKey, Items[0].Input, new byte[k]);
            if (nativeSplit && Family.NativeKey is { } nativeKey)
            {
                _native = new FiatNativeSplit.Batch(nativeKey, Exponents, Items, k);
                var rootInput = new byte[k];
                return _native.Up(rootInput) ? new RsaBatchItem(rootKey, rootInput, new byte[k]) : null;
            }

            var math = new MontgomeryMath(Family, ctx);
            var shares = new ulong[Items.Count];
            for (int i = 0; i < Items.Count; i++)
            {
                IntPtr c = FromBytes(Items[i].Input.Span);
                _inputs.Add(c);
                IntPtr cMont = LibCrypto.BnNew();
                _inputsMont.Add(cMont);
                Check(LibCrypto.BnToMontgomery(cMont, c, Family.Montgomery, ctx));
                shares[i] = _product / Exponents[i];
            }
            IntPtr v = LibCrypto.BnNew();
            try
            {
                math.MultiExponentiate(v, _inputsMont, shares);
                Check(LibCrypto.BnFromMontgomery(v, v, Family.Montgomery, ctx));
                var input = new byte[k];
                ToBytes(v, input);
                return new RsaBatchItem(rootKey, input, new byte[k]);
            }
            finally
            {
                LibCrypto.BnClearFree(v);
            }
        }

        /// <summary>mᵢ = M^Xᵢ · Dᵢ⁻¹, each verified with mᵢ^eᵢ ≡ cᵢ (mod n) before it is released.</summary>
        /// <returns>False when the batch cannot be split (some cᵢ shares a factor with n); nothing was released.</returns>
        public bool Split(ReadOnlySpan<byte> rootResult, IntPtr ctx)
        {
            int count = Items.Count;
            if (count == 1)
            {
                // A singleton's root is the request itself, already blinded and verified by the kernel.
                var only = Items[0];
                rootResult.CopyTo(only.Output.Span);
                if (only.InjectFault)
                    only.Output.Span[^1] ^= 1;
                only.Verified = !only.InjectFault;
                return true;
            }
            if (_native is not null)
                return _native.Split(rootResult, Items, Family.ModulusBytes, Family.Modulus, ctx);
            var temporaries = new List<IntPtr>();
            IntPtr New()
            {
                IntPtr bn = LibCrypto.BnNew();
                temporaries.Add(bn);
                return bn;
            }
            var math = new MontgomeryMath(Family, ctx);
            try
            {
                // Everything below is in Montgomery form (x·R mod n) until converted back.
                IntPtr root = New();
                IntPtr rootPlain = FromBytes(rootResult);
                temporaries.Add(rootPlain);
                Check(LibCrypto.BnToMontgomery(root, rootPlain, Family.Montgomery, ctx));
                var raised = new IntPtr[count];
                var denominators = new IntPtr[count];
                var shares = new ulong[count];
                for (int i = 0; i < count; i++)
                {
                    ulong x = SplitExponent(i);
                    // Secret base, public exponent: the multiplication sequence depends on x only.
                    raised[i] = New();
                    math.Exponentiate(raised[i], root, x);
                    for (int j = 0; j < count; j++)
                        shares[j] = x / Exponents[j];
                    denominators[i] = New();
                    math.MultiExponentiate(denominators[i], _inputsMont, shares);
                }

                // Delayed division: one inversion for all Dᵢ (prefix products, then walk back).
                var prefix = new IntPtr[count];
                prefix[0] = denominators[0];
                for (int i = 1; i < count; i++)
                {
                    prefix[i] = New();
                    math.Multiply(prefix[i], prefix[i - 1], denominators[i]);
                }
                IntPtr inverse = New();
                Check(LibCrypto.BnFromMontgomery(inverse, prefix[count - 1], Family.Montgomery, ctx));
                if (LibCrypto.BnModInverse(inverse, inverse, Family.Modulus, ctx) == IntPtr.Zero)
                {
                    // Some cᵢ shares a factor with n (public knowledge: it is the attacker's own input).
                    LibCrypto.ErrClearError();
                    return false;
                }
                Check(LibCrypto.BnToMontgomery(inverse, inverse, Family.Montgomery, ctx));
                IntPtr denominatorInverse = New(), result = New(), check = New(), produced = New();
                for (int i = count - 1; i >= 0; i--)
                {
                    if (i > 0)
                    {
                        math.Multiply(denominatorInverse, inverse, prefix[i - 1]);
                        math.Multiply(inverse, inverse, denominators[i]);
                    }
                    else
                    {
                        LibCrypto.BnCopy(denominatorInverse, inverse);
                    }
                    math.Multiply(result, raised[i], denominatorInverse);
                    Check(LibCrypto.BnFromMontgomery(result, result, Family.Montgomery, ctx));

                    var item = Items[i];
                    ToBytes(result, item.Output.Span);
                    if (item.InjectFault)
                        item.Output.Span[^1] ^= 1;
                    LibCrypto.BnClearFree(produced);
                    temporaries.Remove(produced);
                    produced = FromBytes(item.Output.Span);
                    temporaries.Add(produced);
                    Check(LibCrypto.BnToMontgomery(check, produced, Family.Montgomery, ctx));
                    math.Exponentiate(check, check, Exponents[i]);
                    Check(LibCrypto.BnFromMontgomery(check, check, Family.Montgomery, ctx));
                    item.Verified = LibCrypto.BnUcmp(check, _inputs[i]) == 0;
                }
                return true;
            }
            finally
            {
                foreach (IntPtr bn in temporaries)
                    LibCrypto.BnClearFree(bn);
            }
        }

        /// <summary>Xᵢ = (E/eᵢ)·((E/eᵢ)⁻¹ mod eᵢ): ≡ 1 mod eᵢ and ≡ 0 mod every other eⱼ.</summary>
        private ulong SplitExponent(int i)
        {
            ulong others = _product / Exponents[i];
            ulong inverse = (ulong)(long)RsaMath.ModInverse(others % Exponents[i], Exponents[i]);
            return others * inverse;
        }

        public void Dispose()
        {
            _native?.Dispose();
            _native = null;
            foreach (IntPtr c in _inputs)
                LibCrypto.BnClearFree(c);
            foreach (IntPtr c in _inputsMont)
                LibCrypto.BnClearFree(c);
            _inputs.Clear();
            _inputsMont.Clear();
        }

        internal static unsafe IntPtr FromBytes(ReadOnlySpan<byte> bigEndian)
        {
            fixed (byte* data = bigEndian)
            {
                IntPtr bn = LibCrypto.BnBin2Bn(data, bigEndian.Length, IntPtr.Zero);
                return bn != IntPtr.Zero ? bn : throw new CryptographicException("BN_bin2bn failed.");
            }
        }

        private static unsafe void ToBytes(IntPtr bn, Span<byte> bigEndian)
        {
            fixed (byte* data = bigEndian)
            {
                if (LibCrypto.BnBn2BinPad(bn, data, bigEndian.Length) != bigEndian.Length)
                    throw new CryptographicException("BN_bn2binpad failed.");
            }
        }

        private static void Check(int result)
        {
            if (result != 1)
            {
                LibCrypto.ErrClearError();
                throw new CryptographicException("libcrypto BIGNUM operation failed.");
            }
        }
    }
}
