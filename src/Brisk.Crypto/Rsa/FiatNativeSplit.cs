using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// Fiat's percolations in C (native/src/fiat_split.c): the product tree modulo p and modulo q with
/// delayed division, three calls per Fiat batch (<c>up</c> before the root exponentiation, <c>down</c>
/// and <c>finish</c> after it) instead of one P/Invoke per multiplication. Between <c>down</c> and
/// <c>finish</c> one blinded value is inverted modulo the public n (<see cref="PublicModularInverse"/>;
/// see the comment of fiat_split.c for why the inversion is blinded and done mod n).
/// </summary>
internal static partial class FiatNativeSplit
{
    private const string Library = "brisk_native";
    private const int HeaderWords = 8;
    private const int MaxHalfLimbs = 32;

    /// <summary>Extra random bytes beyond the modulus for the blinding factor: its bias mod n is below 2^-128.</summary>
    internal const int RandomExtraBytes = 16;

    private static readonly Lazy<bool> Available = new(Probe);

    /// <summary>Whether libbrisk_native.so with the Fiat entry points is loaded (any x86-64 CPU: the code is scalar).</summary>
    public static bool IsAvailable => Available.Value;

    private static bool Probe()
    {
        try
        {
            return KeyWords(16) > 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }

    /// <summary>Sizes the C code handles: 64-bit-limb halves (modulus a multiple of 16 bytes), p and q of exactly half the length with their top bit set (so q &lt; 2p for Garner).</summary>
    public static bool Supports(RsaPrivateKey key)
    {
        var p = key.Parameters;
        int k = key.ModulusLength;
        return k % 16 == 0 && k / 16 <= MaxHalfLimbs && k >= 64 && p.P!.Length == k / 2 && p.Q!.Length == k / 2 &&
               p.InverseQ!.Length <= k / 2 && p.P[0] >= 0x80 && p.Q[0] >= 0x80 && (p.Modulus![^1] & 1) == 1;
    }

    [LibraryImport(Library, EntryPoint = "brisk_fiat_key_words")]
    internal static partial int KeyWords(int halfLimbs);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_work_words")]
    internal static partial int WorkWords(int halfLimbs);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_up")]
    internal static unsafe partial int Up(ulong* key, int count, ulong* exponents, byte* inputs, int modulusBytes, ulong* work, byte* rootInput);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_down")]
    internal static unsafe partial int Down(ulong* key, int count, ulong* exponents, ulong* work, byte* rootResult, byte* random, int randomBytes, int modulusBytes, byte* blindedProduct);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_finish")]
    internal static unsafe partial int Finish(ulong* key, int count, ulong* exponents, ulong* work, byte* blindedInverse, byte* inputs, int modulusBytes, byte* outputs, uint faultMask, uint* verified);

    /// <summary>
    /// The key blob for fiat_split.c: header [full limbs, half limbs, k0 n, k0 p, k0 q], then n, R²
    /// mod n (R = 2^(64·full)), p, q, R³ mod p, R³ mod q (R = 2^(64·half)), qInv·R mod p, R mod p,
    /// R mod q; 64-bit limbs, least significant first. Computed once per key family (like the
    /// multi-buffer engines' Montgomery constants).
    /// </summary>
    public static ulong[] BuildKey(RSAParameters parameters)
    {
        int k = parameters.Modulus!.Length, full = k / 8, half = full / 2;
        BigInteger n = Integer(parameters.Modulus), p = Integer(parameters.P!), q = Integer(parameters.Q!), qInv = Integer(parameters.InverseQ!);
        BigInteger rFull = BigInteger.One << (64 * full), rHalf = BigInteger.One << (64 * half);
        var blob = new ulong[KeyWords(half)];
        blob[0] = (ulong)full;
        blob[1] = (ulong)half;
        blob[2] = NegativeInverse(n);
        blob[3] = NegativeInverse(p);
        blob[4] = NegativeInverse(q);
        int offset = HeaderWords;
        void Put(BigInteger value, int limbs)
        {
            byte[] bytes = value.ToByteArray(isUnsigned: true, isBigEndian: false);
            for (int j = 0; j < limbs; j++)
            {
                ulong limb = 0;
                for (int b = 0; b < 8 && 8 * j + b < bytes.Length; b++)
                    limb |= (ulong)bytes[8 * j + b] << (8 * b);
                blob[offset + j] = limb;
            }
            offset += limbs;
        }
        Put(n, full);
        Put(rFull * rFull % n, full);
        Put(p, half);
        Put(q, half);
        Put(rHalf * rHalf * rHalf % p, half);
        Put(rHalf * rHalf * rHalf % q, half);
        Put(qInv * rHalf % p, half);
        Put(rHalf % p, half);
        Put(rHalf % q, half);
        return blob;
    }

    private static BigInteger Integer(byte[] bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);

    /// <summary>-m⁻¹ mod 2^64 by Newton's iteration (m odd).</summary>
    private static ulong NegativeInverse(BigInteger modulus)
    {
        ulong m0 = (ulong)(modulus & ulong.MaxValue);
        ulong inverse = m0; // correct to 3 bits for odd m0
        for (int i = 0; i < 6; i++)
            inverse *= 2 - m0 * inverse;
        return 0UL - inverse;
    }

    /// <summary>
    /// One Fiat batch through the native split. Owns its workspace (secret intermediate values mod p and
    /// q) and zeroes it in <see cref="Dispose"/>.
    /// </summary>
    internal sealed class Batch : IDisposable
    {
        private readonly ulong[] _key;
        private readonly ulong[] _exponents;
        private readonly byte[] _inputs;
        private readonly ulong[] _work;
        private readonly int _modulusLength;

        public Batch(ulong[] key, IReadOnlyList<ulong> exponents, IReadOnlyList<RsaBatchItem> items, int modulusLength)
        {
            _key = key;
            _modulusLength = modulusLength;
            _exponents = exponents.ToArray();
            _inputs = new byte[items.Count * modulusLength];
            for (int i = 0; i < items.Count; i++)
                items[i].Input.Span.CopyTo(_inputs.AsSpan(i * modulusLength, modulusLength));
            _work = new ulong[WorkWords((int)key[1])];
        }

        private int Count => _exponents.Length;

        /// <summary>V = Π cᵢ^(E/eᵢ) mod n into <paramref name="rootInput"/>; false when some cᵢ is 0 mod p or q (cannot be split).</summary>
        public unsafe bool Up(Span<byte> rootInput)
        {
            int status;
            fixed (ulong* key = _key, exponents = _exponents, work = _work)
            fixed (byte* inputs = _inputs, root = rootInput)
                status = FiatNativeSplit.Up(key, Count, exponents, inputs, _modulusLength, work, root);
            return status switch
            {
                0 => true,
                1 => false,
                _ => throw new InvalidOperationException($"brisk_fiat_up rejected the batch ({status})."),
            };
        }

        /// <summary>
        /// From the verified root M = V^(1/E): every request's result, verified with its own exponent.
        /// Returns false when the one inversion fails (only if some input shares a factor with n).
        /// </summary>
        public unsafe bool Split(ReadOnlySpan<byte> rootResult, IReadOnlyList<RsaBatchItem> items, ReadOnlySpan<byte> modulus, IntPtr modulusBn, IntPtr ctx)
        {
            int k = _modulusLength;
            Span<byte> random = stackalloc byte[k + RandomExtraBytes];
            RandomNumberGenerator.Fill(random);
            var blinded = new byte[k];
            var outputs = new byte[Count * k];
            try
            {
                int status;
                fixed (ulong* key = _key, exponents = _exponents, work = _work)
                fixed (byte* root = rootResult, r = random, product = blinded)
                    status = Down(key, Count, exponents, work, root, r, random.Length, k, product);
                if (status != 0)
                    throw new InvalidOperationException($"brisk_fiat_down rejected the batch ({status}).");

                // (T·ρ)⁻¹ mod n: T·ρ is uniform in Z_n* and n is public, so a variable-time inversion is safe here.
                if (!PublicModularInverse.TryInvert(blinded, modulus, modulusBn, ctx))
                    return false;

                uint faultMask = 0;
                for (int i = 0; i < Count; i++)
                    if (items[i].InjectFault)
                        faultMask |= 1u << i;
                uint verified = 0;
                fixed (ulong* key = _key, exponents = _exponents, work = _work)
                fixed (byte* inverse = blinded, inputs = _inputs, results = outputs)
                    status = Finish(key, Count, exponents, work, inverse, inputs, k, results, faultMask, &verified);
                if (status != 0)
                    throw new InvalidOperationException($"brisk_fiat_finish rejected the batch ({status}).");
                for (int i = 0; i < Count; i++)
                {
                    bool ok = (verified & (1u << i)) != 0;
                    var output = items[i].Output.Span;
                    if (ok)
                        outputs.AsSpan(i * k, k).CopyTo(output);
                    else
                        output.Clear();
                    items[i].Verified = ok;
                }
                return true;
            }
            finally
            {
                CryptographicOperations.ZeroMemory(random);
                CryptographicOperations.ZeroMemory(blinded);
                CryptographicOperations.ZeroMemory(outputs);
            }
        }

        public void Dispose()
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(_work.AsSpan()));
        }
    }
}

/// <summary>
/// Up to 8 Fiat batches (same modulus size, same exponent list) split side by side in the 8 lanes of the
/// AVX-512 IFMA kernels (<c>brisk_fiat_mb52_*</c> in native/src/rsa_mb52.c): the multi-buffer engine's
/// arithmetic serves the leaves of several Fiat batches in one call. Lane l is batch l; unused lanes
/// repeat lane 0 into scratch buffers. Owns its buffers; <see cref="Dispose"/> wipes them.
/// </summary>
internal sealed unsafe partial class FiatVectorGroup : IDisposable
{
    public const int Lanes = 8;
    private const string Library = "brisk_native";

    [LibraryImport(Library, EntryPoint = "brisk_fiat_mb52_work_bytes")]
    private static partial int WorkBytes(int halfLimbs);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_mb52_up")]
    private static partial int Up(MbBatch* batch, void* work);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_mb52_down")]
    private static partial int Down(MbBatch* batch, void* work);

    [LibraryImport(Library, EntryPoint = "brisk_fiat_mb52_finish")]
    private static partial int Finish(MbBatch* batch, void* work);

    /// <summary>Mirror of <c>brisk_fiat_mb</c> in native/src/brisk_rsa.h.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct MbBatch
    {
        public fixed ulong Key[8];
        public fixed ulong Inputs[8];
        public fixed ulong Root[8];
        public fixed ulong Blinded[8];
        public fixed ulong Random[8];
        public fixed ulong Outputs[8];
        public fixed ulong Exponents[8];
        public fixed uint FaultBits[8];
        public fixed uint Verified[8];
        public int Count;
        public int ModulusBytes;
        public int RandomBytes;
        public uint ZeroLanes;
    }

    /// <summary>Whether the IFMA kernels can split batches of this key's size (full limbs = 2 × half limbs).</summary>
    public static bool Supports(RsaPrivateKey key)
    {
        int bits = key.ModulusBits, full = (bits + 2 + 51) / 52, half = (key.Parameters.P!.Length * 8 + 2 + 51) / 52;
        return NativeRsaEngine.IsSupported && new NativeIfmaKernel().Supports(key) && full == 2 * half;
    }

    private readonly int _lanesUsed, _count, _modulusLength, _workBytes, _blockBytes;
    private readonly byte* _inputs, _roots, _blinded, _random, _outputs;
    private readonly IReadOnlyList<RsaBatchItem>[] _items;
    private readonly byte[][] _moduli;
    private readonly IntPtr[] _modulusBns;
    private readonly ulong[][] _keys;
    private readonly void* _work;
    private MbBatch _batch;

    /// <summary>
    /// One native block per thread, reused: work area and buffers together (a fresh 100+ KB block per call
    /// costs page faults, and pinned managed arrays per call drive full garbage collections).
    /// </summary>
    [ThreadStatic]
    private static NativeBlock? _cachedBlock;

    private NativeBlock? _block;

    private sealed class NativeBlock(nuint size)
    {
        public nuint Size { get; } = size;
        public void* Memory { get; } = NativeMemory.AlignedAlloc(size, 64);

        ~NativeBlock() => NativeMemory.AlignedFree(Memory);
    }

    /// <param name="lanes">Per batch: the key blob (NativeKeyState layout), n as bytes and as a BIGNUM, and its requests (same count everywhere).</param>
    public FiatVectorGroup(IReadOnlyList<(ulong[] Key, byte[] Modulus, IntPtr ModulusBn, IReadOnlyList<RsaBatchItem> Items)> lanes, IReadOnlyList<ulong> exponents, int modulusLength)
    {
        if (lanes.Count is 0 or > Lanes || exponents.Count is < 2 or > 8)
            throw new ArgumentOutOfRangeException(nameof(lanes));
        _lanesUsed = lanes.Count;
        _count = exponents.Count;
        _modulusLength = modulusLength;
        int k = modulusLength, block = _count * k, randomLength = k + FiatNativeSplit.RandomExtraBytes;
        _workBytes = WorkBytes((int)lanes[0].Key[1]);
        int workRounded = (_workBytes + 63) & ~63;
        _blockBytes = workRounded + 2 * Lanes * block + 3 * Lanes * randomLength;
        _block = _cachedBlock is { } cached && cached.Size >= (nuint)_blockBytes ? cached : new NativeBlock((nuint)_blockBytes);
        _cachedBlock = null;
        byte* memory = (byte*)_block.Memory;
        _work = memory;
        _inputs = memory + workRounded;
        _outputs = _inputs + Lanes * block;
        _roots = _outputs + Lanes * block;
        _blinded = _roots + Lanes * randomLength;
        _random = _blinded + Lanes * randomLength;
        _items = new IReadOnlyList<RsaBatchItem>[_lanesUsed];
        _moduli = new byte[_lanesUsed][];
        _modulusBns = new IntPtr[_lanesUsed];
        _keys = new ulong[Lanes][];
        for (int l = 0; l < Lanes; l++)
        {
            var lane = lanes[l < _lanesUsed ? l : 0];
            _keys[l] = lane.Key;
            if (l < _lanesUsed)
            {
                _items[l] = lane.Items;
                _moduli[l] = lane.Modulus;
                _modulusBns[l] = lane.ModulusBn;
            }
            for (int i = 0; i < _count; i++)
                lane.Items[i].Input.Span.CopyTo(new Span<byte>(_inputs + l * block + i * k, k));
        }
        _batch.Count = _count;
        _batch.ModulusBytes = k;
        _batch.RandomBytes = randomLength;
        for (int i = 0; i < _count; i++)
            _batch.Exponents[i] = exponents[i];
        for (int l = 0; l < Lanes; l++)
        {
            // The key blobs are pinned arrays (NativeKeyState); the buffers are native memory.
            _batch.Key[l] = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_keys[l]));
            _batch.Inputs[l] = (ulong)(_inputs + l * block);
            _batch.Outputs[l] = (ulong)(_outputs + l * block);
            _batch.Root[l] = (ulong)(_roots + l * randomLength);
            _batch.Blinded[l] = (ulong)(_blinded + l * randomLength);
            _batch.Random[l] = (ulong)(_random + l * randomLength);
            if (l < _lanesUsed)
            {
                for (int i = 0; i < _count; i++)
                    if (_items[l][i].InjectFault)
                        _batch.FaultBits[l] |= 1u << i;
            }
        }
    }

    public int LanesUsed => _lanesUsed;

    /// <summary>Runs the upward percolation; returns per used lane the root request's input V, or null when the batch cannot be split.</summary>
    public byte[]?[] Upward()
    {
        int status;
        fixed (MbBatch* batch = &_batch)
            status = Up(batch, _work);
        int stride = _modulusLength + FiatNativeSplit.RandomExtraBytes;
        if (status != 0)
            throw new InvalidOperationException($"brisk_fiat_mb52_up rejected the batch ({status}).");
        var result = new byte[]?[_lanesUsed];
        for (int l = 0; l < _lanesUsed; l++)
            result[l] = (_batch.ZeroLanes & (1u << l)) != 0 ? null : new ReadOnlySpan<byte>(_roots + l * stride, _modulusLength).ToArray();
        return result;
    }

    /// <summary>
    /// Splits the lanes whose root is given (verified by the kernel) into their requests, each verified; a
    /// lane with a null root is skipped (its requests stay unverified). Returns the lanes that could not be
    /// split (the inversion failed), whose requests should be retried as singletons.
    /// </summary>
    public List<int> Split(IReadOnlyList<ReadOnlyMemory<byte>?> rootResults, IntPtr ctx)
    {
        int k = _modulusLength, stride = k + FiatNativeSplit.RandomExtraBytes;
        var failed = new List<int>();
        for (int l = 0; l < Lanes; l++)
        {
            var root = rootResults[l < _lanesUsed ? l : 0];
            if (root is { } r)
                r.Span.CopyTo(new Span<byte>(_roots + l * stride, k));
        }
        RandomNumberGenerator.Fill(new Span<byte>(_random, Lanes * stride));
        int status;
        fixed (MbBatch* batch = &_batch)
            status = Down(batch, _work);
        if (status != 0)
            throw new InvalidOperationException($"brisk_fiat_mb52_down rejected the batch ({status}).");
        // (T·ρ)⁻¹ mod n per lane: T·ρ is uniform in Z_n* and n is public, so a variable-time inversion is safe.
        var usable = new bool[_lanesUsed];
        for (int l = 0; l < _lanesUsed; l++)
        {
            if (rootResults[l] is null)
                continue;
            usable[l] = PublicModularInverse.TryInvert(new Span<byte>(_blinded + l * stride, k), _moduli[l], _modulusBns[l], ctx);
            if (!usable[l])
                failed.Add(l);
        }
        fixed (MbBatch* batch = &_batch)
            status = Finish(batch, _work);
        if (status != 0)
            throw new InvalidOperationException($"brisk_fiat_mb52_finish rejected the batch ({status}).");
        int block = _count * k;
        for (int l = 0; l < _lanesUsed; l++)
        {
            if (!usable[l])
                continue;
            for (int i = 0; i < _count; i++)
            {
                var item = _items[l][i];
                bool ok = (_batch.Verified[l] & (1u << i)) != 0;
                if (ok)
                    new ReadOnlySpan<byte>(_outputs + l * block + i * k, k).CopyTo(item.Output.Span);
                else
                    item.Output.Span.Clear();
                item.Verified = ok;
            }
        }
        return failed;
    }

    private bool _disposed;

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        // Secrets: the work area (numerators mod p and q), results, roots, blinding factors.
        NativeMemory.Clear(_work, (nuint)_blockBytes);
        _cachedBlock ??= _block;
        _block = null;
    }
}
