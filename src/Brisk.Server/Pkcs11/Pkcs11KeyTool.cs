using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Server.Hosting;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;

namespace Brisk.Server.Pkcs11;

/// <summary>
/// <c>keys import</c> and <c>keys generate</c>: put a server key into a PKCS#11 token.
/// <para>Import follows the wrap-and-unwrap procedure: a fresh 128-bit AES key is created in the token as a
/// session object (CKA_TOKEN=false, gone at the latest when the session closes), the PKCS#8 private key is
/// wrapped under it on the host with AES Key Wrap with Padding (RFC 5649, CKM_AES_KEY_WRAP_PAD), unwrapped by
/// the token into a sensitive, non-extractable token object (C_UnwrapKey), and the wrapping key is destroyed.
/// Host copies of the key material are zeroed.</para>
/// <para>Generate makes the key pair in the token (it never exists elsewhere) and writes a self-signed
/// certificate or a CSR whose signature the token makes.</para>
/// </summary>
public static class Pkcs11KeyTool
{
    public static int Run(IReadOnlyList<string> args)
    {
        try
        {
            var rest = args.Skip(1).ToList();
            return args.Count > 0 ? args[0] switch
            {
                "import" => Import(ParseOptions(rest, ["--key", "--cert"])),
                "generate" => Generate(ParseOptions(rest, ["--type", "--self-signed", "--csr", "--out", "--days"])),
                _ => Usage(),
            } : Usage();
        }
        catch (ConfigurationException ex)
        {
            return Fail(ex.Message);
        }
        catch (Pkcs11Exception ex)
        {
            return Fail($"the token refused {ex.Method}: {ex.RV}");
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or System.Formats.Asn1.AsnContentException)
        {
            return Fail(Pkcs11Module.FirstLine(ex.Message));
        }
    }

    private static int Usage() => Fail("usage: keys import|generate --pkcs11-module PATH --token LABEL --object LABEL … (see --help)");

    private static Dictionary<string, string> ParseOptions(IReadOnlyList<string> args, string[] specific)
    {
        string[] common = ["--pkcs11-module", "--token", "--object", "--id", "--pkcs11-pin-file"];
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            if (!common.Contains(flag) && !specific.Contains(flag))
                throw new ConfigurationException($"unknown option {flag}");
            if (i + 1 >= args.Count)
                throw new ConfigurationException($"option {flag} needs a value");
            if (!options.TryAdd(flag, args[++i]))
                throw new ConfigurationException($"option {flag} given twice");
        }
        foreach (var required in new[] { "--pkcs11-module", "--token", "--object" })
            if (!options.ContainsKey(required))
                throw new ConfigurationException($"{required} is required");
        return options;
    }

    private static int Import(Dictionary<string, string> options)
    {
        if (!options.TryGetValue("--key", out var keyPath))
            throw new ConfigurationException("--key FILE.pem is required");
        string pem;
        try
        {
            pem = File.ReadAllText(keyPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"--key '{keyPath}': {ex.Message}");
        }
        using var hostKey = ImportPem(pem, keyPath);
        using var certificate = options.TryGetValue("--cert", out var certPath) ? LoadCertificateFor(certPath, hostKey) : null;
        byte[] pkcs8 = hostKey.ExportPkcs8PrivateKey();
        byte[] id = options.TryGetValue("--id", out var idHex) ? ParseId(idHex) : RandomNumberGenerator.GetBytes(8);
        string label = options["--object"];

        using var token = TokenSession.Open(options);
        var factory = token.Module.Factories.ObjectAttributeFactory;
        token.EnsureNoKeyLabelled(label);
        bool rsa = hostKey is RSA;

        // The 128-bit wrapping key: a session object, usable only for unwrapping, never readable.
        byte[] kek = RandomNumberGenerator.GetBytes(16);
        IObjectHandle? wrappingKey = null;
        byte[]? wrapped = null;
        try
        {
            wrappingKey = token.Session.CreateObject(
            [
                factory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY),
                factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
                factory.Create(CKA.CKA_TOKEN, false),
                factory.Create(CKA.CKA_PRIVATE, true),
                factory.Create(CKA.CKA_SENSITIVE, true),
                factory.Create(CKA.CKA_EXTRACTABLE, false),
                factory.Create(CKA.CKA_UNWRAP, true),
                factory.Create(CKA.CKA_WRAP, false),
                factory.Create(CKA.CKA_ENCRYPT, false),
                factory.Create(CKA.CKA_DECRYPT, false),
                factory.Create(CKA.CKA_LABEL, "brisk-import-wrapping-key"),
                factory.Create(CKA.CKA_VALUE, kek),
            ]);
            using (var aes = Aes.Create())
            {
                aes.Key = kek;
                wrapped = aes.EncryptKeyWrapPadded(pkcs8);
            }
            var privateTemplate = PrivateKeyTemplate(factory, rsa, label, id);
            // C_UnwrapKey needs the object's class and type; C_GenerateKeyPair derives them from the mechanism.
            privateTemplate.Insert(0, factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY));
            privateTemplate.Insert(1, factory.Create(CKA.CKA_KEY_TYPE, rsa ? CKK.CKK_RSA : CKK.CKK_EC));
            var mechanism = token.Module.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD);
            token.Session.UnwrapKey(mechanism, wrappingKey, wrapped, privateTemplate);
        }
        finally
        {
            if (wrappingKey is not null)
                token.Session.DestroyObject(wrappingKey);
            CryptographicOperations.ZeroMemory(kek);
            CryptographicOperations.ZeroMemory(pkcs8);
            if (wrapped is not null)
                CryptographicOperations.ZeroMemory(wrapped);
        }

        token.Session.CreateObject(PublicKeyTemplate(factory, hostKey, label, id));
        var uri = Pkcs11Uri.ForObject(options["--token"], label, id);
        Console.WriteLine($"imported {Describe(hostKey)} into the token as {uri} (sensitive, not extractable)");
        if (certificate is not null)
        {
            StoreCertificate(token, certificate, label, id);
            Console.WriteLine($"stored its certificate as {uri};type=cert");
        }
        return 0;
    }

    /// <summary>The leaf of a PEM file, which must carry <paramref name="key"/>'s public key.</summary>
    private static X509Certificate2 LoadCertificateFor(string path, AsymmetricAlgorithm key)
    {
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ConfigurationException($"--cert '{path}': {ex.Message}");
        }
        if (chain.Count == 0)
            throw new ConfigurationException($"--cert '{path}' holds no PEM certificate");
        var certificate = chain[0];
        if (!certificate.PublicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo()))
            throw new ConfigurationException($"--cert '{path}' is not the certificate of --key");
        return certificate;
    }

    /// <summary>An X.509 certificate object (CKO_CERTIFICATE, CKC_X_509) with the key's label and id, so one URI names both.</summary>
    private static void StoreCertificate(TokenSession token, X509Certificate2 certificate, string label, byte[] id)
    {
        var factory = token.Module.Factories.ObjectAttributeFactory;
        token.Session.CreateObject(
        [
            factory.Create(CKA.CKA_CLASS, CKO.CKO_CERTIFICATE),
            factory.Create(CKA.CKA_CERTIFICATE_TYPE, CKC.CKC_X_509),
            factory.Create(CKA.CKA_TOKEN, true),
            factory.Create(CKA.CKA_PRIVATE, false),
            factory.Create(CKA.CKA_LABEL, label),
            factory.Create(CKA.CKA_ID, id),
            factory.Create(CKA.CKA_SUBJECT, certificate.SubjectName.RawData),
            factory.Create(CKA.CKA_ISSUER, certificate.IssuerName.RawData),
            factory.Create(CKA.CKA_SERIAL_NUMBER, DerInteger(certificate.SerialNumberBytes.Span)),
            factory.Create(CKA.CKA_VALUE, certificate.RawData),
        ]);
    }

    /// <summary>CKA_SERIAL_NUMBER is the DER INTEGER of the serial number (PKCS#11 v2.40 §4.6.3).</summary>
    /// The bytes are the certificate's own INTEGER contents (RFC 5280 §4.1.2.2: at most 20 octets), copied as they are.
    private static byte[] DerInteger(ReadOnlySpan<byte> contents)
        => contents.Length is > 0 and < 128 ? [0x02, (byte)contents.Length, .. contents] : throw new ConfigurationException("the certificate's serial number is malformed");

    private static AsymmetricAlgorithm ImportPem(string pem, string path)
    {
        // PKCS#8 "PRIVATE KEY", "RSA PRIVATE KEY" or "EC PRIVATE KEY"; try RSA first, then EC.
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            if (rsa.KeySize < 2048)
                throw new ConfigurationException($"--key '{path}': a {rsa.KeySize}-bit RSA key; at least 2048 bits are required");
            return rsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
        }
        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportFromPem(pem);
            if (ecdsa.KeySize is not (256 or 384))
                throw new ConfigurationException($"--key '{path}': EC keys on P-256 or P-384 only");
            return ecdsa;
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            ecdsa.Dispose();
            throw new ConfigurationException($"--key '{path}': no unencrypted RSA or EC private key in PEM");
        }
    }

    /// <summary>
    /// A token private key that never leaves it (sensitive, not extractable) with least privilege: signing, and
    /// decryption only for RSA (TLS 1.2 key exchange); never unwrapping or derivation.
    /// </summary>
    private static List<IObjectAttribute> PrivateKeyTemplate(Net.Pkcs11Interop.HighLevelAPI.Factories.IObjectAttributeFactory factory, bool rsa, string label, byte[] id) =>
    [
        factory.Create(CKA.CKA_TOKEN, true),
        factory.Create(CKA.CKA_PRIVATE, true),
        factory.Create(CKA.CKA_SENSITIVE, true),
        factory.Create(CKA.CKA_EXTRACTABLE, false),
        factory.Create(CKA.CKA_SIGN, true),
        factory.Create(CKA.CKA_LABEL, label),
        factory.Create(CKA.CKA_ID, id),
        factory.Create(CKA.CKA_DECRYPT, rsa),
        factory.Create(CKA.CKA_UNWRAP, false),
        factory.Create(CKA.CKA_DERIVE, false),
    ];

    private static List<IObjectAttribute> PublicKeyTemplate(Net.Pkcs11Interop.HighLevelAPI.Factories.IObjectAttributeFactory factory, AsymmetricAlgorithm key, string label, byte[] id)
    {
        var template = new List<IObjectAttribute>
        {
            factory.Create(CKA.CKA_CLASS, CKO.CKO_PUBLIC_KEY),
            factory.Create(CKA.CKA_TOKEN, true),
            factory.Create(CKA.CKA_PRIVATE, false),
            factory.Create(CKA.CKA_VERIFY, true),
            factory.Create(CKA.CKA_LABEL, label),
            factory.Create(CKA.CKA_ID, id),
        };
        if (key is RSA rsa)
        {
            var parameters = rsa.ExportParameters(false);
            template.Add(factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA));
            template.Add(factory.Create(CKA.CKA_ENCRYPT, true));
            template.Add(factory.Create(CKA.CKA_MODULUS, parameters.Modulus!));
            template.Add(factory.Create(CKA.CKA_PUBLIC_EXPONENT, parameters.Exponent!));
        }
        else
        {
            var ecdsa = (ECDsa)key;
            var parameters = ecdsa.ExportParameters(false);
            template.Add(factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_EC));
            template.Add(factory.Create(CKA.CKA_EC_PARAMS, (ecdsa.KeySize == 256 ? Pkcs11ServerKey.P256Parameters : Pkcs11ServerKey.P384Parameters).ToArray()));
            // CKA_EC_POINT is the DER OCTET STRING of the uncompressed point (PKCS#11 v2.40 §2.3.3, X9.62).
            var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
            writer.WriteOctetString([0x04, .. parameters.Q.X!, .. parameters.Q.Y!]);
            template.Add(factory.Create(CKA.CKA_EC_POINT, writer.Encode()));
        }
        return template;
    }

    private static int Generate(Dictionary<string, string> options)
    {
        string type = options.TryGetValue("--type", out var t) ? t : throw new ConfigurationException("--type rsa2048|p256 is required");
        if (type is not ("rsa2048" or "rsa3072" or "p256" or "p384"))
            throw new ConfigurationException($"--type '{type}' is not rsa2048, rsa3072, p256 or p384");
        bool selfSigned = options.TryGetValue("--self-signed", out var selfSignedCn);
        bool csr = options.TryGetValue("--csr", out var csrCn);
        if (selfSigned == csr)
            throw new ConfigurationException("give exactly one of --self-signed CN and --csr CN");
        if (!options.TryGetValue("--out", out var output))
            throw new ConfigurationException("--out FILE.pem is required");
        int days = options.TryGetValue("--days", out var d) && int.TryParse(d, out int parsed) && parsed > 0 ? parsed
            : options.ContainsKey("--days") ? throw new ConfigurationException("--days must be a positive number") : 365;
        string label = options["--object"];
        byte[] id = options.TryGetValue("--id", out var idHex) ? ParseId(idHex) : RandomNumberGenerator.GetBytes(8);

        AsymmetricAlgorithm publicKey;
        using (var token = TokenSession.Open(options))
        {
            token.EnsureNoKeyLabelled(label);
            publicKey = GenerateKeyPair(token, type, label, id);
        }
        using var _ = publicKey;

        // The certificate is signed by the token: open the new key like the server does.
        var uri = Pkcs11Uri.ForObject(options["--token"], label, id);
        using var key = Pkcs11ServerKey.Open(options["--pkcs11-module"], uri, TokenSession.Pin(options), sessionCount: 1);
        var generator = new TokenSignatureGenerator(key, publicKey);
        string cn = (selfSigned ? selfSignedCn : csrCn)!;
        var subject = new X500DistinguishedName($"CN={cn}");
        var hash = key.KeyType == CredentialKeyType.EcdsaP384 ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;
        var request = new CertificateRequest(subject, generator.PublicKey, hash, publicKey is RSA ? RSASignaturePadding.Pkcs1 : null);
        var san = new SubjectAlternativeNameBuilder();
        if (IPAddress.TryParse(cn, out var address))
            san.AddIpAddress(address);
        else
            san.AddDnsName(cn);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            publicKey is RSA ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        string pemText;
        if (selfSigned)
        {
            var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
            byte[] serial = RandomNumberGenerator.GetBytes(16);
            serial[0] = (byte)(serial[0] & 0x7f | 0x01); // positive and minimal as a DER INTEGER (RFC 5280 §4.1.2.2)
            using var certificate = request.Create(subject, generator, notBefore, notBefore.AddDays(days), serial);
            pemText = certificate.ExportCertificatePem();
            using var token = TokenSession.Open(options);
            StoreCertificate(token, certificate, label, id);
        }
        else
        {
            pemText = request.CreateSigningRequestPem(generator);
        }
        File.WriteAllText(output, pemText + "\n");
        Console.WriteLine($"generated {Describe(publicKey)} in the token as {uri}; {(selfSigned ? "self-signed certificate (also stored in the token, type=cert)" : "certificate signing request")} signed by the token: {output}");
        return 0;
    }

    private static AsymmetricAlgorithm GenerateKeyPair(TokenSession token, string type, string label, byte[] id)
    {
        var factory = token.Module.Factories.ObjectAttributeFactory;
        bool rsa = type.StartsWith("rsa", StringComparison.Ordinal);
        var publicTemplate = new List<IObjectAttribute>
        {
            factory.Create(CKA.CKA_TOKEN, true),
            factory.Create(CKA.CKA_PRIVATE, false),
            factory.Create(CKA.CKA_VERIFY, true),
            factory.Create(CKA.CKA_LABEL, label),
            factory.Create(CKA.CKA_ID, id),
        };
        var privateTemplate = PrivateKeyTemplate(factory, rsa, label, id);
        IMechanism mechanism;
        if (rsa)
        {
            publicTemplate.Add(factory.Create(CKA.CKA_ENCRYPT, true));
            publicTemplate.Add(factory.Create(CKA.CKA_MODULUS_BITS, type == "rsa2048" ? 2048UL : 3072UL));
            publicTemplate.Add(factory.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 0x01, 0x00, 0x01 }));
            mechanism = token.Module.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN);
        }
        else
        {
            publicTemplate.Add(factory.Create(CKA.CKA_EC_PARAMS, (type == "p256" ? Pkcs11ServerKey.P256Parameters : Pkcs11ServerKey.P384Parameters).ToArray()));
            mechanism = token.Module.Factories.MechanismFactory.Create(CKM.CKM_EC_KEY_PAIR_GEN);
        }
        token.Session.GenerateKeyPair(mechanism, publicTemplate, privateTemplate, out var publicHandle, out _);
        if (rsa)
        {
            var attributes = token.Session.GetAttributeValue(publicHandle, [CKA.CKA_MODULUS, CKA.CKA_PUBLIC_EXPONENT]);
            var key = RSA.Create();
            key.ImportParameters(new RSAParameters { Modulus = attributes[0].GetValueAsByteArray(), Exponent = attributes[1].GetValueAsByteArray() });
            return key;
        }
        byte[] point = token.Session.GetAttributeValue(publicHandle, [CKA.CKA_EC_POINT])[0].GetValueAsByteArray();
        // DER OCTET STRING around 04 || X || Y (some tokens return the raw point; accept both).
        int field = type == "p256" ? 32 : 48;
        byte[] raw = point.Length == 2 * field + 1 && point[0] == 0x04
            ? point
            : System.Formats.Asn1.AsnDecoder.ReadOctetString(point, System.Formats.Asn1.AsnEncodingRules.DER, out _);
        if (raw.Length != 2 * field + 1 || raw[0] != 0x04)
            throw new ConfigurationException("the token returned an EC public key that is not an uncompressed point");
        var ecdsa = ECDsa.Create();
        ecdsa.ImportParameters(new ECParameters
        {
            Curve = type == "p256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384,
            Q = new ECPoint { X = raw[1..(1 + field)], Y = raw[(1 + field)..] },
        });
        return ecdsa;
    }

    private static string Describe(AsymmetricAlgorithm key) => key is RSA ? $"an RSA-{key.KeySize} key" : $"an EC P-{key.KeySize} key";

    private static byte[] ParseId(string hex)
    {
        try
        {
            return Convert.FromHexString(hex);
        }
        catch (FormatException)
        {
            throw new ConfigurationException($"--id '{hex}' is not hexadecimal");
        }
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"brisk keys: {message}");
        return 2;
    }

    /// <summary>A read-write, logged-in session on the named token, with the module reference it holds.</summary>
    private sealed class TokenSession : IDisposable
    {
        private TokenSession(Pkcs11Module module, ISession session)
        {
            Module = module;
            Session = session;
        }

        public Pkcs11Module Module { get; }

        public ISession Session { get; }

        public static string Pin(Dictionary<string, string> options) => Pkcs11Module.ReadPin(options.GetValueOrDefault("--pkcs11-pin-file"));

        public static TokenSession Open(Dictionary<string, string> options)
        {
            string pin = Pin(options);
            var module = Pkcs11Module.Acquire(options["--pkcs11-module"]);
            ISession? session = null;
            try
            {
                var slot = module.FindTokenSlot(Pkcs11Uri.ForObject(options["--token"], options["--object"]));
                session = slot.OpenSession(SessionType.ReadWrite);
                Pkcs11Module.Login(session, pin);
                return new TokenSession(module, session);
            }
            catch
            {
                session?.Dispose();
                module.Release();
                throw;
            }
        }

        public void EnsureNoKeyLabelled(string label)
        {
            var factory = Module.Factories.ObjectAttributeFactory;
            foreach (var objectClass in new[] { CKO.CKO_PRIVATE_KEY, CKO.CKO_PUBLIC_KEY })
            {
                if (Session.FindAllObjects([factory.Create(CKA.CKA_CLASS, objectClass), factory.Create(CKA.CKA_LABEL, label)]).Count > 0)
                    throw new ConfigurationException($"the token already holds a key labelled '{label}'; choose another --object");
            }
        }

        public void Dispose()
        {
            Session.Dispose();
            Module.Release();
        }
    }

    /// <summary>Signs certificates and CSRs with the token's key (the algorithm identifiers are .NET's).</summary>
    private sealed class TokenSignatureGenerator : X509SignatureGenerator
    {
        private readonly Pkcs11ServerKey _key;
        private readonly X509SignatureGenerator _identifiers;

        public TokenSignatureGenerator(Pkcs11ServerKey key, AsymmetricAlgorithm publicKey)
        {
            _key = key;
            // Only GetSignatureAlgorithmIdentifier and PublicKey are used from it: they need no private key.
            _identifiers = publicKey is RSA rsa
                ? CreateForRSA(rsa, RSASignaturePadding.Pkcs1)
                : CreateForECDsa((ECDsa)publicKey);
        }

        public override byte[] GetSignatureAlgorithmIdentifier(HashAlgorithmName hashAlgorithm) => _identifiers.GetSignatureAlgorithmIdentifier(hashAlgorithm);

        protected override PublicKey BuildPublicKey() => _identifiers.PublicKey;

        public override byte[] SignData(byte[] data, HashAlgorithmName hashAlgorithm)
        {
            // X.509 wants the same encodings as TLS: PKCS#1 v1.5 for sha256WithRSAEncryption, DER ECDSA-Sig-Value.
            SignatureScheme scheme = _key.KeyType switch
            {
                CredentialKeyType.Rsa when hashAlgorithm == HashAlgorithmName.SHA256 => SignatureScheme.RsaPkcs1Sha256,
                CredentialKeyType.Rsa when hashAlgorithm == HashAlgorithmName.SHA384 => SignatureScheme.RsaPkcs1Sha384,
                CredentialKeyType.EcdsaP256 when hashAlgorithm == HashAlgorithmName.SHA256 => SignatureScheme.EcdsaSecp256r1Sha256,
                CredentialKeyType.EcdsaP384 when hashAlgorithm == HashAlgorithmName.SHA384 => SignatureScheme.EcdsaSecp384r1Sha384,
                _ => throw new CryptographicException($"no signature for {_key.KeyType} with {hashAlgorithm}"),
            };
            byte[] signature = new byte[_key.MaxSignatureLength];
            int length = _key.SignAsync(scheme, data, signature, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            return signature[..length];
        }
    }
}
