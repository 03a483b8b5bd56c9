using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Client;
using Brisk.Tls.Protocol;

namespace Brisk.Bench.Handshake;

/// <summary>
/// <c>quick client-parts</c>: thread CPU time of the public-key steps a client pays per handshake (key share,
/// shared secret, server signature check with the cached certificate key, RSA pre-master encryption), to see
/// where the brisk engine's per-handshake CPU goes. No baseline: these are the parts of the total in
/// <c>quick handshake</c>'s client-cpu line.
/// </summary>
public sealed class ClientPartsQuick : IQuickCommand
{
    public string Area => "client-parts";

    public void Run(string[] args)
    {
        var rsaScenario = HandshakeScenario.Find("tls13-rsa");
        var ecScenario = HandshakeScenario.Find("tls13-ecdsa");
        ServerKeyCache cache = new();
        cache.TryGet(rsaScenario.Certificate.RawData, out var rsaKey);
        cache.TryGet(ecScenario.Certificate.RawData, out var ecKey);
        var content = RandomNumberGenerator.GetBytes(130);
        using var rsa = rsaScenario.Certificate.GetRSAPrivateKey()!;
        var pss = rsa.SignData(content, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
        using var ec = ecScenario.Certificate.GetECDsaPrivateKey()!;
        var ecdsa = ec.SignData(content, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        using var peer = KeyExchangeProviders.Default.Generate(NamedGroup.X25519);
        var peerPublic = peer.PublicKey.ToArray();
        var shared = new byte[32];
        var premaster = new byte[48];
        var key16 = new byte[16];

        Report("x25519-generate", () => KeyExchangeProviders.Default.Generate(NamedGroup.X25519).Dispose());
        Report("x25519-generate+derive", () =>
        {
            using var k = KeyExchangeProviders.Default.Generate(NamedGroup.X25519);
            k.TryDeriveSharedSecret(peerPublic, shared);
        });
        Report("rsa2048-pss-verify(cached key)", () => rsaKey!.Verify(SignatureScheme.RsaPssRsaeSha256, content, pss));
        Report("ecdsa-p256-verify(cached key)", () => ecKey!.Verify(SignatureScheme.EcdsaSecp256r1Sha256, content, ecdsa));
        Report("rsa2048-encrypt-premaster", () => rsaKey!.EncryptPremaster(premaster));
        Report("certificate-decode(uncached)", () => ServerPublicKey.TryDecode(rsaScenario.Certificate.RawData, out _));
        Report("aes128gcm-create(managed)", () => ManagedAeadProvider.Default.Create(AeadAlgorithm.Aes128Gcm, key16).Dispose());
        Report("aes128gcm-create(system)", () => SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes128Gcm, key16).Dispose());
    }

    private static void Report(string name, Action action)
    {
        for (int i = 0; i < 50; i++) action();
        double median = ThreadCpu.MedianMicrosecondsPerCall(action);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"PART {name} cpu_us={median:F1}"));
    }
}
