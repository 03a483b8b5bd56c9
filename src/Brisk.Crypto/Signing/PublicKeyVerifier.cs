using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Signing;

/// <summary>
/// A public key (RSA, or ECDSA on secp256r1/secp384r1) imported into libcrypto once and then used for many
/// signature checks: RSASSA-PKCS1-v1_5 and RSASSA-PSS (RFC 8017 §8), ECDSA with a DER signature
/// (SEC 1 §4.1.4, RFC 3279 §2.2.3). Made for a client that sees the same server certificate on every
/// handshake (the load generator), where importing the key per handshake costs more than the check.
/// </summary>
/// <remarks>
/// <para>ECDSA: verification computes u1·G + u2·Q. libcrypto's own ECDSA_verify multiplies the public point
/// Q with a windowed method from scratch every time (~41 µs on P-256 here, two thirds of a verification).
/// This key instead keeps a second EC_GROUP whose generator is Q and asks libcrypto to precompute its
/// fixed-base table (EC_GROUP_precompute_mult, ~25 ms and ~150 KB once per key, built by default on the key's
/// 64th use), so u2·Q costs what u1·G costs (~8 µs). Everything else follows SEC 1 §4.1.4 step by step:
/// 0 &lt; r, s &lt; n, e from the leftmost bits of the digest, w = s⁻¹ (P-256: <see cref="P256OrderInverse"/>,
/// P-384: BN_mod_inverse), u1 = e·w, u2 = r·w, R = u1·G + u2·Q ≠ O, accept iff x(R) mod n = r. The table is
/// checked once against a plain multiplication when it is built; without it the same arithmetic runs with a
/// single EC_POINT_mul (G and Q together).</para>
/// <para>RSA: RSA_verify (PKCS#1 v1.5: DigestInfo compare) and RSA_public_decrypt + RSA_verify_PKCS1_PSS_mgf1
/// (PSS with MGF1 of the same hash and a salt of the hash length, as TLS uses, RFC 8446 §4.2.3) on an RSA
/// kept for the key, with the digests fetched once; no EVP_PKEY_CTX and no provider lookup per call.</para>
/// <para>Only public data flows here, so variable-time arithmetic is fine. Every method returns false for a
/// bad signature or bad input, never throws for it. Thread-safe: verification only reads the key (the table is
/// built by exactly one caller and published with a single pointer write). Dispose
/// only when no other thread can be verifying with the key; a key dropped without Dispose is freed by its
/// finalizer.</para>
/// </remarks>
public sealed unsafe class PublicKeyVerifier : IDisposable
{
    private nint _rsa;
    private nint _group;
    private nint _publicPoint;
    private nint _publicGroup;
    private int _tableAfterUses = NeverBuildTable;
    private int _uses;
    private readonly int _orderBytes;

    private PublicKeyVerifier(nint rsa, int rsaModulusLength)
    {
        _rsa = rsa;
        RsaModulusLength = rsaModulusLength;
    }

    private PublicKeyVerifier(NamedGroup curve, nint group, nint publicPoint, int orderBytes)
    {
        Curve = curve;
        _group = group;
        _publicPoint = publicPoint;
        _orderBytes = orderBytes;
    }

    /// <summary>Whether libcrypto.so.3 is there to back this class.</summary>
    public static bool IsSupported => LibCrypto.Probe.IsAvailable;

    public bool IsRsa => _rsa != 0;

    public bool IsEcdsa => _group != 0;

    /// <summary>secp256r1 or secp384r1 for an ECDSA key, null for RSA.</summary>
    public NamedGroup? Curve { get; }

    /// <summary>Bytes of the RSA modulus (the signature length); 0 for an EC key.</summary>
    public int RsaModulusLength { get; }

    /// <summary>Whether u2·Q runs on a precomputed table of the public point (see remarks).</summary>
    public bool HasPublicPointTable => Volatile.Read(ref _publicGroup) != 0;

    /// <summary>
    /// Default for <see cref="CreateEcdsa"/>: the table of Q is built by the verification that uses the key for the
    /// 64th time. Building costs ~25 ms against ~30 µs saved per verification, so a key seen only a few times (a
    /// client cycling through more certificates than its cache holds) never pays for it, and a benchmark client pays
    /// once, early in its warm-up.
    /// </summary>
    public const int DefaultTableAfterUses = 64;

    /// <summary>For <see cref="CreateEcdsa"/>: build the table at once.</summary>
    public const int BuildTableNow = 0;

    /// <summary>For <see cref="CreateEcdsa"/>: never build the table (plain path only).</summary>
    public const int NeverBuildTable = -1;

    /// <summary>Imports an RSA public key (big-endian modulus and exponent); null when libcrypto refuses it.</summary>
    public static PublicKeyVerifier? CreateRsa(ReadOnlySpan<byte> modulus, ReadOnlySpan<byte> exponent)
    {
        if (!IsSupported || modulus.IsEmpty || exponent.IsEmpty)
            return null;
        nint n = 0, e = 0, rsa = 0;
        try
        {
            fixed (byte* pn = modulus)
            fixed (byte* pe = exponent)
            {
                n = LibCrypto.Verify.BN_bin2bn(pn, modulus.Length, 0);
                e = LibCrypto.Verify.BN_bin2bn(pe, exponent.Length, 0);
            }
            rsa = LibCrypto.Verify.RSA_new();
            if (n == 0 || e == 0 || rsa == 0 || LibCrypto.Verify.RSA_set0_key(rsa, n, e, 0) != 1)
                return null;
            n = e = 0; // owned by rsa now
            int size = LibCrypto.Verify.RSA_size(rsa);
            // RFC 8017 §8: k bytes; 512-bit to 16384-bit moduli (libcrypto refuses larger ones anyway).
            if (size is < 64 or > 2048)
                return null;
            var key = new PublicKeyVerifier(rsa, size);
            rsa = 0;
            return key;
        }
        finally
        {
            LibCrypto.Verify.BN_free(n);
            LibCrypto.Verify.BN_free(e);
            if (rsa != 0)
                LibCrypto.Verify.RSA_free(rsa);
            LibCrypto.Verify.ERR_clear_error();
        }
    }

    /// <summary>
    /// Imports an ECDSA public key (affine coordinates, big-endian); null when the curve is not P-256/P-384
    /// or the point is not on it. <paramref name="tableAfterUses"/>: when to build the fixed-base table of Q (the
    /// fast path): <see cref="BuildTableNow"/>, after that many verifications (<see cref="DefaultTableAfterUses"/>),
    /// or <see cref="NeverBuildTable"/>.
    /// </summary>
    public static PublicKeyVerifier? CreateEcdsa(NamedGroup curve, ReadOnlySpan<byte> x, ReadOnlySpan<byte> y, int tableAfterUses = DefaultTableAfterUses)
    {
        int nid = curve switch
        {
            NamedGroup.Secp256r1 => LibCrypto.Ec.NidPrime256v1,
            NamedGroup.Secp384r1 => LibCrypto.Ec.NidSecp384r1,
            _ => 0,
        };
        if (!IsSupported || nid == 0 || x.IsEmpty || y.IsEmpty)
            return null;
        nint group = 0, point = 0, bx = 0, by = 0, ctx = 0;
        try
        {
            group = LibCrypto.Verify.EC_GROUP_new_by_curve_name(nid);
            ctx = LibCrypto.Verify.BN_CTX_new();
            if (group == 0 || ctx == 0)
                return null;
            point = LibCrypto.Verify.EC_POINT_new(group);
            fixed (byte* px = x)
            fixed (byte* py = y)
            {
                bx = LibCrypto.Verify.BN_bin2bn(px, x.Length, 0);
                by = LibCrypto.Verify.BN_bin2bn(py, y.Length, 0);
            }
            // EC_POINT_set_affine_coordinates refuses a point that is not on the curve (OpenSSL ≥ 1.1.1);
            // the cofactor of both curves is 1, so every curve point other than O has order n.
            if (point == 0 || bx == 0 || by == 0 || LibCrypto.Verify.EC_POINT_set_affine_coordinates(group, point, bx, by, ctx) != 1)
                return null;
            int orderBits = LibCrypto.Verify.BN_num_bits(LibCrypto.Verify.EC_GROUP_get0_order(group));
            if (orderBits % 8 != 0)
                return null; // true of P-256 and P-384; the digest truncation below relies on it
            var key = new PublicKeyVerifier(curve, group, point, orderBits / 8);
            group = point = 0;
            if (tableAfterUses == BuildTableNow)
                key._publicGroup = key.BuildPublicPointTable(ctx);
            else
                key._tableAfterUses = tableAfterUses;
            return key;
        }
        finally
        {
            LibCrypto.Verify.BN_free(bx);
            LibCrypto.Verify.BN_free(by);
            if (point != 0)
                LibCrypto.Verify.EC_POINT_free(point);
            if (group != 0)
                LibCrypto.Verify.EC_GROUP_free(group);
            LibCrypto.Verify.BN_CTX_free(ctx);
            LibCrypto.Verify.ERR_clear_error();
        }
    }

    /// <summary>
    /// A copy of the curve's group with Q as its generator and a precomputed table for it; 0 when libcrypto
    /// cannot make one or when the table's k·Q differs from the plain k·Q for a test scalar.
    /// </summary>
    private nint BuildPublicPointTable(nint ctx)
    {
        nint publicGroup = LibCrypto.Verify.EC_GROUP_dup(_group);
        nint viaTable = 0, plain = 0, scalar = 0;
        try
        {
            if (publicGroup == 0
                || LibCrypto.Verify.EC_GROUP_set_generator(publicGroup, _publicPoint, LibCrypto.Verify.EC_GROUP_get0_order(_group), LibCrypto.Verify.EC_GROUP_get0_cofactor(_group)) != 1
                || LibCrypto.Verify.EC_GROUP_precompute_mult(publicGroup, ctx) != 1)
                return Free(publicGroup);
            Span<byte> k = stackalloc byte[_orderBytes - 1];
            for (int i = 0; i < k.Length; i++)
                k[i] = (byte)(0xA5 ^ (i * 29));
            fixed (byte* pk = k)
                scalar = LibCrypto.Verify.BN_bin2bn(pk, k.Length, 0);
            viaTable = LibCrypto.Verify.EC_POINT_new(_group);
            plain = LibCrypto.Verify.EC_POINT_new(_group);
            if (scalar == 0 || viaTable == 0 || plain == 0
                || LibCrypto.Verify.EC_POINT_mul(publicGroup, viaTable, scalar, 0, 0, ctx) != 1
                || LibCrypto.Verify.EC_POINT_mul(_group, plain, 0, _publicPoint, scalar, ctx) != 1
                || LibCrypto.Verify.EC_POINT_cmp(_group, viaTable, plain, ctx) != 0)
                return Free(publicGroup);
            return publicGroup;
        }
        finally
        {
            LibCrypto.Verify.BN_free(scalar);
            if (viaTable != 0) LibCrypto.Verify.EC_POINT_free(viaTable);
            if (plain != 0) LibCrypto.Verify.EC_POINT_free(plain);
        }

        static nint Free(nint group)
        {
            if (group != 0)
                LibCrypto.Verify.EC_GROUP_free(group);
            return 0;
        }
    }

    /// <summary>
    /// ECDSA: checks a DER <c>SEQUENCE { r INTEGER, s INTEGER }</c> over <paramref name="digest"/> (the message's
    /// hash; longer digests are truncated to the order's length, SEC 1 §4.1.4 step 3). Non-DER encodings are refused.
    /// </summary>
    public bool VerifyEcdsa(ReadOnlySpan<byte> digest, ReadOnlySpan<byte> derSignature)
    {
        if (_group == 0 || digest.IsEmpty || !TryReadDerSignature(derSignature, out var rBytes, out var sBytes))
            return false;
        if (rBytes.Length > _orderBytes || sBytes.Length > _orderBytes)
            return false;
        if (digest.Length > _orderBytes)
            digest = digest[.._orderBytes];
        nint ctx = 0, r = 0, s = 0, e = 0, w = 0, u1 = 0, u2 = 0, x = 0, sum = 0, part = 0;
        try
        {
            ctx = LibCrypto.Verify.BN_CTX_new();
            if (ctx == 0)
                return false;
            // Exactly one caller sees the count reach the threshold, so exactly one builds the table; the others
            // keep using the plain path until it is published.
            if (_tableAfterUses > 0 && Volatile.Read(ref _publicGroup) == 0 && Interlocked.Increment(ref _uses) == _tableAfterUses)
                Volatile.Write(ref _publicGroup, BuildPublicPointTable(ctx));
            fixed (byte* pr = rBytes)
            fixed (byte* ps = sBytes)
            fixed (byte* pe = digest)
            {
                r = LibCrypto.Verify.BN_bin2bn(pr, rBytes.Length, 0);
                s = LibCrypto.Verify.BN_bin2bn(ps, sBytes.Length, 0);
                e = LibCrypto.Verify.BN_bin2bn(pe, digest.Length, 0);
            }
            w = LibCrypto.Verify.BN_new();
            u1 = LibCrypto.Verify.BN_new();
            u2 = LibCrypto.Verify.BN_new();
            x = LibCrypto.Verify.BN_new();
            sum = LibCrypto.Verify.EC_POINT_new(_group);
            if (ctx == 0 || r == 0 || s == 0 || e == 0 || w == 0 || u1 == 0 || u2 == 0 || x == 0 || sum == 0)
                return false;
            nint order = LibCrypto.Verify.EC_GROUP_get0_order(_group);
            // SEC 1 §4.1.4 step 1: r and s in [1, n-1].
            if (LibCrypto.Verify.BN_is_zero(r) != 0 || LibCrypto.Verify.BN_is_zero(s) != 0
                || LibCrypto.Verify.BN_cmp(r, order) >= 0 || LibCrypto.Verify.BN_cmp(s, order) >= 0)
                return false;
            // Steps 4-5: w = s⁻¹ mod n, u1 = e·w mod n, u2 = r·w mod n. P-256: P256OrderInverse, about a third of
            // the time of libcrypto's generic BN_mod_inverse.
            if (Curve == NamedGroup.Secp256r1)
            {
                Span<byte> inverse = stackalloc byte[32];
                if (!P256OrderInverse.TryInvert(sBytes, inverse))
                    return false;
                fixed (byte* pw = inverse)
                    if (LibCrypto.Verify.BN_bin2bn(pw, inverse.Length, w) == 0)
                        return false;
            }
            else if (LibCrypto.Verify.BN_mod_inverse(w, s, order, ctx) == 0)
            {
                return false;
            }
            if (LibCrypto.Verify.BN_mod_mul(u1, e, w, order, ctx) != 1
                || LibCrypto.Verify.BN_mod_mul(u2, r, w, order, ctx) != 1)
                return false;
            // Step 5: R = u1·G + u2·Q.
            nint publicGroup = Volatile.Read(ref _publicGroup);
            if (publicGroup != 0)
            {
                part = LibCrypto.Verify.EC_POINT_new(_group);
                if (part == 0
                    || LibCrypto.Verify.EC_POINT_mul(_group, sum, u1, 0, 0, ctx) != 1
                    || LibCrypto.Verify.EC_POINT_mul(publicGroup, part, u2, 0, 0, ctx) != 1
                    || LibCrypto.Verify.EC_POINT_add(_group, sum, sum, part, ctx) != 1)
                    return false;
            }
            else if (LibCrypto.Verify.EC_POINT_mul(_group, sum, u1, _publicPoint, u2, ctx) != 1)
            {
                return false;
            }
            // Steps 6-8: R ≠ O, v = x(R) mod n, accept iff v = r.
            if (LibCrypto.Verify.EC_POINT_is_at_infinity(_group, sum) != 0
                || LibCrypto.Verify.EC_POINT_get_affine_coordinates(_group, sum, x, 0, ctx) != 1
                || LibCrypto.Verify.BN_nnmod(x, x, order, ctx) != 1)
                return false;
            return LibCrypto.Verify.BN_cmp(x, r) == 0;
        }
        finally
        {
            LibCrypto.Verify.BN_free(r);
            LibCrypto.Verify.BN_free(s);
            LibCrypto.Verify.BN_free(e);
            LibCrypto.Verify.BN_free(w);
            LibCrypto.Verify.BN_free(u1);
            LibCrypto.Verify.BN_free(u2);
            LibCrypto.Verify.BN_free(x);
            if (sum != 0) LibCrypto.Verify.EC_POINT_free(sum);
            if (part != 0) LibCrypto.Verify.EC_POINT_free(part);
            LibCrypto.Verify.BN_CTX_free(ctx);
            LibCrypto.Verify.ERR_clear_error();
            GC.KeepAlive(this);
        }
    }

    /// <summary>RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2) over <paramref name="digest"/> made with <paramref name="hash"/>.</summary>
    public bool VerifyRsaPkcs1(HashAlgorithmName hash, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        int nid = NidOf(hash);
        if (_rsa == 0 || nid == 0 || digest.Length != DigestLength(hash) || signature.Length != RsaModulusLength)
            return false;
        try
        {
            fixed (byte* pd = digest)
            fixed (byte* ps = signature)
                return LibCrypto.Verify.RSA_verify(nid, pd, (uint)digest.Length, ps, (uint)signature.Length, _rsa) == 1;
        }
        finally
        {
            LibCrypto.Verify.ERR_clear_error();
            GC.KeepAlive(this);
        }
    }

    /// <summary>
    /// RSASSA-PSS (RFC 8017 §8.1.2) over <paramref name="digest"/>, with MGF1 of the same hash and a salt as long
    /// as the hash (the rsa_pss_rsae_* schemes, RFC 8446 §4.2.3).
    /// </summary>
    public bool VerifyRsaPss(HashAlgorithmName hash, ReadOnlySpan<byte> digest, ReadOnlySpan<byte> signature)
    {
        nint md = FetchedDigest(hash);
        if (_rsa == 0 || md == 0 || digest.Length != DigestLength(hash) || signature.Length != RsaModulusLength)
            return false;
        Span<byte> encoded = RsaModulusLength <= 512 ? stackalloc byte[512] : new byte[RsaModulusLength];
        try
        {
            fixed (byte* ps = signature)
            fixed (byte* pm = encoded)
            fixed (byte* pd = digest)
            {
                // RSAVP1 (s^e mod n, refusing s ≥ n), then EMSA-PSS-VERIFY on the encoded message.
                if (LibCrypto.Verify.RSA_public_decrypt(signature.Length, ps, pm, _rsa, LibCrypto.Verify.RsaNoPadding) != RsaModulusLength)
                    return false;
                return LibCrypto.Verify.RSA_verify_PKCS1_PSS_mgf1(_rsa, pd, md, md, pm, LibCrypto.Verify.PssSaltLengthDigest) == 1;
            }
        }
        finally
        {
            LibCrypto.Verify.ERR_clear_error();
            GC.KeepAlive(this);
        }
    }

    /// <summary>
    /// Reads a strict DER ECDSA-Sig-Value (RFC 3279 §2.2.3): SEQUENCE of two INTEGERs with minimal lengths, no
    /// negative values, no superfluous leading zero, nothing after. The integers come back without their sign byte.
    /// </summary>
    internal static bool TryReadDerSignature(ReadOnlySpan<byte> der, out ReadOnlySpan<byte> r, out ReadOnlySpan<byte> s)
    {
        r = s = default;
        if (der.Length < 2 || der[0] != 0x30 || !TryReadLength(der[1..], out int length, out int lengthBytes))
            return false;
        var body = der[(1 + lengthBytes)..];
        if (body.Length != length)
            return false;
        return TryReadInteger(body, out r, out var afterR) && TryReadInteger(afterR, out s, out var afterS) && afterS.IsEmpty;

        static bool TryReadInteger(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> value, out ReadOnlySpan<byte> rest)
        {
            value = rest = default;
            if (input.Length < 2 || input[0] != 0x02 || !TryReadLength(input[1..], out int length, out int lengthBytes))
                return false;
            int start = 1 + lengthBytes;
            if (length == 0 || input.Length - start < length)
                return false;
            value = input.Slice(start, length);
            rest = input[(start + length)..];
            if ((value[0] & 0x80) != 0)
                return false; // negative
            if (value[0] == 0)
            {
                if (value.Length > 1 && (value[1] & 0x80) == 0)
                    return false; // non-minimal: a zero byte not needed for the sign
                value = value[1..];
            }
            return true;
        }

        // Definite lengths only: short form (< 128) or long form with one byte (128..255), minimal either way.
        static bool TryReadLength(ReadOnlySpan<byte> input, out int length, out int lengthBytes)
        {
            length = lengthBytes = 0;
            if (input.IsEmpty)
                return false;
            if (input[0] < 0x80)
            {
                length = input[0];
                lengthBytes = 1;
                return true;
            }
            if (input[0] == 0x81 && input.Length >= 2 && input[1] >= 0x80)
            {
                length = input[1];
                lengthBytes = 2;
                return true;
            }
            return false;
        }
    }

    private static int NidOf(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 ? LibCrypto.Verify.NidSha256
        : hash == HashAlgorithmName.SHA384 ? LibCrypto.Verify.NidSha384
        : hash == HashAlgorithmName.SHA512 ? LibCrypto.Verify.NidSha512
        : 0;

    private static int DigestLength(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 ? 32 : hash == HashAlgorithmName.SHA384 ? 48 : hash == HashAlgorithmName.SHA512 ? 64 : -1;

    private static readonly Lazy<nint> s_sha256 = new(() => Fetch("SHA256"u8));
    private static readonly Lazy<nint> s_sha384 = new(() => Fetch("SHA384"u8));
    private static readonly Lazy<nint> s_sha512 = new(() => Fetch("SHA512"u8));

    private static nint FetchedDigest(HashAlgorithmName hash) =>
        hash == HashAlgorithmName.SHA256 ? s_sha256.Value
        : hash == HashAlgorithmName.SHA384 ? s_sha384.Value
        : hash == HashAlgorithmName.SHA512 ? s_sha512.Value
        : 0;

    /// <summary>A process-lifetime EVP_MD (never freed: three of them, shared by every key).</summary>
    private static nint Fetch(ReadOnlySpan<byte> name)
    {
        if (!IsSupported)
            return 0;
        Span<byte> terminated = stackalloc byte[name.Length + 1];
        name.CopyTo(terminated);
        terminated[^1] = 0;
        fixed (byte* p = terminated)
        {
            nint md = LibCrypto.Verify.EVP_MD_fetch(0, p, null);
            LibCrypto.Verify.ERR_clear_error();
            return md;
        }
    }

    private void Release()
    {
        nint rsa = Interlocked.Exchange(ref _rsa, 0);
        if (rsa != 0) LibCrypto.Verify.RSA_free(rsa);
        nint publicGroup = Interlocked.Exchange(ref _publicGroup, 0);
        if (publicGroup != 0) LibCrypto.Verify.EC_GROUP_free(publicGroup);
        nint point = Interlocked.Exchange(ref _publicPoint, 0);
        if (point != 0) LibCrypto.Verify.EC_POINT_free(point);
        nint group = Interlocked.Exchange(ref _group, 0);
        if (group != 0) LibCrypto.Verify.EC_GROUP_free(group);
    }

    public void Dispose()
    {
        Release();
        GC.SuppressFinalize(this);
    }

    ~PublicKeyVerifier() => Release();
}
