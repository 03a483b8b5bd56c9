using System.Runtime.InteropServices;

namespace Brisk.Crypto.Native;

internal static partial class LibCrypto
{
    /// <summary>
    /// Elliptic-curve entry points: the EC_KEY API for the NIST curves and the EVP_PKEY API for X25519.
    /// Nested so these declarations cannot clash with other areas' partial files on merge.
    /// </summary>
    /// <remarks>
    /// The NIST curves use the EC_KEY/ECDH/ECDSA functions (deprecated in OpenSSL 3 but exported by every
    /// libcrypto.so.3) rather than EVP_PKEY: measured on this machine a P-256 keygen+import+derive costs
    /// ~51 µs through EC_KEY against ~73 µs through EVP_PKEY, whose per-call provider fetch and
    /// parameter plumbing add ~20 µs. X25519 is only reachable through EVP_PKEY.
    /// </remarks>
    internal static unsafe partial class Ec
    {
        internal const int NidX25519 = 1034;          // NID_X25519 == EVP_PKEY_X25519
        internal const int NidPrime256v1 = 415;       // NID_X9_62_prime256v1
        internal const int NidSecp384r1 = 715;        // NID_secp384r1
        internal const int PointConversionUncompressed = 4;

        // ---- EC_GROUP / EC_POINT / BIGNUM ----
        [LibraryImport(Library)] internal static partial nint EC_GROUP_new_by_curve_name(int nid);
        [LibraryImport(Library)] internal static partial nint EC_POINT_new(nint group);
        [LibraryImport(Library)] internal static partial void EC_POINT_free(nint point);
        [LibraryImport(Library)] internal static partial int EC_POINT_oct2point(nint group, nint point, byte* buf, nuint len, nint bnCtx);
        [LibraryImport(Library)] internal static partial nuint EC_POINT_point2oct(nint group, nint point, int form, byte* buf, nuint len, nint bnCtx);
        [LibraryImport(Library)] internal static partial int EC_POINT_mul(nint group, nint result, nint scalar, nint point, nint pointScalar, nint bnCtx);
        [LibraryImport(Library)] internal static partial nint BN_bin2bn(byte* s, int len, nint ret);
        [LibraryImport(Library)] internal static partial void BN_clear_free(nint bn);
        [LibraryImport(Library)] internal static partial void BN_free(nint bn);

        // ---- EC_KEY ----
        [LibraryImport(Library)] internal static partial nint EC_KEY_new();
        [LibraryImport(Library)] internal static partial void EC_KEY_free(nint key);
        [LibraryImport(Library)] internal static partial int EC_KEY_set_group(nint key, nint group);
        [LibraryImport(Library)] internal static partial int EC_KEY_generate_key(nint key);
        [LibraryImport(Library)] internal static partial nint EC_KEY_get0_public_key(nint key);
        [LibraryImport(Library)] internal static partial nint EC_KEY_get0_group(nint key);
        [LibraryImport(Library)] internal static partial int EC_KEY_set_private_key(nint key, nint priv);
        [LibraryImport(Library)] internal static partial int EC_KEY_set_public_key(nint key, nint pub);
        [LibraryImport(Library)] internal static partial int EC_KEY_set_public_key_affine_coordinates(nint key, nint x, nint y);
        [LibraryImport(Library)] internal static partial int EC_KEY_check_key(nint key);
        [LibraryImport(Library)] internal static partial int ECDH_compute_key(byte* output, nuint outputLength, nint peerPoint, nint key, nint kdf);
        [LibraryImport(Library)] internal static partial int ECDSA_size(nint key);
        [LibraryImport(Library)] internal static partial int ECDSA_sign(int type, byte* digest, int digestLength, byte* signature, uint* signatureLength, nint key);

        // ---- EVP_PKEY (X25519) ----
        [LibraryImport(Library)] internal static partial nint EVP_PKEY_CTX_new_id(int id, nint engine);
        [LibraryImport(Library)] internal static partial nint EVP_PKEY_CTX_new(nint pkey, nint engine);
        [LibraryImport(Library)] internal static partial void EVP_PKEY_CTX_free(nint ctx);
        [LibraryImport(Library)] internal static partial int EVP_PKEY_keygen_init(nint ctx);
        [LibraryImport(Library)] internal static partial int EVP_PKEY_keygen(nint ctx, nint* pkey);
        [LibraryImport(Library)] internal static partial void EVP_PKEY_free(nint pkey);
        [LibraryImport(Library)] internal static partial nint EVP_PKEY_new_raw_public_key(int type, nint engine, byte* key, nuint keyLength);
        [LibraryImport(Library)] internal static partial nint EVP_PKEY_new_raw_private_key(int type, nint engine, byte* key, nuint keyLength);
        [LibraryImport(Library)] internal static partial int EVP_PKEY_get_raw_public_key(nint pkey, byte* publicKey, nuint* length);
        [LibraryImport(Library)] internal static partial int EVP_PKEY_derive_init(nint ctx);
        [LibraryImport(Library)] internal static partial int EVP_PKEY_derive_set_peer_ex(nint ctx, nint peer, int validatePeer);
        [LibraryImport(Library)] internal static partial int EVP_PKEY_derive(nint ctx, byte* key, nuint* keyLength);

        [LibraryImport(Library)] internal static partial void ERR_clear_error();
    }
}

/// <summary>Owns an EC_KEY*; freeing it clears the private scalar (OpenSSL uses BN_clear_free).</summary>
internal sealed class LibCryptoEcKey : SafeHandle
{
    public LibCryptoEcKey() : base(0, ownsHandle: true) { }

    internal LibCryptoEcKey(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LibCrypto.Ec.EC_KEY_free(handle);
        return true;
    }
}

/// <summary>Owns an EVP_PKEY*; freeing it cleanses the private key bytes (OpenSSL's ecx key free).</summary>
internal sealed class LibCryptoPKey : SafeHandle
{
    public LibCryptoPKey() : base(0, ownsHandle: true) { }

    internal LibCryptoPKey(nint handle) : base(0, ownsHandle: true) => SetHandle(handle);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        LibCrypto.Ec.EVP_PKEY_free(handle);
        return true;
    }
}
