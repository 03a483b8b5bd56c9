using System.Runtime.InteropServices;

namespace Brisk.Crypto.Native;

internal static partial class LibCrypto
{
    /// <summary>
    /// Public-key signature verification entry points (EC_GROUP/EC_POINT/BIGNUM for ECDSA, the low-level RSA
    /// API for PKCS#1 v1.5 and PSS). Nested so these declarations cannot clash with other areas' partial files.
    /// </summary>
    /// <remarks>
    /// Only public values pass through here (certificate keys, signatures, digests): variable-time arithmetic
    /// (BN_mod_inverse, wNAF) is acceptable. The RSA functions are deprecated in OpenSSL 3 but exported by every
    /// libcrypto.so.3 and avoid the EVP_PKEY_CTX and provider fetch that each .NET VerifyData call pays.
    /// </remarks>
    internal static unsafe partial class Verify
    {
        internal const int NidSha256 = 672;
        internal const int NidSha384 = 673;
        internal const int NidSha512 = 674;
        internal const int RsaNoPadding = 3;
        /// <summary>RSA_PSS_SALTLEN_DIGEST: the salt is exactly as long as the hash (RFC 8446 §4.2.3).</summary>
        internal const int PssSaltLengthDigest = -1;

        // ---- BIGNUM ----
        [LibraryImport(Library)] internal static partial nint BN_new();
        [LibraryImport(Library)] internal static partial void BN_free(nint bn);
        [LibraryImport(Library)] internal static partial nint BN_bin2bn(byte* s, int len, nint ret);
        [LibraryImport(Library)] internal static partial int BN_bn2binpad(nint a, byte* to, int toLength);
        [LibraryImport(Library)] internal static partial int BN_num_bits(nint a);
        [LibraryImport(Library)] internal static partial int BN_is_zero(nint a);
        [LibraryImport(Library)] internal static partial int BN_cmp(nint a, nint b);
        [LibraryImport(Library)] internal static partial int BN_nnmod(nint r, nint a, nint m, nint ctx);
        [LibraryImport(Library)] internal static partial int BN_mod_mul(nint r, nint a, nint b, nint m, nint ctx);
        [LibraryImport(Library)] internal static partial nint BN_mod_inverse(nint r, nint a, nint n, nint ctx);
        [LibraryImport(Library)] internal static partial nint BN_CTX_new();
        [LibraryImport(Library)] internal static partial void BN_CTX_free(nint ctx);

        // ---- EC_GROUP / EC_POINT ----
        [LibraryImport(Library)] internal static partial nint EC_GROUP_new_by_curve_name(int nid);
        [LibraryImport(Library)] internal static partial nint EC_GROUP_dup(nint group);
        [LibraryImport(Library)] internal static partial void EC_GROUP_free(nint group);
        [LibraryImport(Library)] internal static partial nint EC_GROUP_get0_order(nint group);
        [LibraryImport(Library)] internal static partial nint EC_GROUP_get0_cofactor(nint group);
        [LibraryImport(Library)] internal static partial int EC_GROUP_set_generator(nint group, nint generator, nint order, nint cofactor);
        [LibraryImport(Library)] internal static partial int EC_GROUP_precompute_mult(nint group, nint ctx);
        [LibraryImport(Library)] internal static partial nint EC_POINT_new(nint group);
        [LibraryImport(Library)] internal static partial void EC_POINT_free(nint point);
        [LibraryImport(Library)] internal static partial int EC_POINT_set_affine_coordinates(nint group, nint point, nint x, nint y, nint ctx);
        [LibraryImport(Library)] internal static partial int EC_POINT_get_affine_coordinates(nint group, nint point, nint x, nint y, nint ctx);
        [LibraryImport(Library)] internal static partial int EC_POINT_mul(nint group, nint result, nint generatorScalar, nint point, nint pointScalar, nint ctx);
        [LibraryImport(Library)] internal static partial int EC_POINT_add(nint group, nint result, nint a, nint b, nint ctx);
        [LibraryImport(Library)] internal static partial int EC_POINT_is_at_infinity(nint group, nint point);
        [LibraryImport(Library)] internal static partial int EC_POINT_cmp(nint group, nint a, nint b, nint ctx);

        // ---- RSA ----
        [LibraryImport(Library)] internal static partial nint RSA_new();
        [LibraryImport(Library)] internal static partial void RSA_free(nint rsa);
        /// <summary>Takes ownership of n and e on success (returns 1).</summary>
        [LibraryImport(Library)] internal static partial int RSA_set0_key(nint rsa, nint n, nint e, nint d);
        [LibraryImport(Library)] internal static partial int RSA_size(nint rsa);
        [LibraryImport(Library)] internal static partial int RSA_public_decrypt(int length, byte* from, byte* to, nint rsa, int padding);
        [LibraryImport(Library)] internal static partial int RSA_verify(int type, byte* digest, uint digestLength, byte* signature, uint signatureLength, nint rsa);
        [LibraryImport(Library)] internal static partial int RSA_verify_PKCS1_PSS_mgf1(nint rsa, byte* digest, nint hash, nint mgf1Hash, byte* encodedMessage, int saltLength);

        // ---- EVP_MD (fetched once: a pre-fetched digest skips the per-call provider lookup) ----
        [LibraryImport(Library)] internal static partial nint EVP_MD_fetch(nint libraryContext, byte* algorithm, byte* properties);
        [LibraryImport(Library)] internal static partial void EVP_MD_free(nint md);

        [LibraryImport(Library)] internal static partial void ERR_clear_error();
    }
}
