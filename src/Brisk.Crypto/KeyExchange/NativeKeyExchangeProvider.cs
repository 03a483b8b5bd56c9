namespace Brisk.Crypto.KeyExchange;

/// <summary>
/// "native": X25519 from Brisk's C kernel (<see cref="NativeX25519"/>, libbrisk_native.so), secp256r1 and
/// secp384r1 delegated to libcrypto (or to .NET when libcrypto.so.3 is missing). Stateless, so one
/// instance serves every thread. When libbrisk_native.so is not loaded it reports X25519 unsupported and
/// <see cref="KeyExchangeProviders.Default"/> does not choose it.
/// </summary>
public sealed class NativeKeyExchangeProvider : IKeyExchangeProvider
{
    public const string ProviderName = "native";

    public static readonly NativeKeyExchangeProvider Instance = new(
        LibCryptoKeyExchangeProvider.IsLibraryAvailable ? LibCryptoKeyExchangeProvider.Instance : SystemKeyExchangeProvider.Instance);

    private readonly IKeyExchangeProvider _nist;

    private NativeKeyExchangeProvider(IKeyExchangeProvider nist) => _nist = nist;

    /// <summary>True when libbrisk_native.so is loaded with a working X25519 kernel. Never throws.</summary>
    public static bool IsLibraryAvailable => NativeX25519.IsAvailable;

    /// <summary>
    /// How server-side X25519 derivations (<see cref="IEphemeralKey.DeriveSharedSecretAsync"/>) run: batched
    /// across handshakes into the 8-lane AVX-512 IFMA kernel, or the scalar kernel and the reason. Never throws.
    /// </summary>
    public static string X25519DerivationPath => BatchesX25519Derivations
        ? $"batched, {NativeX25519MultiBuffer.Status} (a lone request: scalar kernel)"
        : $"scalar kernel ({NativeX25519MultiBuffer.Status})";

    /// <summary>True when server-side X25519 derivations are batched into the 8-lane IFMA kernel. Never throws.</summary>
    public static bool BatchesX25519Derivations => X25519Batcher.Shared is not null;

    public string Name => ProviderName;

    public bool IsSupported(NamedGroup group) => group == NamedGroup.X25519
        ? NativeX25519.IsAvailable
        : group is NamedGroup.Secp256r1 or NamedGroup.Secp384r1 && _nist.IsSupported(group);

    public IEphemeralKey Generate(NamedGroup group)
    {
        if (!IsSupported(group))
            throw new NotSupportedException($"Native key exchange does not support {group} here.");
        return group == NamedGroup.X25519 ? NativeX25519Key.Generate() : _nist.Generate(group);
    }

    /// <summary>An X25519 key pair from a known private key (RFC 7748 scalar string). For test vectors only.</summary>
    internal static IEphemeralKey ImportX25519(ReadOnlySpan<byte> privateKey) => NativeX25519Key.Import(privateKey);
}
