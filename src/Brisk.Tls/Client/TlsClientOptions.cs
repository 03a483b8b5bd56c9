using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Client;

/// <summary>
/// What a <see cref="TlsClientConnection"/> offers. One instance is shared by every connection of a client
/// (immutable after construction; <see cref="ServerKeys"/> is a thread-safe cache).
/// </summary>
/// <remarks>
/// The client does not verify certificate chains or names: it authenticates the handshake with the key in the
/// server's leaf certificate (CertificateVerify, ServerKeyExchange, Finished) and nothing more. It is meant for
/// load generation and benchmarks against servers the caller controls, not for talking to the Internet.
/// </remarks>
public sealed class TlsClientOptions
{
    /// <summary>server_name (RFC 6066 §3); null sends none (e.g. when the target is an IP address).</summary>
    public string? ServerName { get; init; }

    /// <summary>ALPN protocols offered, in preference order (RFC 7301); empty sends no extension.</summary>
    public IReadOnlyList<string> ApplicationProtocols { get; init; } = [];

    public bool EnableTls12 { get; init; } = true;

    public bool EnableTls13 { get; init; } = true;

    /// <summary>TLS 1.2 suites offered, in preference order.</summary>
    public IReadOnlyList<CipherSuiteInfo> Tls12CipherSuites { get; init; } = CipherSuites.Tls12Default;

    /// <summary>TLS 1.3 suites offered, in preference order.</summary>
    public IReadOnlyList<CipherSuiteInfo> Tls13CipherSuites { get; init; } = CipherSuites.Tls13Default;

    /// <summary>Groups offered (supported_groups); the TLS 1.3 key share is generated for the first one only.</summary>
    public IReadOnlyList<NamedGroup> Groups { get; init; } = [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];

    /// <summary>signature_algorithms offered (RFC 8446 §4.2.3). PKCS#1 v1.5 schemes are only used in TLS 1.2.</summary>
    public IReadOnlyList<SignatureScheme> SignatureAlgorithms { get; init; } =
    [
        SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPkcs1Sha256,
        SignatureScheme.EcdsaSecp384r1Sha384, SignatureScheme.RsaPssRsaeSha384, SignatureScheme.RsaPkcs1Sha384,
        SignatureScheme.RsaPssRsaeSha512, SignatureScheme.RsaPkcs1Sha512,
    ];

    /// <summary>
    /// Ask for session tickets (TLS 1.2 RFC 5077 SessionTicket extension, TLS 1.3 psk_key_exchange_modes) so a
    /// later connection can resume with <see cref="TlsClientConnection.Session"/>.
    /// </summary>
    public bool EnableSessionTickets { get; init; }

    /// <summary>Default: <see cref="KeyExchangeProviders.Default"/> (native X25519 when libbrisk_native.so is loaded, else libcrypto).</summary>
    public IKeyExchangeProvider KeyExchange { get; init; } = KeyExchangeProviders.Default;

    public IAeadProvider RecordCrypto { get; init; } = ManagedAeadProvider.Default;

    /// <summary>Decoded server certificate keys, shared by the connections made with these options.</summary>
    public ServerKeyCache ServerKeys { get; } = new();

    private OfferedLists? _offered;

    /// <summary>The lists the ClientHello carries, in wire form, built once (the options are immutable once in use).</summary>
    internal OfferedLists Offered => _offered ??= new OfferedLists(this);

    internal sealed class OfferedLists
    {
        public OfferedLists(TlsClientOptions options)
        {
            var suites = new List<CipherSuite>();
            if (options.EnableTls13)
                suites.AddRange(options.Tls13CipherSuites.Select(s => s.Suite));
            if (options.EnableTls12)
                suites.AddRange(options.Tls12CipherSuites.Select(s => s.Suite));
            CipherSuites = suites.ToArray();
            Groups = options.Groups.Select(g => (ushort)g).ToArray();
            SignatureAlgorithms = options.SignatureAlgorithms.ToArray();
            ApplicationProtocols = options.ApplicationProtocols.Count == 0
                ? null
                : options.ApplicationProtocols.Select(p => System.Text.Encoding.ASCII.GetBytes(p)).ToArray();
            SupportedVersions = options.EnableTls13
                ? options.EnableTls12 ? [ProtocolVersion.Tls13, ProtocolVersion.Tls12] : [ProtocolVersion.Tls13]
                : null;
        }

        public CipherSuite[] CipherSuites { get; }
        public ushort[] Groups { get; }
        public SignatureScheme[] SignatureAlgorithms { get; }
        public byte[][]? ApplicationProtocols { get; }
        public ushort[]? SupportedVersions { get; }
    }
}
