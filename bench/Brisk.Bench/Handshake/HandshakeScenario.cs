using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Rsa;
using Brisk.Tls;
using Brisk.Tls.Client;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;

namespace Brisk.Bench.Handshake;

/// <summary>
/// The handshake scenarios of loadtests/compare.sh, for in-memory runs: what the client offers, which certificate
/// the server holds, whether the handshake resumes. Credentials are generated once per process (RSA-2048 and
/// ECDSA P-256, self-signed "localhost"); the Brisk server uses the system RSA engine (one private operation at
/// a time: the batched engines need concurrent handshakes to fill their lanes, which one in-memory pair never has).
/// </summary>
public sealed class HandshakeScenario
{
    private static readonly Lazy<(X509Certificate2 Certificate, ServerCertificate Brisk)> LazyRsa = new(CreateRsa);
    private static readonly Lazy<(X509Certificate2 Certificate, ServerCertificate Brisk)> LazyEcdsa = new(CreateEcdsa);

    public static readonly HandshakeScenario[] All =
    [
        new("tls12-rsa-kx", tls13: false, ecdsa: false, resumed: false, "TLS_RSA_WITH_AES_128_GCM_SHA256"),
        new("tls12-ecdhe-x25519", tls13: false, ecdsa: false, resumed: false, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
        new("tls13-rsa", tls13: true, ecdsa: false, resumed: false, "TLS_AES_128_GCM_SHA256"),
        new("tls13-ecdsa", tls13: true, ecdsa: true, resumed: false, "TLS_AES_128_GCM_SHA256"),
        // The resumed scenarios use the suites SslStream negotiates without a CipherSuitesPolicy (see SslStreamPolicy).
        new("resumed-tls13", tls13: true, ecdsa: false, resumed: true, "TLS_AES_256_GCM_SHA384"),
        new("resumed-tls12", tls13: false, ecdsa: false, resumed: true, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"),
    ];

    private HandshakeScenario(string name, bool tls13, bool ecdsa, bool resumed, string suite)
    {
        Name = name;
        Tls13 = tls13;
        Ecdsa = ecdsa;
        Resumed = resumed;
        if (!CipherSuites.TryFind(suite, out var info))
            throw new InvalidOperationException(suite);
        Suite = info;
    }

    public string Name { get; }
    public bool Tls13 { get; }
    public bool Ecdsa { get; }
    public bool Resumed { get; }
    public CipherSuiteInfo Suite { get; }

    public override string ToString() => Name;

    public static HandshakeScenario Find(string name) => All.Single(s => s.Name == name);

    private (X509Certificate2 Certificate, ServerCertificate Brisk) Credentials => Ecdsa ? LazyEcdsa.Value : LazyRsa.Value;

    /// <summary>The certificate with its private key, for SslStream servers.</summary>
    public X509Certificate2 Certificate => Credentials.Certificate;

    /// <summary>A ticket key ring per scenario object, so resumed handshakes find the keys their tickets were sealed with.</summary>
    private readonly Lazy<TicketKeyRing> _ticketKeys = new(() => TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, TimeProvider.System));

    public TlsServerOptions BriskServerOptions() => new()
    {
        Certificates = [Credentials.Brisk],
        EnableTls12 = !Tls13,
        EnableTls13 = Tls13,
        Tls12CipherSuites = Tls13 ? CipherSuites.Tls12Default : [Suite],
        Tls13CipherSuites = Tls13 ? [Suite] : CipherSuites.Tls13Default,
        KeyExchange = KeyExchangeProviders.Default, // what the server and the client use (native X25519 when built)
        RecordCrypto = ManagedAeadProvider.Default,
        // Tickets only where the scenario resumes (compare.sh runs the full-handshake scenarios without them too).
        TicketKeys = Resumed ? _ticketKeys.Value : null,
        Tls13TicketCount = Resumed ? 1 : 0,
    };

    public TlsClientOptions BriskClientOptions() => new()
    {
        ServerName = "localhost",
        EnableTls12 = !Tls13,
        EnableTls13 = Tls13,
        Tls12CipherSuites = Tls13 ? CipherSuites.Tls12Default : [Suite],
        Tls13CipherSuites = Tls13 ? [Suite] : CipherSuites.Tls13Default,
        Groups = [NamedGroup.X25519],
        EnableSessionTickets = Resumed,
    };

    /// <summary>
    /// The name the SslStream client asks for when its server is SslStream, and when it is Brisk. Two names because
    /// .NET's client keeps one session per host name (in the SSL_CTX its options map to): with one name, pairs that
    /// alternate would each offer the other server's ticket and never resume. The certificate is for "localhost";
    /// the client's validation callback accepts it under either name.
    /// </summary>
    public const string SslStreamServerHost = "localhost";

    /// <inheritdoc cref="SslStreamServerHost"/>
    public const string BriskServerHost = "brisk.localhost";

    /// <summary>
    /// SslStream options for the resumed scenarios have no <see cref="CipherSuitesPolicy"/>: .NET on Linux only
    /// enables resumption (caches the SSL_CTX, turns OpenSSL's session cache and tickets on) when
    /// AllowTlsResume is true and CipherSuitesPolicy is null (Interop.OpenSsl.AllocateSslHandle in dotnet/runtime;
    /// <c>quick handshake-resume</c> shows it). They then negotiate what OpenSSL's defaults pick (AES-256-GCM with
    /// SHA-384), which the resumed scenarios' <see cref="Suite"/> names, so that the Brisk pairs use the same one.
    /// </summary>
#pragma warning disable CA1416 // CipherSuitesPolicy is unsupported on Windows; these benchmarks run on Linux.
    private CipherSuitesPolicy? SslStreamPolicy(bool? restrictSuites) =>
        (restrictSuites ?? !Resumed) ? new CipherSuitesPolicy([(TlsCipherSuite)Suite.Suite]) : null;
#pragma warning restore CA1416

    /// <param name="restrictSuites">null: the scenario's choice (restricted unless resumed); true or false to force it.</param>
    public SslServerAuthenticationOptions SslStreamServerOptions(bool? restrictSuites = null) => new()
    {
        ServerCertificateContext = SslStreamCertificateContext.Create(Certificate, additionalCertificates: null, offline: true),
        EnabledSslProtocols = Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12,
        CipherSuitesPolicy = SslStreamPolicy(restrictSuites),
        AllowTlsResume = Resumed,
    };

    /// <param name="targetHost"><see cref="SslStreamServerHost"/> or <see cref="BriskServerHost"/>.</param>
    /// <param name="restrictSuites">null: the scenario's choice (restricted unless resumed); true or false to force it.</param>
    public SslClientAuthenticationOptions SslStreamClientOptions(string targetHost, bool? restrictSuites = null) => new()
    {
        TargetHost = targetHost,
        EnabledSslProtocols = Tls13 ? SslProtocols.Tls13 : SslProtocols.Tls12,
        CipherSuitesPolicy = SslStreamPolicy(restrictSuites),
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = static (_, _, _, _) => true,
        AllowTlsResume = Resumed,
    };

    private static (X509Certificate2, ServerCertificate) CreateRsa()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddExtensions(request, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        var exportable = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (exportable, new ServerCertificate(leaf, [], new RsaServerKey(new RsaPrivateKey(rsa.ExportParameters(true)), SystemRsaEngine.Instance)));
    }

    private static (X509Certificate2, ServerCertificate) CreateEcdsa()
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", ecdsa, HashAlgorithmName.SHA256);
        AddExtensions(request, X509KeyUsageFlags.DigitalSignature);
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        var exportable = X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
        return (exportable, new ServerCertificate(leaf, [], EcdsaServerKey.Create(ecdsa)));
    }

    private static void AddExtensions(CertificateRequest request, X509KeyUsageFlags usage)
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
    }
}
