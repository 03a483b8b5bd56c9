using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Brisk.Server.Tests.Sni;

/// <summary>
/// Writes server certificates for given DNS names, issued by one test CA (ECDSA P-256, so issuing is cheap).
/// To keep generating thousands of certificates fast, the leaves share keys: every RSA leaf made with
/// <see cref="SharedRsaKey"/> has the same RSA-2048 key, every ECDSA leaf the same P-256 key. Loading does
/// not know that: it parses and imports each key file separately, as it would distinct keys.
/// </summary>
internal static class SniCertificates
{
    private static readonly Lazy<(X509Certificate2 Certificate, ECDsa Key)> Ca = new(() =>
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Brisk SNI Test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        return (request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddYears(2)), key);
    });

    public static readonly Lazy<RSA> SharedRsaKey = new(() => RSA.Create(2048));
    public static readonly Lazy<ECDsa> SharedEcdsaKey = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));
    private static readonly Lazy<string> SharedRsaKeyPem = new(() => SharedRsaKey.Value.ExportPkcs8PrivateKeyPem());
    private static readonly Lazy<string> SharedEcdsaKeyPem = new(() => SharedEcdsaKey.Value.ExportPkcs8PrivateKeyPem());

    /// <summary>A certificate and its key as PEM; <paramref name="key"/> null uses the shared key of that type.</summary>
    public static (string CertificatePem, string KeyPem, string Sha256) Create(string commonName, IReadOnlyList<string> dnsNames, bool rsa, AsymmetricAlgorithm? key = null)
    {
        key ??= rsa ? SharedRsaKey.Value : SharedEcdsaKey.Value;
        var request = key is RSA rsaKey
            ? new CertificateRequest($"CN={commonName}", rsaKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : new CertificateRequest($"CN={commonName}", (ECDsa)key, HashAlgorithmName.SHA256);
        if (dnsNames.Count > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in dnsNames)
                san.AddDnsName(name);
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        var (ca, caKey) = Ca.Value;
        using var certificate = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60), serial);
        string keyPem = key switch
        {
            _ when ReferenceEquals(key, SharedRsaKey.Value) => SharedRsaKeyPem.Value,
            _ when ReferenceEquals(key, SharedEcdsaKey.Value) => SharedEcdsaKeyPem.Value,
            RSA r => r.ExportPkcs8PrivateKeyPem(),
            _ => ((ECDsa)key).ExportPkcs8PrivateKeyPem(),
        };
        return (certificate.ExportCertificatePem() + "\n", keyPem + "\n", Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256)));
    }

    /// <summary>Writes <c>BASE.crt</c> and <c>BASE.key</c> (or, combined, one <c>BASE.pem</c> holding both); returns the certificate's SHA-256.</summary>
    public static string Write(string directory, string baseName, IReadOnlyList<string> dnsNames, bool rsa = false, bool combined = false, string? commonName = null)
    {
        var (certificate, key, sha256) = Create(commonName ?? dnsNames.FirstOrDefault() ?? baseName, dnsNames, rsa);
        if (combined)
        {
            File.WriteAllText(Path.Combine(directory, baseName + ".pem"), certificate + key);
        }
        else
        {
            File.WriteAllText(Path.Combine(directory, baseName + ".crt"), certificate);
            File.WriteAllText(Path.Combine(directory, baseName + ".key"), key);
        }
        return sha256;
    }

    /// <summary>
    /// <paramref name="count"/> certificates named <c>host{i}.example.net</c> (even i: ECDSA, odd i: RSA),
    /// every tenth as a combined PEM, plus <c>default.pem</c> for <c>default.example.net</c>. Issued in
    /// parallel, each thread with its own copies of the CA and leaf key objects.
    /// </summary>
    public static void WriteMany(string directory, int count)
    {
        var (ca, caKey) = Ca.Value;
        var caParameters = caKey.ExportParameters(true);
        var rsaParameters = SharedRsaKey.Value.ExportParameters(true);
        var ecdsaParameters = SharedEcdsaKey.Value.ExportParameters(true);
        string rsaPem = SharedRsaKeyPem.Value, ecdsaPem = SharedEcdsaKeyPem.Value;
        Parallel.For(0, Environment.ProcessorCount, worker =>
        {
            using var issuerKey = ECDsa.Create(caParameters);
            using var rsa = RSA.Create(rsaParameters);
            using var ecdsa = ECDsa.Create(ecdsaParameters);
            var signer = X509SignatureGenerator.CreateForECDsa(issuerKey);
            for (int i = worker; i < count; i += Environment.ProcessorCount)
            {
                string name = $"host{i}.example.net";
                bool isRsa = i % 2 == 1;
                var request = isRsa
                    ? new CertificateRequest($"CN={name}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
                    : new CertificateRequest($"CN={name}", ecdsa, HashAlgorithmName.SHA256);
                var san = new SubjectAlternativeNameBuilder();
                san.AddDnsName(name);
                request.CertificateExtensions.Add(san.Build());
                var serial = RandomNumberGenerator.GetBytes(12);
                serial[0] &= 0x7F;
                using var certificate = request.Create(ca.SubjectName, signer, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(60), serial);
                var certificatePem = certificate.ExportCertificatePem() + "\n";
                var keyPem = (isRsa ? rsaPem : ecdsaPem) + "\n";
                if (i % 10 == 0)
                {
                    File.WriteAllText(Path.Combine(directory, name + ".pem"), certificatePem + keyPem);
                }
                else
                {
                    File.WriteAllText(Path.Combine(directory, name + ".crt"), certificatePem);
                    File.WriteAllText(Path.Combine(directory, name + ".key"), keyPem);
                }
            }
        });
        Write(directory, "default", ["default.example.net"], combined: true);
    }

    /// <summary>Atomically replaces <paramref name="path"/> by writing a sibling temporary file and renaming it over (as cp/certbot do).</summary>
    public static void ReplaceByRename(string path, string contents)
    {
        var temporary = Path.Combine(Path.GetDirectoryName(path)!, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(temporary, contents);
        File.Move(temporary, path, overwrite: true);
    }
}
