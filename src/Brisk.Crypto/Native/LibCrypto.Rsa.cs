using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Brisk.Crypto.Native;

/// <summary>
/// The low-level OpenSSL RSA API. It is deprecated in OpenSSL 3 but still exported by libcrypto.so.3 and
/// is the cheapest way to a raw (unpadded) private operation: no EVP_PKEY_CTX per call. OpenSSL blinds
/// the input (RSA_FLAG_BLINDING is the default) and its CRT path already re-checks with the public key;
/// the engine verifies again on its own.
/// </summary>
internal static partial class LibCrypto
{
    /// <summary>RSA_NO_PADDING from openssl/rsa.h.</summary>
    internal const int RsaNoPadding = 3;

    [LibraryImport(Library, EntryPoint = "RSA_new")]
    internal static partial IntPtr RsaNew();

    [LibraryImport(Library, EntryPoint = "RSA_free")]
    internal static partial void RsaFree(IntPtr rsa);

    [LibraryImport(Library, EntryPoint = "RSA_size")]
    internal static partial int RsaSize(SafeRsaHandle rsa);

    [LibraryImport(Library, EntryPoint = "BN_bin2bn")]
    internal static unsafe partial IntPtr BnBin2Bn(byte* data, int length, IntPtr reuse);

    [LibraryImport(Library, EntryPoint = "BN_clear_free")]
    internal static partial void BnClearFree(IntPtr bn);

    /// <summary>Takes ownership of the three BIGNUMs on success (returns 1).</summary>
    [LibraryImport(Library, EntryPoint = "RSA_set0_key")]
    internal static partial int RsaSet0Key(IntPtr rsa, IntPtr n, IntPtr e, IntPtr d);

    [LibraryImport(Library, EntryPoint = "RSA_set0_factors")]
    internal static partial int RsaSet0Factors(IntPtr rsa, IntPtr p, IntPtr q);

    [LibraryImport(Library, EntryPoint = "RSA_set0_crt_params")]
    internal static partial int RsaSet0CrtParams(IntPtr rsa, IntPtr dmp1, IntPtr dmq1, IntPtr iqmp);

    /// <summary>Returns the number of bytes written (RSA_size for RSA_NO_PADDING) or -1.</summary>
    [LibraryImport(Library, EntryPoint = "RSA_private_decrypt")]
    internal static unsafe partial int RsaPrivateDecrypt(int length, byte* from, byte* to, SafeRsaHandle rsa, int padding);

    [LibraryImport(Library, EntryPoint = "RSA_public_encrypt")]
    internal static unsafe partial int RsaPublicEncrypt(int length, byte* from, byte* to, SafeRsaHandle rsa, int padding);

    [LibraryImport(Library, EntryPoint = "ERR_clear_error")]
    internal static partial void ErrClearError();
}

/// <summary>An OpenSSL <c>RSA*</c>; freed (with its secret BIGNUMs cleared) when released.</summary>
internal sealed class SafeRsaHandle : SafeHandleZeroOrMinusOneIsInvalid
{
    public SafeRsaHandle() : base(ownsHandle: true)
    {
    }

    internal SafeRsaHandle(IntPtr handle) : base(ownsHandle: true) => SetHandle(handle);

    protected override bool ReleaseHandle()
    {
        LibCrypto.RsaFree(handle);
        return true;
    }
}

/// <summary>BIGNUM arithmetic used by the Fiat batch engine (modulus n public, Montgomery form).</summary>
internal static partial class LibCrypto
{
    [LibraryImport(Library, EntryPoint = "BN_new")]
    internal static partial IntPtr BnNew();

    [LibraryImport(Library, EntryPoint = "BN_CTX_new")]
    internal static partial IntPtr BnCtxNew();

    [LibraryImport(Library, EntryPoint = "BN_CTX_free")]
    internal static partial void BnCtxFree(IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "BN_bn2binpad")]
    internal static unsafe partial int BnBn2BinPad(IntPtr a, byte* to, int length);

    [LibraryImport(Library, EntryPoint = "BN_set_word")]
    internal static partial int BnSetWord(IntPtr a, ulong word);

    [LibraryImport(Library, EntryPoint = "BN_ucmp")]
    internal static partial int BnUcmp(IntPtr a, IntPtr b);

    [LibraryImport(Library, EntryPoint = "BN_MONT_CTX_new")]
    internal static partial IntPtr BnMontCtxNew();

    [LibraryImport(Library, EntryPoint = "BN_MONT_CTX_set")]
    internal static partial int BnMontCtxSet(IntPtr mont, IntPtr modulus, IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "BN_MONT_CTX_free")]
    internal static partial void BnMontCtxFree(IntPtr mont);

    [LibraryImport(Library, EntryPoint = "BN_mod_mul_montgomery")]
    internal static partial int BnModMulMontgomery(IntPtr r, IntPtr a, IntPtr b, IntPtr mont, IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "BN_to_montgomery")]
    internal static partial int BnToMontgomery(IntPtr r, IntPtr a, IntPtr mont, IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "BN_from_montgomery")]
    internal static partial int BnFromMontgomery(IntPtr r, IntPtr a, IntPtr mont, IntPtr ctx);

    /// <summary>Variable time in the exponent: only for public exponents.</summary>
    [LibraryImport(Library, EntryPoint = "BN_mod_exp_mont")]
    internal static partial int BnModExpMont(IntPtr r, IntPtr a, IntPtr p, IntPtr m, IntPtr ctx, IntPtr mont);

    [LibraryImport(Library, EntryPoint = "BN_mod_exp_mont_consttime")]
    internal static partial int BnModExpMontConstTime(IntPtr r, IntPtr a, IntPtr p, IntPtr m, IntPtr ctx, IntPtr mont);

    [LibraryImport(Library, EntryPoint = "BN_mod_inverse")]
    internal static partial IntPtr BnModInverse(IntPtr r, IntPtr a, IntPtr n, IntPtr ctx);

    [LibraryImport(Library, EntryPoint = "BN_mod_mul")]
    internal static partial int BnModMul(IntPtr r, IntPtr a, IntPtr b, IntPtr m, IntPtr ctx);
}

/// <summary>Key generation for Fiat key families (a chosen public exponent).</summary>
internal static partial class LibCrypto
{
    [LibraryImport(Library, EntryPoint = "RSA_generate_key_ex")]
    internal static partial int RsaGenerateKeyEx(IntPtr rsa, int bits, IntPtr exponent, IntPtr callback);

    [LibraryImport(Library, EntryPoint = "RSA_get0_factors")]
    internal static partial void RsaGet0Factors(IntPtr rsa, out IntPtr p, out IntPtr q);

    [LibraryImport(Library, EntryPoint = "BN_num_bits")]
    internal static partial int BnNumBits(IntPtr a);
}

internal static partial class LibCrypto
{
    [LibraryImport(Library, EntryPoint = "BN_copy")]
    internal static partial IntPtr BnCopy(IntPtr to, IntPtr from);
}
