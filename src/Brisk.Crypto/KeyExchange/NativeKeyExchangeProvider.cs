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

    private static readonly IKeyExchangeProvider Nist =
        LibCryptoKeyExchangeProvider.IsLibraryAvailable ? LibCryptoKeyExchangeProvider.Instance : SystemKeyExchangeProvider.Instance;

    /// <summary>Every derivation synchronous on the caller's thread, DeriveSharedSecretAsync included.</summary>
    public static readonly NativeKeyExchangeProvider Instance = new(Nist, batchX25519: false);

    /// <summary>
    /// The same keys, but <see cref="IEphemeralKey.DeriveSharedSecretAsync"/> of an X25519 key is queued and
    /// batched across handshakes into the 8-lane IFMA kernel when it is available (<see cref="X25519Batcher"/>):
    /// for a server under load. Its continuations run on the thread pool, so callers that need the derivation
    /// on their own thread (the in-memory handshake benchmark, a client) use <see cref="Instance"/>.
    /// </summary>
    public static readonly NativeKeyExchangeProvider Batched = new(Nist, batchX25519: true);

    private readonly IKeyExchangeProvider _nist;
    private readonly bool _batchX25519;

    private NativeKeyExchangeProvider(IKeyExchangeProvider nist, bool batchX25519)
    {
        _nist = nist;
        _batchX25519 = batchX25519;
    }

    /// <summary>True for <see cref="Batched"/> when the 8-lane kernel is available here.</summary>
    public bool BatchesDerivations => _batchX25519 && X25519Batcher.Shared is not null;

    /// <summary>True when libbrisk_native.so is loaded with a working X25519 kernel. Never throws.</summary>
    public static bool IsLibraryAvailable => NativeX25519.IsAvailable;

    /// <summary>
    /// How this provider's X25519 derivations (<see cref="IEphemeralKey.DeriveSharedSecretAsync"/>) run: batched
    /// across handshakes into the 8-lane AVX-512 IFMA kernel, or the scalar kernel and the reason. Never throws.
    /// </summary>
    public string X25519DerivationPath => BatchesDerivations
        ? $"batched, {NativeX25519MultiBuffer.Status} (a lone request: scalar kernel)"
        : _batchX25519 ? $"scalar kernel ({NativeX25519MultiBuffer.Status})" : "scalar kernel (not batched)";

    public string Name => ProviderName;

    public bool IsSupported(NamedGroup group) => group == NamedGroup.X25519
        ? NativeX25519.IsAvailable
        : group is NamedGroup.Secp256r1 or NamedGroup.Secp384r1 && _nist.IsSupported(group);

    public IEphemeralKey Generate(NamedGroup group)
    {
        if (!IsSupported(group))
            throw new NotSupportedException($"Native key exchange does not support {group} here.");
        if (group != NamedGroup.X25519)
            return _nist.Generate(group);
        var key = NativeX25519Key.Generate();
        return _batchX25519 && X25519Batcher.Shared is { } batcher ? new BatchedX25519Key(key, batcher) : key;
    }

    /// <summary>An X25519 key pair from a known private key (RFC 7748 scalar string). For test vectors only.</summary>
    internal static IEphemeralKey ImportX25519(ReadOnlySpan<byte> privateKey) => NativeX25519Key.Import(privateKey);
}
