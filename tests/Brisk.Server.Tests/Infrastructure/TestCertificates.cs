using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Brisk.Server.Tests.Infrastructure;

/// <summary>
/// A PKI made once per test run, written as PEM files: server certificates (RSA-2048, ECDSA P-256), a client
/// CA with RSA and ECDSA client certificates, an expired client certificate, and an untrusted CA's client.
/// </summary>
public sealed class TestCertificates
{
    private static readonly Lazy<TestCertificates> Shared = new(() => new TestCertificates());

    public static TestCertificates Instance => Shared.Value;

    public string Directory { get; }
    public string ServerRsaCert { get; }
    public string ServerRsaKey { get; }
    public string ServerEcdsaCert { get; }
    public string ServerEcdsaKey { get; }
    public string ClientCa { get; }
    public string ClientRsaCert { get; }
    public string ClientRsaKey { get; }
    public string ClientEcdsaCert { get; }
    public string ClientEcdsaKey { get; }
    public string ClientExpiredCert { get; }
    public string ClientExpiredKey { get; }
    public string UntrustedClientCert { get; }
    public string UntrustedClientKey { get; }

    private TestCertificates()
    {
        Directory = Path.Combine(Path.GetTempPath(), "brisk-tests-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        var now = DateTimeOffset.UtcNow;

        (ServerRsaCert, ServerRsaKey) = WriteSelfSignedServer("server-rsa", RSA.Create(2048));
        (ServerEcdsaCert, ServerEcdsaKey) = WriteSelfSignedServer("server-ecdsa", ECDsa.Create(ECCurve.NamedCurves.nistP256));

        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Brisk Test Client CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(2));
        ClientCa = Write("client-ca.pem", ca.ExportCertificatePem());

        (ClientRsaCert, ClientRsaKey) = WriteClient("client-rsa", RSA.Create(2048), ca, caKey, now.AddDays(-1), now.AddYears(1));
        (ClientEcdsaCert, ClientEcdsaKey) = WriteClient("client-ecdsa", ECDsa.Create(ECCurve.NamedCurves.nistP256), ca, caKey, now.AddDays(-1), now.AddYears(1));
        (ClientExpiredCert, ClientExpiredKey) = WriteClient("client-expired", ECDsa.Create(ECCurve.NamedCurves.nistP256), ca, caKey, now.AddDays(-30), now.AddDays(-1));

        using var otherCaKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var otherRequest = new CertificateRequest("CN=Untrusted CA", otherCaKey, HashAlgorithmName.SHA256);
        otherRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var otherCa = otherRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(2));
        (UntrustedClientCert, UntrustedClientKey) = WriteClient("client-untrusted", ECDsa.Create(ECCurve.NamedCurves.nistP256), otherCa, otherCaKey, now.AddDays(-1), now.AddYears(1));
    }

    private (string Cert, string Key) WriteSelfSignedServer(string name, AsymmetricAlgorithm key)
    {
        var request = key is RSA rsa
            ? new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest("CN=localhost", (ECDsa)key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        return (Write(name + ".crt", certificate.ExportCertificatePem()), Write(name + ".key", ExportKey(key)));
    }

    private (string Cert, string Key) WriteClient(string name, AsymmetricAlgorithm key, X509Certificate2 issuer, ECDsa issuerKey, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var subject = $"CN={name}, O=Brisk Tests";
        var request = key is RSA rsa
            ? new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest(subject, (ECDsa)key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var certificate = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), notBefore, notAfter, serial);
        return (Write(name + ".crt", certificate.ExportCertificatePem()), Write(name + ".key", ExportKey(key)));
    }

    private static string ExportKey(AsymmetricAlgorithm key) => key switch
    {
        RSA rsa => rsa.ExportPkcs8PrivateKeyPem(),
        ECDsa ecdsa => ecdsa.ExportPkcs8PrivateKeyPem(),
        _ => throw new ArgumentException("unsupported key"),
    };

    private string Write(string name, string contents)
    {
        var path = Path.Combine(Directory, name);
        File.WriteAllText(path, contents);
        return path;
    }
}
