using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.KeyExchange;

/// <summary>
/// Ephemeral (EC)DH straight from the system libcrypto (OpenSSL 3) through LibraryImport: X25519 via
/// EVP_PKEY, secp256r1/secp384r1 via EC_KEY + ECDH_compute_key (the cheaper path, see
/// <see cref="LibCrypto.Ec"/>). Stateless apart from the per-curve EC_GROUPs created once and shared
/// read-only, so one instance serves every thread. Reports every group unsupported when libcrypto.so.3
/// cannot be loaded.
/// </summary>
public sealed class LibCryptoKeyExchangeProvider : IKeyExchangeProvider
{
    public static readonly LibCryptoKeyExchangeProvider Instance = new();

    public string Name => "libcrypto";

    /// <summary>True when libcrypto.so.3 (OpenSSL ≥ 3) could be loaded in this process.</summary>
    public static bool IsLibraryAvailable => LibCrypto.Probe.IsAvailable;

    public bool IsSupported(NamedGroup group) =>
        group is NamedGroup.X25519 or NamedGroup.Secp256r1 or NamedGroup.Secp384r1 && LibCrypto.Probe.IsAvailable;

    public IEphemeralKey Generate(NamedGroup group)
    {
        if (!IsSupported(group))
            throw new NotSupportedException($"libcrypto key exchange does not support {group} here.");
        return group == NamedGroup.X25519 ? X25519Key.Generate() : NistKey.Generate(group);
    }

    /// <summary>
    /// Builds a key pair from a known private key (X25519: the 32-byte scalar string of RFC 7748;
    /// NIST: the big-endian scalar). For test vectors only; handshakes use <see cref="Generate"/>.
    /// </summary>
    internal static IEphemeralKey ImportPrivateKey(NamedGroup group, ReadOnlySpan<byte> privateKey) =>
        group == NamedGroup.X25519 ? X25519Key.Import(privateKey) : NistKey.Import(group, privateKey);

    // EC_GROUPs are created once per process and only read afterwards (EC_KEY_set_group copies them,
    // EC_POINT_oct2point takes them const), which is what makes sharing them across threads safe.
    private static readonly Lazy<nint> s_p256 = new(() => CreateGroup(LibCrypto.Ec.NidPrime256v1));
    private static readonly Lazy<nint> s_p384 = new(() => CreateGroup(LibCrypto.Ec.NidSecp384r1));

    private static nint CreateGroup(int nid)
    {
        nint group = LibCrypto.Ec.EC_GROUP_new_by_curve_name(nid);
        if (group == 0)
            throw new CryptographicException($"libcrypto has no curve with NID {nid}.");
        return group;
    }

    /// <summary>The shared, read-only EC_GROUP* of a NIST curve (also used by <see cref="Signing.EcdsaPrivateKey"/>).</summary>
    internal static nint GroupOf(NamedGroup group) => group switch
    {
        NamedGroup.Secp256r1 => s_p256.Value,
        NamedGroup.Secp384r1 => s_p384.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(group)),
    };

    private static CryptographicException Failure(string what)
    {
        LibCrypto.Ec.ERR_clear_error();
        return new CryptographicException($"libcrypto: {what} failed.");
    }

    private sealed unsafe class NistKey : IEphemeralKey
    {
        private readonly LibCryptoEcKey _key;
        private readonly nint _group;
        private readonly byte[] _publicKey;

        private NistKey(NamedGroup group, LibCryptoEcKey key, nint ecGroup, byte[] publicKey)
        {
            Group = group;
            _key = key;
            _group = ecGroup;
            _publicKey = publicKey;
        }

        public NamedGroup Group { get; }

        public ReadOnlySpan<byte> PublicKey => _publicKey;

        public static NistKey Generate(NamedGroup group)
        {
            nint ecGroup = GroupOf(group);
            var key = new LibCryptoEcKey(LibCrypto.Ec.EC_KEY_new());
            try
            {
                if (key.IsInvalid || LibCrypto.Ec.EC_KEY_set_group(key.DangerousGetHandle(), ecGroup) != 1 ||
                    LibCrypto.Ec.EC_KEY_generate_key(key.DangerousGetHandle()) != 1)
                    throw Failure("EC key generation");
                return new NistKey(group, key, ecGroup, ExportPublicKey(group, key.DangerousGetHandle(), ecGroup));
            }
            catch
            {
                key.Dispose();
                throw;
            }
        }

        public static NistKey Import(NamedGroup group, ReadOnlySpan<byte> scalar)
        {
            nint ecGroup = GroupOf(group);
            var key = new LibCryptoEcKey(LibCrypto.Ec.EC_KEY_new());
            nint d = 0, q = 0;
            try
            {
                fixed (byte* s = scalar)
                    d = LibCrypto.Ec.BN_bin2bn(s, scalar.Length, 0);
                q = LibCrypto.Ec.EC_POINT_new(ecGroup);
                nint k = key.DangerousGetHandle();
                if (key.IsInvalid || d == 0 || q == 0 ||
                    LibCrypto.Ec.EC_KEY_set_group(k, ecGroup) != 1 ||
                    LibCrypto.Ec.EC_KEY_set_private_key(k, d) != 1 ||
                    LibCrypto.Ec.EC_POINT_mul(ecGroup, q, d, 0, 0, 0) != 1 ||
                    LibCrypto.Ec.EC_KEY_set_public_key(k, q) != 1)
                    throw Failure("EC private key import");
                return new NistKey(group, key, ecGroup, ExportPublicKey(group, k, ecGroup));
            }
            catch
            {
                key.Dispose();
                throw;
            }
            finally
            {
                LibCrypto.Ec.BN_clear_free(d);
                LibCrypto.Ec.EC_POINT_free(q);
            }
        }

        private static byte[] ExportPublicKey(NamedGroup group, nint key, nint ecGroup)
        {
            var publicKey = new byte[group.PublicKeyLength()];
            fixed (byte* p = publicKey)
            {
                nuint written = LibCrypto.Ec.EC_POINT_point2oct(ecGroup, LibCrypto.Ec.EC_KEY_get0_public_key(key),
                    LibCrypto.Ec.PointConversionUncompressed, p, (nuint)publicKey.Length, 0);
                if (written != (nuint)publicKey.Length)
                    throw Failure("EC public key export");
            }
            return publicKey;
        }

        public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
        {
            int secretLength = Group.SharedSecretLength();
            // RFC 8446 §4.2.8.2 / RFC 8422 §5.11: only the uncompressed form 0x04 || X || Y is legal, which
            // also rules out the one-byte encoding of the point at infinity.
            if (peerPublicKey.Length != Group.PublicKeyLength() || peerPublicKey[0] != 0x04 ||
                sharedSecret.Length < secretLength || _key.IsClosed)
                return false;

            bool addedRef = false;
            nint point = 0;
            try
            {
                _key.DangerousAddRef(ref addedRef);
                point = LibCrypto.Ec.EC_POINT_new(_group);
                if (point == 0)
                    return Fail(sharedSecret);
                fixed (byte* peer = peerPublicKey)
                fixed (byte* output = sharedSecret)
                {
                    // oct2point rejects coordinates ≥ p and points not on the curve (OpenSSL ≥ 1.1.1 checks
                    // on-curve in set_affine_coordinates); the curves have cofactor 1, so that is the full
                    // public-key validation of SP 800-56A §5.6.2.3.4 for these groups.
                    if (LibCrypto.Ec.EC_POINT_oct2point(_group, point, peer, (nuint)peerPublicKey.Length, 0) != 1)
                        return Fail(sharedSecret);
                    // The raw x-coordinate, left-padded to the field size (RFC 8446 §7.4.2).
                    if (LibCrypto.Ec.ECDH_compute_key(output, (nuint)secretLength, point, _key.DangerousGetHandle(), 0) != secretLength)
                        return Fail(sharedSecret);
                }
                return true;
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
            finally
            {
                if (point != 0)
                    LibCrypto.Ec.EC_POINT_free(point);
                if (addedRef)
                    _key.DangerousRelease();
            }
        }

        private bool Fail(Span<byte> sharedSecret)
        {
            LibCrypto.Ec.ERR_clear_error();
            sharedSecret[..Group.SharedSecretLength()].Clear();
            return false;
        }

        public void Dispose() => _key.Dispose();
    }

    private sealed unsafe class X25519Key : IEphemeralKey
    {
        private const int KeyLength = 32;
        private readonly LibCryptoPKey _key;
        private readonly byte[] _publicKey;

        private X25519Key(LibCryptoPKey key, byte[] publicKey)
        {
            _key = key;
            _publicKey = publicKey;
        }

        public NamedGroup Group => NamedGroup.X25519;

        public ReadOnlySpan<byte> PublicKey => _publicKey;

        public static X25519Key Generate()
        {
            nint ctx = LibCrypto.Ec.EVP_PKEY_CTX_new_id(LibCrypto.Ec.NidX25519, 0);
            nint pkey = 0;
            try
            {
                // The private scalar is generated and clamped inside libcrypto and never enters managed memory.
                if (ctx == 0 || LibCrypto.Ec.EVP_PKEY_keygen_init(ctx) != 1 || LibCrypto.Ec.EVP_PKEY_keygen(ctx, &pkey) != 1)
                    throw Failure("X25519 key generation");
            }
            finally
            {
                LibCrypto.Ec.EVP_PKEY_CTX_free(ctx);
            }
            return FromPKey(pkey);
        }

        public static X25519Key Import(ReadOnlySpan<byte> privateKey)
        {
            if (privateKey.Length != KeyLength)
                throw new ArgumentException("An X25519 private key is 32 bytes.", nameof(privateKey));
            nint pkey;
            fixed (byte* p = privateKey)
                pkey = LibCrypto.Ec.EVP_PKEY_new_raw_private_key(LibCrypto.Ec.NidX25519, 0, p, KeyLength);
            if (pkey == 0)
                throw Failure("X25519 private key import");
            return FromPKey(pkey);
        }

        private static X25519Key FromPKey(nint pkey)
        {
            var key = new LibCryptoPKey(pkey);
            try
            {
                var publicKey = new byte[KeyLength];
                nuint length = KeyLength;
                fixed (byte* p = publicKey)
                {
                    if (LibCrypto.Ec.EVP_PKEY_get_raw_public_key(pkey, p, &length) != 1 || length != KeyLength)
                        throw Failure("X25519 public key export");
                }
                return new X25519Key(key, publicKey);
            }
            catch
            {
                key.Dispose();
                throw;
            }
        }

        public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
        {
            // RFC 7748 §5: any 32-byte string is a u-coordinate (the top bit is masked by libcrypto,
            // non-canonical values are reduced), so length is the only syntactic check.
            if (peerPublicKey.Length != KeyLength || sharedSecret.Length < KeyLength || _key.IsClosed)
                return false;

            bool addedRef = false;
            nint peer = 0, ctx = 0;
            Span<byte> output = sharedSecret[..KeyLength];
            try
            {
                _key.DangerousAddRef(ref addedRef);
                fixed (byte* p = peerPublicKey)
                    peer = LibCrypto.Ec.EVP_PKEY_new_raw_public_key(LibCrypto.Ec.NidX25519, 0, p, KeyLength);
                if (peer == 0)
                    return Fail(output);
                ctx = LibCrypto.Ec.EVP_PKEY_CTX_new(_key.DangerousGetHandle(), 0);
                nuint length = KeyLength;
                fixed (byte* o = output)
                {
                    // libcrypto already fails an all-zero result; the check below keeps the RFC 8446 §7.4.2
                    // requirement independent of the library version.
                    if (ctx == 0 || LibCrypto.Ec.EVP_PKEY_derive_init(ctx) != 1 ||
                        LibCrypto.Ec.EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) != 1 ||
                        LibCrypto.Ec.EVP_PKEY_derive(ctx, o, &length) != 1 || length != KeyLength)
                        return Fail(output);
                }
                // RFC 7748 §6.1 / RFC 8446 §7.4.2: reject the all-zero value (small-order peer point), checked
                // without a data-dependent early exit.
                int accumulator = 0;
                foreach (byte b in output)
                    accumulator |= b;
                return accumulator != 0 || Fail(output);
            }
            catch (ObjectDisposedException)
            {
                return false;
            }
            finally
            {
                if (ctx != 0)
                    LibCrypto.Ec.EVP_PKEY_CTX_free(ctx);
                if (peer != 0)
                    LibCrypto.Ec.EVP_PKEY_free(peer);
                if (addedRef)
                    _key.DangerousRelease();
            }
        }

        private static bool Fail(Span<byte> output)
        {
            LibCrypto.Ec.ERR_clear_error();
            output.Clear();
            return false;
        }

        public void Dispose() => _key.Dispose();
    }
}
