using System.Runtime.InteropServices;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// x⁻¹ mod n for a public (or blinded, uniformly distributed) x and a public n, variable time. GMP's
/// <c>mpz_invert</c> (libgmp.so.10, present wherever coreutils is) takes about 15 µs at 2048 bits here,
/// libcrypto's <c>BN_mod_inverse</c> more than ten times that; libcrypto is the fallback when libgmp is
/// missing. Never call this with a secret value: neither is constant time, and GMP does not wipe its
/// buffers.
/// </summary>
internal static unsafe partial class PublicModularInverse
{
    private const string Gmp = "libgmp.so.10";

    private static readonly Lazy<bool> GmpAvailable = new(() =>
    {
        try
        {
            Mpz probe;
            Init(&probe);
            Clear(&probe);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    });

    /// <summary>Test hook: force the libcrypto path.</summary>
    internal static bool DisableGmp { get; set; }

    /// <summary>
    /// Replaces the big-endian <paramref name="value"/> (same length as the modulus, &lt; n) with its inverse
    /// mod n; false when it has none. <paramref name="modulus"/>/<paramref name="modulusBn"/>: n as bytes and
    /// as a libcrypto BIGNUM (the fallback uses the latter).
    /// </summary>
    public static bool TryInvert(Span<byte> value, ReadOnlySpan<byte> modulus, IntPtr modulusBn, IntPtr ctx)
        => GmpAvailable.Value && !DisableGmp ? InvertGmp(value, modulus) : InvertLibCrypto(value, modulusBn, ctx);

    private static bool InvertGmp(Span<byte> value, ReadOnlySpan<byte> modulus)
    {
        Mpz x, n, r;
        Init(&x);
        Init(&n);
        Init(&r);
        try
        {
            fixed (byte* v = value, m = modulus)
            {
                Import(&x, (nuint)value.Length, 1, 1, 1, 0, v);
                Import(&n, (nuint)modulus.Length, 1, 1, 1, 0, m);
            }
            if (Invert(&r, &x, &n) == 0)
                return false;
            // mpz_export writes the significant bytes only: right-align them.
            Span<byte> buffer = stackalloc byte[value.Length];
            nuint count = 0;
            fixed (byte* b = buffer)
                Export(b, &count, 1, 1, 1, 0, &r);
            value.Clear();
            buffer[..(int)count].CopyTo(value[(value.Length - (int)count)..]);
            return true;
        }
        finally
        {
            Clear(&x);
            Clear(&n);
            Clear(&r);
        }
    }

    private static bool InvertLibCrypto(Span<byte> value, IntPtr modulusBn, IntPtr ctx)
    {
        IntPtr a, inverse = LibCrypto.BnNew();
        fixed (byte* data = value)
            a = LibCrypto.BnBin2Bn(data, value.Length, IntPtr.Zero);
        try
        {
            if (a == IntPtr.Zero || inverse == IntPtr.Zero)
                throw new System.Security.Cryptography.CryptographicException("BN allocation failed.");
            if (LibCrypto.BnModInverse(inverse, a, modulusBn, ctx) == IntPtr.Zero)
            {
                LibCrypto.ErrClearError();
                return false;
            }
            fixed (byte* data = value)
            {
                if (LibCrypto.BnBn2BinPad(inverse, data, value.Length) != value.Length)
                    throw new System.Security.Cryptography.CryptographicException("BN_bn2binpad failed.");
            }
            return true;
        }
        finally
        {
            LibCrypto.BnClearFree(a);
            LibCrypto.BnClearFree(inverse);
        }
    }

    /// <summary>GMP's <c>__mpz_struct</c>.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct Mpz
    {
        public int Alloc;
        public int Size;
        public IntPtr Limbs;
    }

    [LibraryImport(Gmp, EntryPoint = "__gmpz_init")]
    private static partial void Init(Mpz* x);

    [LibraryImport(Gmp, EntryPoint = "__gmpz_clear")]
    private static partial void Clear(Mpz* x);

    [LibraryImport(Gmp, EntryPoint = "__gmpz_import")]
    private static partial void Import(Mpz* rop, nuint count, int order, nuint size, int endian, nuint nails, byte* op);

    [LibraryImport(Gmp, EntryPoint = "__gmpz_export")]
    private static partial byte* Export(byte* rop, nuint* count, int order, nuint size, int endian, nuint nails, Mpz* op);

    [LibraryImport(Gmp, EntryPoint = "__gmpz_invert")]
    private static partial int Invert(Mpz* rop, Mpz* op1, Mpz* op2);
}
