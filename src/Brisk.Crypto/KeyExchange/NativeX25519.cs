using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Brisk.Crypto.KeyExchange;

/// <summary>
/// X25519 (RFC 7748) from Brisk's own C kernel, native/src/x25519.c in libbrisk_native.so (built by
/// <c>dotnet build</c> when cmake and a C compiler exist; optional at run time). It replaces libcrypto's
/// EVP_PKEY path, whose per-call provider and context plumbing costs several times the scalar
/// multiplication itself. The kernel clamps the scalar, masks the top bit of u, runs a constant-time
/// ladder and returns the fully reduced u-coordinate; the public key uses a fixed-base comb on the
/// Edwards form (the same value as the ladder with u = 9).
/// </summary>
internal static unsafe partial class NativeX25519
{
    private const string Library = "brisk_native";

    public const int KeyLength = 32;

    private static readonly Lazy<bool> s_available = new(Probe);

    /// <summary>
    /// True when libbrisk_native.so with the X25519 entry points is loaded and passes a known-answer test.
    /// Never throws.
    /// </summary>
    public static bool IsAvailable => s_available.Value;

    [LibraryImport(Library, EntryPoint = "brisk_x25519")]
    private static partial int X25519(byte* output, byte* scalar, byte* u);

    [LibraryImport(Library, EntryPoint = "brisk_x25519_base")]
    private static partial int X25519Base(byte* output, byte* scalar);

    [LibraryImport(Library, EntryPoint = "brisk_x25519_base_ladder")]
    private static partial int X25519BaseLadder(byte* output, byte* scalar);

    /// <summary>
    /// output = X25519(scalar, u). False (output cleared) when the result is all zero, i.e. the peer sent a
    /// small-order point that must be refused (RFC 7748 §6.1, RFC 8446 §7.4.2). All spans are 32 bytes.
    /// </summary>
    public static bool TryScalarMultiply(Span<byte> output, ReadOnlySpan<byte> scalar, ReadOnlySpan<byte> u)
    {
        CheckLengths(output, scalar);
        if (u.Length != KeyLength)
            throw new ArgumentException("An X25519 u-coordinate is 32 bytes.", nameof(u));
        int nonZero;
        fixed (byte* o = output)
        fixed (byte* k = scalar)
        fixed (byte* p = u)
            nonZero = X25519(o, k, p);
        if (nonZero == 1)
            return true;
        output[..KeyLength].Clear();
        return false;
    }

    /// <summary>output = X25519(scalar, 9), the public key, by the fixed-base method. False only if the kernel's table failed its self-check.</summary>
    public static bool TryPublicKey(Span<byte> output, ReadOnlySpan<byte> scalar)
    {
        CheckLengths(output, scalar);
        fixed (byte* o = output)
        fixed (byte* k = scalar)
            return X25519Base(o, k) == 1;
    }

    /// <summary>The public key by the Montgomery ladder with u = 9: the reference the fixed-base method is tested against.</summary>
    internal static bool TryPublicKeyByLadder(Span<byte> output, ReadOnlySpan<byte> scalar)
    {
        CheckLengths(output, scalar);
        fixed (byte* o = output)
        fixed (byte* k = scalar)
            return X25519BaseLadder(o, k) == 1;
    }

    private static void CheckLengths(Span<byte> output, ReadOnlySpan<byte> scalar)
    {
        if (output.Length < KeyLength)
            throw new ArgumentException("The output needs 32 bytes.", nameof(output));
        if (scalar.Length != KeyLength)
            throw new ArgumentException("An X25519 scalar is 32 bytes.", nameof(scalar));
    }

    private static bool Probe()
    {
        try
        {
            // A library that loads is used only if it computes X25519 correctly: one known answer
            // (RFC 7748 §6.1, Alice's key pair) for the fixed-base path and one for the ladder. Any other
            // outcome (old library without these exports, miscompiled kernel) falls back to libcrypto.
            ReadOnlySpan<byte> alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
            ReadOnlySpan<byte> alicePublic = Convert.FromHexString("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
            ReadOnlySpan<byte> bobPublic = Convert.FromHexString("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
            ReadOnlySpan<byte> shared = Convert.FromHexString("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
            Span<byte> output = stackalloc byte[KeyLength];
            if (!TryPublicKey(output, alicePrivate) || !output.SequenceEqual(alicePublic))
                return false;
            return TryScalarMultiply(output, alicePrivate, bobPublic) && output.SequenceEqual(shared);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            return false;
        }
    }
}

/// <summary>
/// One X25519 ephemeral key from the native kernel. The private scalar is 32 bytes from the CSPRNG, kept
/// in a <see cref="SecretMemory"/> block (fixed address, so no GC copy is left behind) together with the public
/// key, and erased on <see cref="Dispose"/>. One object per handshake; the block is pooled.
/// </summary>
internal sealed class NativeX25519Key : IEphemeralKey
{
    private const int KeyLength = NativeX25519.KeyLength;

    // [0, 32): the private scalar (unclamped; the kernel clamps a copy). [32, 64): the public key.
    private SecretBlock _keys;
    private bool _disposed;

    private NativeX25519Key(SecretBlock keys) => _keys = keys;

    public NamedGroup Group => NamedGroup.X25519;

    /// <summary>The public key; empty once disposed (the block went back to <see cref="SecretMemory"/>).</summary>
    public ReadOnlySpan<byte> PublicKey => _keys.IsEmpty ? default : _keys.Span.Slice(KeyLength, KeyLength);

    public static NativeX25519Key Generate()
    {
        var keys = SecretMemory.Rent(2 * KeyLength);
        PooledRandom.Fill(keys.Span[..KeyLength]);
        return FromPrivateKey(keys);
    }

    /// <summary>A key pair from a known 32-byte private key. For test vectors only; handshakes use <see cref="Generate"/>.</summary>
    internal static NativeX25519Key Import(ReadOnlySpan<byte> privateKey)
    {
        if (privateKey.Length != KeyLength)
            throw new ArgumentException("An X25519 private key is 32 bytes.", nameof(privateKey));
        var keys = SecretMemory.Rent(2 * KeyLength);
        privateKey.CopyTo(keys.Span);
        return FromPrivateKey(keys);
    }

    private static NativeX25519Key FromPrivateKey(SecretBlock keys)
    {
        if (!NativeX25519.TryPublicKey(keys.Span.Slice(KeyLength, KeyLength), keys.Span[..KeyLength]))
        {
            SecretMemory.Return(ref keys);
            throw new CryptographicException("Native X25519 public key computation failed its self-check.");
        }
        return new NativeX25519Key(keys);
    }

    public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        // RFC 7748 §5: any 32-byte string is a u-coordinate (the kernel masks the top bit and reduces
        // values >= p), so the length is the only syntactic check; the all-zero result is refused below.
        if (_disposed || peerPublicKey.Length != KeyLength || sharedSecret.Length < KeyLength)
            return false;
        return NativeX25519.TryScalarMultiply(sharedSecret[..KeyLength], _keys.Span[..KeyLength], peerPublicKey);
    }

    /// <summary>The raw (unclamped) private scalar, for the batcher; empty once disposed (the block went back to <see cref="SecretMemory"/>).</summary>
    internal ReadOnlySpan<byte> PrivateScalar => _keys.IsEmpty ? default : _keys.Span[..KeyLength];

    internal bool IsDisposed => Volatile.Read(ref _disposed);

    public void Dispose()
    {
        _disposed = true;
        SecretMemory.Return(ref _keys);
    }
}
