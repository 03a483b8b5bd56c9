using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Signing;
using Brisk.Tls.Client;
using Brisk.Tls.Protocol;

namespace Brisk.Bench.Handshake;

/// <summary>
/// <c>quick client-verify</c>: thread CPU time of the client's check of the server signature with a cached
/// certificate key, through .NET (RSA/ECDsa.VerifyData, the baseline) and through <see cref="PublicKeyVerifier"/>
/// (libcrypto directly; ECDSA with and without the precomputed table of the public point), as ratios to the
/// .NET figure measured in the same run.
/// </summary>
public sealed class ClientVerifyQuick : IQuickCommand
{
    public string Area => "client-verify";

    public void Run(string[] args)
    {
        var content = RandomNumberGenerator.GetBytes(130);
        var rsaScenario = HandshakeScenario.Find("tls13-rsa");
        var ecScenario = HandshakeScenario.Find("tls13-ecdsa");
        using var rsa = rsaScenario.Certificate.GetRSAPrivateKey()!;
        using var ec = ecScenario.Certificate.GetECDsaPrivateKey()!;
        var pss = rsa.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        var ecdsa = ec.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);

        ServerPublicKey.TryDecode(rsaScenario.Certificate.RawData, direct: false, out var rsaDotNet);
        ServerPublicKey.TryDecode(rsaScenario.Certificate.RawData, direct: true, out var rsaDirect);
        ServerPublicKey.TryDecode(ecScenario.Certificate.RawData, direct: false, out var ecDotNet);
        ServerPublicKey.TryDecode(ecScenario.Certificate.RawData, direct: true, out var ecDirect);
        var q = ec.ExportParameters(false).Q;
        using var noTable = PublicKeyVerifier.CreateEcdsa(NamedGroup.Secp256r1, q.X, q.Y, PublicKeyVerifier.NeverBuildTable);
        var digest = SHA256.HashData(content);

        double rsaBase = Report("rsa2048-pss-verify .NET", 0, () => rsaDotNet!.Verify(SignatureScheme.RsaPssRsaeSha256, content, pss));
        Report("rsa2048-pss-verify direct", rsaBase, () => rsaDirect!.Verify(SignatureScheme.RsaPssRsaeSha256, content, pss));
        double ecBase = Report("ecdsa-p256-verify .NET", 0, () => ecDotNet!.Verify(SignatureScheme.EcdsaSecp256r1Sha256, content, ecdsa));
        Report("ecdsa-p256-verify direct(table)", ecBase, () => ecDirect!.Verify(SignatureScheme.EcdsaSecp256r1Sha256, content, ecdsa));
        byte[] sValue = RandomNumberGenerator.GetBytes(31), inverse = new byte[32];
        Report("p256-order-inverse C#", 0, () => P256OrderInverse.TryInvert(sValue, inverse));
        if (noTable is not null)
            Report("ecdsa-p256-verify direct(no table)", ecBase, () => noTable.VerifyEcdsa(digest, ecdsa));
    }

    private static double Report(string name, double baseline, Func<bool> action)
    {
        // More than PublicKeyVerifier.DefaultTableAfterUses: the ECDSA table is in place before timing starts.
        for (int i = 0; i < 100; i++)
            if (!action()) throw new InvalidOperationException($"{name}: the signature does not verify");
        double median = ThreadCpu.MedianMicrosecondsPerCall(() => action());
        string ratio = baseline > 0 ? string.Create(CultureInfo.InvariantCulture, $" ratio_vs_dotnet={median / baseline:F2}") : "";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PART {name} cpu_us={median:F1}{ratio}"));
        return median;
    }
}
