using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Rsa;
using Brisk.Tls.Credentials;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// Server credentials generated once per test run: a self-signed RSA-2048 and an ECDSA P-256 certificate
/// for "localhost", built the way the host's development certificates are.
/// </summary>
internal static class TestCredentials
{
    private static readonly Lazy<ServerCertificate> LazyRsa = new(CreateRsa);
    private static readonly Lazy<ServerCertificate> LazyEcdsa = new(CreateEcdsa);

    public static ServerCertificate Rsa => LazyRsa.Value;

    public static ServerCertificate Ecdsa => LazyEcdsa.Value;

    /// <summary>Options with both certificates, libcrypto key exchange and the system AEADs; <paramref name="configure"/> may replace fields.</summary>
    public static TlsServerOptions Options(
        IReadOnlyList<string>? applicationProtocols = null,
        ClientAuthenticationMode clientAuthentication = ClientAuthenticationMode.None,
        IReadOnlyList<CipherSuiteInfo>? suites = null,
        bool enableTls13 = false) => new()
    {
        EnableTls13 = enableTls13,
        Certificates = [Ecdsa, Rsa],
        KeyExchange = LibCryptoKeyExchangeProvider.Instance,
        RecordCrypto = SystemAeadProvider.Instance,
        ApplicationProtocols = applicationProtocols ?? [],
        ClientAuthentication = clientAuthentication,
        Tls12CipherSuites = suites ?? CipherSuites.Tls12Default,
    };

    private static ServerCertificate CreateRsa()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost, O=Brisk tests", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        AddExtensions(request, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        return new ServerCertificate(leaf, [], new RsaServerKey(new RsaPrivateKey(rsa.ExportParameters(true)), SystemRsaEngine.Instance));
    }

    private static ServerCertificate CreateEcdsa()
    {
        var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost, O=Brisk tests", ecdsa, HashAlgorithmName.SHA256);
        AddExtensions(request, X509KeyUsageFlags.DigitalSignature);
        using var withKey = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
        return new ServerCertificate(leaf, [], EcdsaServerKey.Create(ecdsa));
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
