using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;
using Brisk.Crypto.Native;
using Brisk.Crypto.Rsa.MultiBuffer;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// Fiat batch RSA ("fiat"; A. Fiat, CRYPTO '89; Shacham &amp; Boneh, "Improving SSL handshake
/// performance via batching", CT-RSA 2001): b keys share one modulus n and have distinct, pairwise
/// coprime small public exponents e₁…e_b (3, 5, 7, 11, …). Requests for different keys of one family
/// are combined so that b private operations cost one full exponentiation plus small-exponent work:
/// <list type="number">
/// <item>V = Π cᵢ^(E/eᵢ) mod n with E = Π eᵢ (public values, variable time is fine);</item>
/// <item>M = V^(1/E) mod n: one RSA-CRT private operation with the derived key (n, E), run in the
///   multi-buffer kernel (native IFMA or managed), which blinds and verifies it — the roots of up to
///   8 Fiat batches share one kernel call;</item>
/// <item>split: with Xᵢ ≡ 1 (mod eᵢ), Xᵢ ≡ 0 (mod eⱼ, j ≠ i), M^Xᵢ = cᵢ^(1/eᵢ) · Dᵢ where
///   Dᵢ = Π cⱼ^⌊Xᵢ/eⱼ⌋ is public, so mᵢ = M^Xᵢ · Dᵢ⁻¹; the b inverses come from one inversion
///   (delayed division, Montgomery's batch-inversion trick) of public values.</item>
/// </list>
/// The secret-dependent steps (M^Xᵢ with public Xᵢ, the product with Dᵢ⁻¹) use OpenSSL's constant-time
/// Montgomery exponentiation and multiplication modulo the public n. Every result is verified with its
/// own exponent (mᵢ^eᵢ ≡ cᵢ) before it leaves. Requests with the same exponent, or without a partner,
/// run as singletons (the root operation is then the request itself).
/// </summary>
/// <remarks>
/// Differs from Shacham–Boneh in one respect: the split is done modulo n rather than separately modulo p
/// and q, so that the only inversions are of public values modulo the public n (no secret-modulus
/// inversion). The root exponentiation itself still uses CRT.
/// </remarks>
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
    {
        if (batchSize is < 1 or > MaxBatch)
            throw new ArgumentOutOfRangeException(nameof(batchSize));
        IRsaBatchKernel? root = NativeRsaEngine.IsSupported ? new NativeIfmaKernel()
            : Avx512Lanes.IsSupported ? new MultiBufferKernel<Vector512<ulong>, Avx512Lanes>("fiat-root")
            : Avx2Lanes.IsSupported ? new MultiBufferKernel<Vector256<ulong>, Avx2Lanes>("fiat-root") : null;
        return root is null ? null : new BatchingRsaEngine(new FiatKernel(root, batchSize), fallback ?? SystemRsaEngine.Instance, options);
    }
}

internal sealed class FiatKernel(IRsaBatchKernel root, int batchSize) : IRsaBatchKernel
{
    private readonly ConcurrentDictionary<string, Family> _families = new(StringComparer.Ordinal);

    public string Name => FiatRsaEngine.EngineName;

    public int Lanes => root.Lanes * batchSize;

    public int BatchSize => batchSize;

    public object GroupOf(RsaPrivateKey key) => key.ModulusLength;

    public bool Supports(RsaPrivateKey key) => root.Supports(key);

    public void Compute(ReadOnlySpan<RsaBatchItem> items)
    {
        var batches = Partition(items);
        IntPtr ctx = LibCrypto.BnCtxNew();
        try
        {
            // Upward: one root request per Fiat batch.
            var roots = new RsaBatchItem[batches.Count];
            for (int i = 0; i < batches.Count; i++)
                roots[i] = batches[i].Prepare(ctx);
            for (int offset = 0; offset < roots.Length; offset += root.Lanes)
                root.Compute(roots.AsSpan(offset, Math.Min(root.Lanes, roots.Length - offset)));
            // Downward: split every verified root into its requests and verify each.
            List<RsaBatchItem>? retry = null;
            for (int i = 0; i < batches.Count; i++)
            {
                if (roots[i].Verified && !batches[i].Split(roots[i].Output.Span, ctx))
                    (retry ??= []).AddRange(batches[i].Items);
                batches[i].Dispose();
            }
            // A request sharing a factor with n (e.g. c = 0) cannot be split out of a batch; rather than
            // fail its batch partners, run those requests again one by one (their roots are themselves).
            if (retry is not null)
            {
                var singles = retry.Select(item => new RsaBatchItem(item.Key, item.Input, item.Output) { InjectFault = item.InjectFault }).ToArray();
                for (int offset = 0; offset < singles.Length; offset += root.Lanes)
                    root.Compute(singles.AsSpan(offset, Math.Min(root.Lanes, singles.Length - offset)));
                for (int i = 0; i < singles.Length; i++)
                {
                    if (singles[i].InjectFault)
                        singles[i].Output.Span[^1] ^= 1;
                    retry[i].Verified = singles[i].Verified && !singles[i].InjectFault;
                }
            }
        }
        finally
        {
            LibCrypto.BnCtxFree(ctx);
        }
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
                if (batch.Family == member.Family && batch.Items.Count < batchSize && batch.Exponents.TrueForAll(e => BigInteger.GreatestCommonDivisor(e, member.Exponent).IsOne))
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
        return batches;
    }

    private FamilyMember Member(RsaPrivateKey key)
        => (FamilyMember)key.EngineState.GetOrAdd("fiat", static (_, state) =>
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

        public Family(RsaPrivateKey member)
        {
            _parameters = member.Parameters;
            ModulusLength = member.ModulusLength;
            IntPtr ctx = LibCrypto.BnCtxNew();
            try
            {
                Modulus = FiatBatch.FromBytes(member.Modulus);
                Montgomery = LibCrypto.BnMontCtxNew();
                if (LibCrypto.BnMontCtxSet(Montgomery, Modulus, ctx) != 1)
                    throw new CryptographicException("BN_MONT_CTX_set failed.");
            }
            finally
            {
                LibCrypto.BnCtxFree(ctx);
            }
        }

        public int ModulusLength { get; }

        /// <summary>Lives as long as the kernel (families are few and long-lived).</summary>
        public IntPtr Modulus { get; }

        public IntPtr Montgomery { get; }

        /// <summary>The RSA key (n, E) with E = product of the batch's exponents: its private operation is V^(1/E).</summary>
        public RsaPrivateKey RootKey(ulong product) => _rootKeys.GetOrAdd(product, static (e, p) =>
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
        }, _parameters);

        private static BigInteger ToInteger(byte[] value) => new(value, isUnsigned: true, isBigEndian: true);
    }

    private sealed class FiatBatch(Family family) : IDisposable
    {
        public Family Family { get; } = family;
        public List<RsaBatchItem> Items { get; } = new(FiatRsaEngine.MaxBatch);
        public List<ulong> Exponents { get; } = new(FiatRsaEngine.MaxBatch);

        private readonly List<IntPtr> _inputs = new(FiatRsaEngine.MaxBatch);
        private ulong _product;

        /// <summary>V = Π cᵢ^(E/eᵢ) mod n, as the root request for the kernel.</summary>
        public RsaBatchItem Prepare(IntPtr ctx)
        {
            int k = Family.ModulusLength;
            _product = 1;
            foreach (ulong e in Exponents)
                _product *= e;
            var rootKey = Family.RootKey(_product);
            if (Items.Count == 1)
                return new RsaBatchItem(rootKey, Items[0].Input, new byte[k]);

            IntPtr v = LibCrypto.BnNew(), power = LibCrypto.BnNew(), exponent = LibCrypto.BnNew();
            try
            {
                LibCrypto.BnSetWord(v, 1);
                for (int i = 0; i < Items.Count; i++)
                {
                    IntPtr c = FromBytes(Items[i].Input.Span);
                    _inputs.Add(c);
                    LibCrypto.BnSetWord(exponent, _product / Exponents[i]);
                    Check(LibCrypto.BnModExpMont(power, c, exponent, Family.Modulus, ctx, Family.Montgomery));
                    Check(LibCrypto.BnModMul(v, v, power, Family.Modulus, ctx));
                }
                var input = new byte[k];
                ToBytes(v, input);
                return new RsaBatchItem(rootKey, input, new byte[k]);
            }
            finally
            {
                LibCrypto.BnClearFree(v);
                LibCrypto.BnClearFree(power);
                LibCrypto.BnClearFree(exponent);
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
            var temporaries = new List<IntPtr>();
            IntPtr New()
            {
                IntPtr bn = LibCrypto.BnNew();
                temporaries.Add(bn);
                return bn;
            }
            try
            {
                IntPtr m = FromBytes(rootResult);
                temporaries.Add(m);
                IntPtr exponent = New(), power = New();
                var raised = new IntPtr[count];
                var denominators = new IntPtr[count];
                for (int i = 0; i < count; i++)
                {
                    ulong x = SplitExponent(i);
                    raised[i] = New();
                    LibCrypto.BnSetWord(exponent, x);
                    Check(LibCrypto.BnModExpMontConstTime(raised[i], m, exponent, Family.Modulus, ctx, Family.Montgomery));
                    denominators[i] = New();
                    LibCrypto.BnSetWord(denominators[i], 1);
                    for (int j = 0; j < count; j++)
                    {
                        ulong share = x / Exponents[j];
                        if (share == 0)
                            continue; // public
                        LibCrypto.BnSetWord(exponent, share);
                        Check(LibCrypto.BnModExpMont(power, _inputs[j], exponent, Family.Modulus, ctx, Family.Montgomery));
                        Check(LibCrypto.BnModMul(denominators[i], denominators[i], power, Family.Modulus, ctx));
                    }
                }

                // Delayed division: one inversion for all Dᵢ (prefix products, then walk back).
                var prefix = new IntPtr[count];
                prefix[0] = denominators[0];
                for (int i = 1; i < count; i++)
                {
                    prefix[i] = New();
                    Check(LibCrypto.BnModMul(prefix[i], prefix[i - 1], denominators[i], Family.Modulus, ctx));
                }
                IntPtr inverse = New();
                if (LibCrypto.BnModInverse(inverse, prefix[count - 1], Family.Modulus, ctx) == IntPtr.Zero)
                {
                    // Some cᵢ shares a factor with n (public knowledge: it is the attacker's own input).
                    LibCrypto.ErrClearError();
                    return false;
                }
                IntPtr inverseMont = New(), result = New(), check = New();
                var output = new byte[Family.ModulusLength];
                for (int i = count - 1; i >= 0; i--)
                {
                    IntPtr denominatorInverse = New();
                    if (i > 0)
                    {
                        Check(LibCrypto.BnModMul(denominatorInverse, inverse, prefix[i - 1], Family.Modulus, ctx));
                        Check(LibCrypto.BnModMul(inverse, inverse, denominators[i], Family.Modulus, ctx));
                    }
                    else
                    {
                        Check(LibCrypto.BnModMul(denominatorInverse, inverse, LibCryptoOne(), Family.Modulus, ctx));
                    }
                    // Secret × public in Montgomery form: a·(b·R)·R⁻¹ = a·b, constant time in a.
                    Check(LibCrypto.BnToMontgomery(inverseMont, denominatorInverse, Family.Montgomery, ctx));
                    Check(LibCrypto.BnModMulMontgomery(result, raised[i], inverseMont, Family.Montgomery, ctx));

                    var item = Items[i];
                    ToBytes(result, item.Output.Span);
                    if (item.InjectFault)
                        item.Output.Span[^1] ^= 1;
                    IntPtr produced = FromBytes(item.Output.Span);
                    temporaries.Add(produced);
                    LibCrypto.BnSetWord(exponent, Exponents[i]);
                    Check(LibCrypto.BnModExpMont(check, produced, exponent, Family.Modulus, ctx, Family.Montgomery));
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

        private static IntPtr s_one;

        private static IntPtr LibCryptoOne()
        {
            if (s_one == IntPtr.Zero)
            {
                IntPtr one = LibCrypto.BnNew();
                LibCrypto.BnSetWord(one, 1);
                if (Interlocked.CompareExchange(ref s_one, one, IntPtr.Zero) != IntPtr.Zero)
                    LibCrypto.BnClearFree(one);
            }
            return s_one;
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
            foreach (IntPtr c in _inputs)
                LibCrypto.BnClearFree(c);
            _inputs.Clear();
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
