using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// A client CA for the directory tests and client certificates with chosen subject names and e-mail SANs, written
/// as PEM for openssl s_client. Every certificate is trusted by the server; only the directory tells them apart.
/// </summary>
public sealed class DirectoryPki
{
    private static readonly Lazy<DirectoryPki> Shared = new(() => new DirectoryPki());
    private readonly ECDsa _caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly X509Certificate2 _ca;
    private readonly Dictionary<string, ClientCertificateFiles> _issued = [];

    public static DirectoryPki Instance => Shared.Value;

    private DirectoryPki()
    {
        Directory = Path.Combine(Path.GetTempPath(), "brisk-directory-pki-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Directory);
        var request = new CertificateRequest("CN=Brisk Directory Test CA", _caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        _ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(2));
        CaFile = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaFile, _ca.ExportCertificatePem());
    }

    public string Directory { get; }

    public string CaFile { get; }

    /// <summary>A client certificate (ECDSA P-256) for <paramref name="subject"/>, made once per name and key.</summary>
    public ClientCertificateFiles Client(string name, X500DistinguishedName subject, string? email = null)
    {
        lock (_issued)
        {
            if (_issued.TryGetValue(name, out var existing))
                return existing;
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
            if (email is not null)
            {
                var san = new SubjectAlternativeNameBuilder();
                san.AddEmailAddress(email);
                request.CertificateExtensions.Add(san.Build());
            }
            var serial = RandomNumberGenerator.GetBytes(12);
            serial[0] &= 0x7F;
            using var certificate = request.Create(_ca.SubjectName, X509SignatureGenerator.CreateForECDsa(_caKey),
                DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1), serial);
            var certFile = Path.Combine(Directory, name + ".crt");
            var keyFile = Path.Combine(Directory, name + ".key");
            File.WriteAllText(certFile, certificate.ExportCertificatePem());
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
            var files = new ClientCertificateFiles(certFile, keyFile, certificate.RawData);
            _issued[name] = files;
            return files;
        }
    }

    /// <summary>A certificate whose subject is just CN=<paramref name="commonName"/>, O=Brisk Directory Tests.</summary>
    public ClientCertificateFiles Client(string name, string commonName, string? email = null)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        builder.AddOrganizationName("Brisk Directory Tests");
        return Client(name, builder.Build(), email);
    }
}

public sealed record ClientCertificateFiles(string Cert, string Key, byte[] Der);
