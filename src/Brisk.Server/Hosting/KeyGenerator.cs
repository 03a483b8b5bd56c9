using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Rsa;

namespace Brisk.Server.Hosting;

/// <summary>
/// <c>keygen --batch N --bits B --out DIR</c>: a key family for the Fiat batch RSA engine (Shacham &amp;
/// Boneh): one modulus shared by N keys with distinct small public exponents (3, 5, 7, 11, …), each with a
/// self-signed certificate for localhost. Public CAs require e = 65537, so such keys are for private PKI
/// and benchmarks.
/// </summary>
public static class KeyGenerator
{
    public static int Run(IReadOnlyList<string> args)
    {
        int batch = 4, bits = 2048;
        string? output = null;
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            if (i + 1 >= args.Count)
                return Fail($"option {flag} needs a value");
            string value = args[++i];
            switch (flag)
            {
                case "--batch" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out batch) && batch is >= 2 and <= 8:
                    break;
                case "--batch":
                    return Fail("--batch must be 2 to 8");
                case "--bits" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out bits) && bits is 1024 or 2048 or 3072 or 4096:
                    break;
                case "--bits":
                    return Fail("--bits must be 1024, 2048, 3072 or 4096");
                case "--out":
                    output = value;
                    break;
                default:
                    return Fail($"unknown keygen option {flag}");
            }
        }
        if (output is null)
            return Fail("keygen needs --out DIR");

        Directory.CreateDirectory(output);
        var keys = FiatKeyFamily.Generate(bits, batch);
        for (int i = 0; i < keys.Length; i++)
        {
            using var rsa = RSA.Create();
            rsa.ImportParameters(keys[i].Parameters);
            var request = new CertificateRequest($"CN=localhost, O=Brisk Fiat key {i}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("localhost");
            san.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
            string certPath = Path.Combine(output, $"fiat-{i}.crt");
            string keyPath = Path.Combine(output, $"fiat-{i}.key");
            File.WriteAllText(certPath, certificate.ExportCertificatePem());
            File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(keyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Console.WriteLine($"{certPath} {keyPath} e={new System.Numerics.BigInteger(keys[i].Parameters.Exponent, isUnsigned: true, isBigEndian: true)}");
        }
        Console.WriteLine($"key family: {batch} keys sharing one {bits}-bit modulus; serve them with --rsa-engine fiat and one --cert/--key pair each");
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"brisk keygen: {message}");
        return 2;
    }
}
