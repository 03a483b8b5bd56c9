namespace Brisk.Crypto.KeyExchange;

/// <summary>Selects a key-exchange provider by name (e.g. from a command-line option).</summary>
public static class KeyExchangeProviders
{
    /// <summary>libcrypto when libcrypto.so.3 is loadable (all three groups), otherwise .NET (no X25519).</summary>
    public static IKeyExchangeProvider Default =>
        LibCryptoKeyExchangeProvider.IsLibraryAvailable ? LibCryptoKeyExchangeProvider.Instance : SystemKeyExchangeProvider.Instance;

    /// <summary>"libcrypto", "system" or "default"; null for an unknown name.</summary>
    public static IKeyExchangeProvider? ByName(string name) => name switch
    {
        "libcrypto" => LibCryptoKeyExchangeProvider.Instance,
        "system" => SystemKeyExchangeProvider.Instance,
        "default" => Default,
        _ => null,
    };
}
