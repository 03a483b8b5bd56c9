using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Rsa;
using Brisk.Tls.Credentials;

namespace Brisk.Server.Hosting;

/// <summary>Where PKCS#11 keys come from: the module, the PIN file (else BRISK_PKCS11_PIN) and the session pool size per key.</summary>
public sealed record Pkcs11Settings(string? ModulePath, string? PinFile, int Sessions);

/// <summary>Loads PEM certificate chains and keys, or generates the in-memory development certificates.</summary>
public static class CertificateLoader
{
    public static ServerCertificate LoadPem(string certPath, string keyPath, IRsaEngine rsaEngine)
    {
        var chain = LoadChain(certPath);
        string keyPem;
        try
        {
            keyPem = File.ReadAllText(keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"key file '{keyPath}': {ex.Message}", ex);
        }
        var leaf = chain[0];
        var intermediates = chain.Skip(1).ToList();
        try
        {
            return Create(leaf, intermediates, keyPem, rsaEngine);
        }
        catch (ConfigurationException ex)
        {
            throw new ConfigurationException($"key file '{keyPath}': {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException or NotSupportedException)
        {
            // E.g. an ECDSA key on a curve Brisk does not serve (P-521), or a point libcrypto refuses.
            throw new ConfigurationException($"key file '{keyPath}': {ex.Message.ReplaceLineEndings(" ")}", ex);
        }
    }

    private static X509Certificate2Collection LoadChain(string certPath)
    {
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(certPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigurationException($"certificate file '{certPath}': {ex.Message}", ex);
        }
        if (chain.Count == 0)
            throw new ConfigurationException($"certificate file '{certPath}' holds no PEM certificate");
        return chain;
    }

    /// <summary>
    /// A certificate chain from a PEM file with its private key in a PKCS#11 token, named by an RFC 7512
    /// URI. The key must belong to the certificate (checked with a test signature by the token). Errors
    /// name the key URI.
    /// </summary>
    public static ServerCertificate LoadPkcs11(string certPath, string keyUri, Pkcs11Settings settings)
    {
        if (!Pkcs11.Pkcs11Uri.TryParse(keyUri, out var uri, out var error))
            throw new ConfigurationException($"Key '{keyUri}': not a valid PKCS#11 URI ({error})");
        if (string.IsNullOrWhiteSpace(settings.ModulePath))
            throw new ConfigurationException($"Key '{keyUri}': a pkcs11: key needs --pkcs11-module PATH (Pkcs11Module)");
        var chain = Pkcs11.Pkcs11Uri.IsPkcs11Uri(certPath) ? LoadTokenCertificate(certPath, settings) : LoadChain(certPath);
        Pkcs11.Pkcs11ServerKey? key = null;
        try
        {
            string pin = Pkcs11.Pkcs11Module.ReadPin(settings.PinFile);
            key = Pkcs11.Pkcs11ServerKey.Open(settings.ModulePath, uri, pin, settings.Sessions);
            var leaf = chain[0];
            using (AsymmetricAlgorithm? publicKey = (AsymmetricAlgorithm?)leaf.GetRSAPublicKey() ?? leaf.GetECDsaPublicKey())
            {
                if (publicKey is null)
                    throw new ConfigurationException("only RSA and ECDSA (P-256, P-384) certificates are supported");
                key.EnsureMatches(publicKey);
            }
            return new ServerCertificate(leaf, chain.Skip(1).ToList(), key);
        }
        catch (ConfigurationException ex)
        {
            key?.Dispose();
            throw new ConfigurationException($"Key '{keyUri}': {ex.Message}", ex);
        }
    }

    /// <summary>The leaf certificate from a token object (no intermediates: a token holds single certificates).</summary>
    private static X509Certificate2Collection LoadTokenCertificate(string certUri, Pkcs11Settings settings)
    {
        if (!Pkcs11.Pkcs11Uri.TryParse(certUri, out var uri, out var error))
            throw new ConfigurationException($"Cert '{certUri}': not a valid PKCS#11 URI ({error})");
        try
        {
            byte[] der = Pkcs11.Pkcs11ServerKey.ReadCertificate(settings.ModulePath!, uri, Pkcs11.Pkcs11Module.ReadPin(settings.PinFile));
            return [X509CertificateLoader.LoadCertificate(der)];
        }
        catch (ConfigurationException ex)
        {
            throw new ConfigurationException($"Cert '{certUri}': {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            throw new ConfigurationException($"Cert '{certUri}': the token's certificate does not parse ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Loads every certificate of a directory, in parallel, in ordinal file-name order. The rule, per base
    /// name NAME (the file name without its last extension; names starting with '.' are skipped, as editors'
    /// and Kubernetes' bookkeeping files are): <c>NAME.key</c> is the key of <c>NAME.crt</c> or, if there is
    /// none, of <c>NAME.pem</c>; a <c>NAME.pem</c> without a <c>NAME.key</c> must hold the certificate chain and
    /// the key together. Other files are ignored. Any file that does not load fails the whole directory with
    /// a message naming it (a reload then keeps the previous certificates).
    /// </summary>
    /// <returns>The certificates, and which of them form the directory's default set (base name <c>default</c>, or starting with <c>default.</c> or <c>default-</c>).</returns>
    public static (List<ServerCertificate> Certificates, List<ServerCertificate> Defaults) LoadDirectory(string directory, IRsaEngine rsaEngine)
    {
        var pairs = ListDirectory(directory);
        var loaded = new ServerCertificate[pairs.Count];
        var errors = new ConfigurationException?[pairs.Count];
        // Parsing and key import dominate; they are independent per file. The RSA engine is shared: a key only
        // attaches its precomputed state to the one engine instance, never a batch runner of its own.
        Parallel.For(0, pairs.Count, i =>
        {
            try
            {
                loaded[i] = LoadPem(pairs[i].Cert, pairs[i].Key, rsaEngine);
            }
            catch (ConfigurationException ex)
            {
                errors[i] = ex;
            }
        });
        if (errors.FirstOrDefault(e => e is not null) is { } error)
            throw new ConfigurationException($"CertDir: {error.Message}", error);
        var defaults = new List<ServerCertificate>();
        for (int i = 0; i < pairs.Count; i++)
        {
            var name = pairs[i].BaseName;
            if (name.Equals("default", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("default.", StringComparison.OrdinalIgnoreCase) ||
                name.StartsWith("default-", StringComparison.OrdinalIgnoreCase))
                defaults.Add(loaded[i]);
        }
        return ([.. loaded], defaults);
    }

    /// <summary>The (certificate, key) file pairs of a directory under the rule of <see cref="LoadDirectory"/>.</summary>
    internal static List<(string BaseName, string Cert, string Key)> ListDirectory(string directory)
    {
        string[] files;
        try
        {
            files = Directory.GetFiles(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new ConfigurationException($"CertDir: cannot read directory '{directory}': {ex.Message}", ex);
        }
        var byBase = new SortedDictionary<string, (string? Crt, string? Pem, string? Key)>(StringComparer.Ordinal);
        foreach (var path in files)
        {
            var fileName = Path.GetFileName(path);
            if (fileName.StartsWith('.'))
                continue;
            var extension = Path.GetExtension(fileName).ToLowerInvariant();
            if (extension is not (".crt" or ".pem" or ".key"))
                continue;
            var baseName = Path.GetFileNameWithoutExtension(fileName);
            byBase.TryGetValue(baseName, out var entry);
            byBase[baseName] = extension switch
            {
                ".crt" => entry with { Crt = path },
                ".pem" => entry with { Pem = path },
                _ => entry with { Key = path },
            };
        }
        var pairs = new List<(string, string, string)>(byBase.Count);
        foreach (var (baseName, (crt, pem, key)) in byBase)
        {
            if (key is not null)
            {
                var cert = crt ?? pem ?? throw new ConfigurationException($"CertDir: key file '{key}' has no {baseName}.crt or {baseName}.pem beside it");
                pairs.Add((baseName, cert, key));
                if (crt is not null && pem is not null)
                    throw new ConfigurationException($"CertDir: both '{crt}' and '{pem}' claim the key '{key}'; keep one");
            }
            else if (pem is not null)
            {
                if (crt is not null)
                    throw new ConfigurationException($"CertDir: certificate file '{crt}' has no {baseName}.key beside it");
                pairs.Add((baseName, pem, pem));
            }
            else
            {
                throw new ConfigurationException($"CertDir: certificate file '{crt}' has no {baseName}.key beside it");
            }
        }
        if (pairs.Count == 0)
            throw new ConfigurationException($"CertDir: no certificate in '{directory}' (NAME.crt or NAME.pem with NAME.key, or a NAME.pem holding both)");
        return pairs;
    }

    /// <summary>Benchmark baseline only (<c>quick certload</c>): read RSA and EC keys through the platform import as before.</summary>
    internal static bool UsePlatformRsaImport { get; set; }

    private static ServerCertificate Create(X509Certificate2 leaf, List<X509Certificate2> intermediates, string keyPem, IRsaEngine rsaEngine)
    {
        var rsaPublic = RsaKeyPem.ReadPublicKey(leaf);
        var ecPublic = rsaPublic is null ? EcKeyPem.ReadPublicKey(leaf) : null;
        if (rsaPublic is { } rsaPublicParameters)
        {
            // The managed reader first (microseconds; RSA.ImportFromPem costs milliseconds, see RsaKeyPem), the
            // platform import for anything it does not take, such as an encrypted key (which is then refused).
            if (UsePlatformRsaImport || !RsaKeyPem.TryRead(keyPem, out var privateParameters))
            {
                using var rsa = RSA.Create();
                ImportKey(rsa, keyPem);
                privateParameters = rsa.ExportParameters(true);
            }
            if (!rsaPublicParameters.Modulus.AsSpan().SequenceEqual(privateParameters.Modulus) ||
                !rsaPublicParameters.Exponent.AsSpan().SequenceEqual(privateParameters.Exponent))
                throw new ConfigurationException("the RSA key does not match the certificate");
            return new ServerCertificate(leaf, intermediates, new RsaServerKey(new RsaPrivateKey(privateParameters), rsaEngine));
        }
        if (ecPublic is { } certificatePublicKey)
        {
            // As for RSA: the managed reader first, the platform import for what it does not take.
            if (UsePlatformRsaImport || !EcKeyPem.TryRead(keyPem, out var privateParameters))
            {
                using var ecdsa = ECDsa.Create();
                ImportKey(ecdsa, keyPem);
                privateParameters = ecdsa.ExportParameters(true);
            }
            try
            {
                var point = privateParameters.Q.X is { } x && privateParameters.Q.Y is { } y ? [0x04, .. x, .. y] : Array.Empty<byte>();
                if (privateParameters.Curve.Oid?.Value is { } curve && curve != certificatePublicKey.CurveOid ||
                    !point.AsSpan().SequenceEqual(certificatePublicKey.Point))
                    throw new ConfigurationException("the ECDSA key does not match the certificate");
                return new ServerCertificate(leaf, intermediates, EcdsaServerKey.Create(privateParameters));
            }
            finally
            {
                CryptographicOperations.ZeroMemory(privateParameters.D);
            }
        }
        throw new ConfigurationException("only RSA and ECDSA (P-256, P-384) certificates are supported");
    }

    private static void ImportKey(AsymmetricAlgorithm key, string pem)
    {
        try
        {
            key.ImportFromPem(pem);
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"no usable unencrypted {(key is RSA ? "RSA" : "EC")} private key in PEM ({ex.Message})", ex);
        }
        catch (CryptographicException ex)
        {
            throw new ConfigurationException($"unreadable private key ({ex.Message})", ex);
        }
    }

    /// <summary>
    /// Generates a self-signed certificate for localhost (DNS localhost, IP 127.0.0.1 and ::1), valid from
    /// yesterday for a year. Development only: it exists in memory for the life of the process.
    /// </summary>
    public static ServerCertificate CreateDevelopmentCertificate(CredentialKeyType keyType, IRsaEngine rsaEngine, string hostName = "localhost")
    {
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(hostName);
        san.AddIpAddress(IPAddress.Loopback);
        san.AddIpAddress(IPAddress.IPv6Loopback);
        var subject = new X500DistinguishedName($"CN={hostName}, O=Brisk development");
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = notBefore.AddYears(1);
        if (keyType == CredentialKeyType.Rsa)
        {
            using var rsa = RSA.Create(2048);
            var request = new CertificateRequest(subject, rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            AddServerExtensions(request, san, X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment);
            using var withKey = request.CreateSelfSigned(notBefore, notAfter);
            var leaf = X509CertificateLoader.LoadCertificate(withKey.RawData);
            return new ServerCertificate(leaf, [], new RsaServerKey(new RsaPrivateKey(rsa.ExportParameters(true)), rsaEngine));
        }
        var curve = keyType == CredentialKeyType.EcdsaP384 ? ECCurve.NamedCurves.nistP384 : ECCurve.NamedCurves.nistP256;
        using var ecdsa = ECDsa.Create(curve);
        var ecRequest = new CertificateRequest(subject, ecdsa, keyType == CredentialKeyType.EcdsaP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256);
        AddServerExtensions(ecRequest, san, X509KeyUsageFlags.DigitalSignature);
        using var ecWithKey = ecRequest.CreateSelfSigned(notBefore, notAfter);
        var ecLeaf = X509CertificateLoader.LoadCertificate(ecWithKey.RawData);
        return new ServerCertificate(ecLeaf, [], EcdsaServerKey.Create(ecdsa));
    }

    private static void AddServerExtensions(CertificateRequest request, SubjectAlternativeNameBuilder san, X509KeyUsageFlags usage)
    {
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
    }

    /// <summary>Reads a PEM bundle of trust anchors (client CAs).</summary>
    public static X509Certificate2Collection LoadTrustAnchors(string path)
    {
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigurationException($"client CA file '{path}': {ex.Message}", ex);
        }
        if (anchors.Count == 0)
            throw new ConfigurationException($"client CA file '{path}' holds no PEM certificate");
        return anchors;
    }
}
