using System.Numerics;
using System.Security.Cryptography;

namespace Brisk.Crypto.Rsa.MultiBuffer;

/// <summary>
/// Everything a multi-buffer kernel needs about one key, in its limb radix, computed once (BigInteger, at
/// key load) and cached in <see cref="RsaPrivateKey.EngineState"/>: the moduli n, p, q with their
/// Montgomery constants, the CRT exponents cut into fixed windows, and a pool of blinding pairs.
/// R_m = 2^(LimbBits·limbs of m). All limb arrays are little-endian (limb 0 least significant).
/// </summary>
internal sealed class MontgomeryKeyState
{
    public const int WindowBits = 5;

    /// <summary>
    /// Window width of the managed (radix 2^28) exponentiation: a 16-entry table of 19 packed cells per
    /// entry (19.5 KB for eight lanes) stays in L1 beside the kernels' operands, where the 32-entry one
    /// (38 KB) took most of it; 52 more multiplications per half. (The native engine re-cuts the 5-bit
    /// digits itself.)
    /// </summary>
    public const int ManagedWindowBits = 4;

    public MontgomeryKeyState(RsaPrivateKey key, int limbBits)
    {
        var parameters = key.Parameters;
        LimbBits = limbBits;
        BigInteger n = ToInteger(parameters.Modulus!), p = ToInteger(parameters.P!), q = ToInteger(parameters.Q!);
        Modulus = n;
        PublicExponent = (ulong)ToInteger(parameters.Exponent!);
        // R > 4m keeps almost-reduced values (< 2m) closed under Montgomery multiplication.
        FullLimbs = LimbsFor(key.ModulusBits + 2);
        HalfLimbs = LimbsFor(parameters.P!.Length * 8 + 2);
        // dp, dq < 2^(8·|p|): the windows cover exactly those bits (public), not the whole limb width.
        Windows = (parameters.P!.Length * 8 + WindowBits - 1) / WindowBits;
        ManagedWindows = (parameters.P!.Length * 8 + ManagedWindowBits - 1) / ManagedWindowBits;

        BigInteger rn = BigInteger.One << (limbBits * FullLimbs);
        BigInteger rh = BigInteger.One << (limbBits * HalfLimbs);
        N = ToLimbs(n, FullLimbs);
        P = ToLimbs(p, HalfLimbs);
        Q = ToLimbs(q, HalfLimbs);
        K0N = NegativeInverse(n);
        K0P = NegativeInverse(p);
        K0Q = NegativeInverse(q);
        RSquaredN = ToLimbs(rn * rn % n, FullLimbs);
        OneN = ToLimbs(rn % n, FullLimbs);
        RCubedP = ToLimbs(rh * rh % p * rh % p, HalfLimbs);
        RCubedQ = ToLimbs(rh * rh % q * rh % q, HalfLimbs);
        OneP = ToLimbs(rh % p, HalfLimbs);
        OneQ = ToLimbs(rh % q, HalfLimbs);
        QInverseP = ToLimbs(ToInteger(parameters.InverseQ!) * rh % p, HalfLimbs);
        DpWindows = ToWindows(ToInteger(parameters.DP!), Windows, WindowBits);
        DqWindows = ToWindows(ToInteger(parameters.DQ!), Windows, WindowBits);
        DpManagedWindows = ToWindows(ToInteger(parameters.DP!), ManagedWindows, ManagedWindowBits);
        DqManagedWindows = ToWindows(ToInteger(parameters.DQ!), ManagedWindows, ManagedWindowBits);
        RMontN = rn % n;
    }

    public int LimbBits { get; }
    public int FullLimbs { get; }
    public int HalfLimbs { get; }
    public int Windows { get; }
    public int ManagedWindows { get; }
    public ulong PublicExponent { get; }
    public ulong[] N { get; }
    public ulong[] P { get; }
    public ulong[] Q { get; }
    public ulong K0N { get; }
    public ulong K0P { get; }
    public ulong K0Q { get; }
    public ulong[] RSquaredN { get; }
    public ulong[] OneN { get; }
    public ulong[] RCubedP { get; }
    public ulong[] RCubedQ { get; }
    public ulong[] OneP { get; }
    public ulong[] OneQ { get; }
    /// <summary>q⁻¹·R mod p: one Montgomery multiplication by it multiplies by q⁻¹.</summary>
    public ulong[] QInverseP { get; }
    /// <summary>dp in <see cref="WindowBits"/>-bit digits, most significant first, zero-extended to <see cref="Windows"/>.</summary>
    public byte[] DpWindows { get; }
    public byte[] DqWindows { get; }

    /// <summary>dp and dq in <see cref="ManagedWindowBits"/>-bit digits, most significant first, zero-extended to <see cref="ManagedWindows"/>.</summary>
    public byte[] DpManagedWindows { get; }
    public byte[] DqManagedWindows { get; }

    private BigInteger Modulus { get; }
    private BigInteger RMontN { get; }

    private readonly BlindingPair?[] _pool = new BlindingPair?[32];
    private int _next;

    /// <summary>
    /// Takes a blinding pair for one operation; nobody else uses it until <see cref="Return"/>. The kernel
    /// squares both values before returning it, so consecutive uses see fresh factors (as OpenSSL's
    /// BN_BLINDING_update does).
    /// </summary>
    public BlindingPair TakeBlinding()
    {
        int start = Interlocked.Increment(ref _next);
        for (int i = 0; i < _pool.Length; i++)
        {
            var pair = Interlocked.Exchange(ref _pool[(int)((uint)(start + i) % (uint)_pool.Length)], null);
            if (pair is not null)
                return pair;
        }
        return CreateBlinding();
    }

    public void Return(BlindingPair pair)
    {
        int start = Interlocked.Increment(ref _next);
        for (int i = 0; i < _pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _pool[(int)((uint)(start + i) % (uint)_pool.Length)], pair, null) is null)
                return;
        }
    }

    /// <summary>
    /// A fresh pair (r^e, r⁻¹) for random r, both in Montgomery form mod n. The inverse is computed
    /// blinded — (r·u)⁻¹·u for another random u — so the variable-time Euclid never sees r itself.
    /// </summary>
    private BlindingPair CreateBlinding()
    {
        BigInteger r = RandomBelow(Modulus), u = RandomBelow(Modulus);
        BigInteger ru = r * u % Modulus;
        BigInteger inverse = RsaMath.ModInverse(ru, Modulus) * u % Modulus;
        BigInteger blind = BigInteger.ModPow(r, PublicExponent, Modulus);
        return new BlindingPair(ToLimbs(blind * RMontN % Modulus, FullLimbs), ToLimbs(inverse * RMontN % Modulus, FullLimbs));
    }

    private static BigInteger RandomBelow(BigInteger modulus)
    {
        byte[] bytes = new byte[modulus.GetByteCount(isUnsigned: true) + 8];
        RandomNumberGenerator.Fill(bytes);
        BigInteger value = new BigInteger(bytes, isUnsigned: true) % modulus;
        return value.IsZero ? BigInteger.One : value;
    }

    private int LimbsFor(int bits) => (bits + LimbBits - 1) / LimbBits;

    /// <summary>−m⁻¹ mod 2^LimbBits (Newton iteration on the 2-adic inverse).</summary>
    private ulong NegativeInverse(BigInteger modulus)
    {
        ulong m0 = (ulong)(modulus & ulong.MaxValue);
        ulong inverse = 1;
        for (int i = 0; i < 6; i++)
            inverse *= 2 - m0 * inverse;
        ulong mask = (1UL << LimbBits) - 1;
        return (0 - inverse) & mask;
    }

    public ulong[] ToLimbs(BigInteger value, int count)
    {
        // Pinned (POH): the native kernel reads and updates these in place by address.
        var limbs = GC.AllocateArray<ulong>(count, pinned: true);
        BigInteger mask = (BigInteger.One << LimbBits) - 1;
        for (int i = 0; i < count; i++)
        {
            limbs[i] = (ulong)(value & mask);
            value >>= LimbBits;
        }
        if (!value.IsZero)
            throw new ArgumentException("Value does not fit in the limbs.");
        return limbs;
    }

    private static byte[] ToWindows(BigInteger exponent, int windows, int bits)
    {
        var digits = new byte[windows];
        for (int w = 0; w < windows; w++)
        {
            digits[windows - 1 - w] = (byte)(int)(exponent & ((1 << bits) - 1));
            exponent >>= bits;
        }
        if (!exponent.IsZero)
            throw new ArgumentException("Exponent longer than its windows.");
        return digits;
    }

    private static BigInteger ToInteger(ReadOnlySpan<byte> bigEndian) => new(bigEndian, isUnsigned: true, isBigEndian: true);
}

/// <summary>A blinding factor A = r^e and its unblinding factor r⁻¹, both as Montgomery limbs mod n.</summary>
internal sealed class BlindingPair(ulong[] blind, ulong[] unblind)
{
    public ulong[] Blind { get; } = blind;
    public ulong[] Unblind { get; } = unblind;
}
