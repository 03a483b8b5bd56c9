namespace Brisk.Crypto.KeyExchange;

/// <summary>Selects a key-exchange provider by name (e.g. from a command-line option).</summary>
public static class KeyExchangeProviders
{
    /// <summary>
    /// "native" (Brisk's X25519 kernel, NIST curves from libcrypto) when libbrisk_native.so is loaded,
    /// otherwise libcrypto when libcrypto.so.3 is loadable (all three groups), otherwise .NET (no X25519).
    /// </summary>
    public static IKeyExchangeProvider Default =>
        Select(NativeKeyExchangeProvider.IsLibraryAvailable, LibCryptoKeyExchangeProvider.IsLibraryAvailable);

    /// <summary>
    /// <see cref="Default"/> for a server: the native provider's <see cref="NativeKeyExchangeProvider.Batched"/>
    /// instance, whose X25519 derivations are batched across handshakes when the CPU has AVX-512 IFMA.
    /// </summary>
    public static IKeyExchangeProvider ServerDefault => Default is NativeKeyExchangeProvider ? NativeKeyExchangeProvider.Batched : Default;

    /// <summary>The choice behind <see cref="Default"/>, given which native libraries loaded.</summary>
    internal static IKeyExchangeProvider Select(bool nativeX25519Available, bool libCryptoAvailable) =>
        nativeX25519Available ? NativeKeyExchangeProvider.Instance
        : libCryptoAvailable ? LibCryptoKeyExchangeProvider.Instance
        : SystemKeyExchangeProvider.Instance;

    /// <summary>"native" (null when libbrisk_native.so is not loaded), "libcrypto", "system" or "default"; null for an unknown name.</summary>
    public static IKeyExchangeProvider? ByName(string name) => name switch
    {
        NativeKeyExchangeProvider.ProviderName => NativeKeyExchangeProvider.IsLibraryAvailable ? NativeKeyExchangeProvider.Instance : null,
        "libcrypto" => LibCryptoKeyExchangeProvider.Instance,
        "system" => SystemKeyExchangeProvider.Instance,
        "default" => Default,
        _ => null,
    };
}
