using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using Brisk.Crypto.Signing;
using Brisk.Crypto;
using Brisk.Tls.Client;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Client;

/// <summary>
/// The client's cached server keys: one decode per certificate, no confusion between certificates of the same
/// shape, and the direct libcrypto verifier agreeing with the .NET path on good and bad signatures.
/// </summary>
public sealed class ServerKeyCacheTests
{
    private static readonly byte[] Content = BuildContent();

    public static TheoryData<string> Kinds => new() { "p256", "p384", "rsa" };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void SameCertificateDecodesOnceAndDifferentCertificatesOfTheSameShapeAreNotConfused(string kind)
    {
        var (certA, signA) = Create(kind);
        var (certB, signB) = Create(kind);
        var cache = new ServerKeyCache();
        Assert.True(cache.TryGet(certA.RawData, out var keyA));
        Assert.True(cache.TryGet(certA.RawData.AsSpan().ToArray(), out var keyAAgain));
        Assert.Same(keyA, keyAAgain);
        Assert.Equal(1, cache.Decodes);
        Assert.True(cache.TryGet(certB.RawData, out var keyB));
        Assert.NotSame(keyA, keyB);
        Assert.Equal(2, cache.Decodes);

        foreach (var scheme in SchemesFor(kind))
        {
            byte[] byA = signA(scheme), byB = signB(scheme);
            Assert.True(keyA!.Verify(scheme, Content, byA), $"{scheme}");
            Assert.True(keyB!.Verify(scheme, Content, byB), $"{scheme}");
            Assert.False(keyA.Verify(scheme, Content, byB), $"{scheme}: B's signature under A's key");
            Assert.False(keyB.Verify(scheme, Content, byA), $"{scheme}: A's signature under B's key");
        }
    }

    [Fact]
    public void AFullCacheStillFindsEveryKeyByItsOwnCertificate()
    {
        var cache = new ServerKeyCache();
        var certificates = Enumerable.Range(0, 6).Select(_ => Create("p256")).ToArray();
        foreach (var (certificate, sign) in certificates)
        {
            Assert.True(cache.TryGet(certificate.RawData, out var key));
            Assert.True(key!.Verify(SignatureScheme.EcdsaSecp256r1Sha256, Content, sign(SignatureScheme.EcdsaSecp256r1Sha256)));
        }
        // Older entries were replaced; asking again decodes again and still yields the right key.
        var (first, signFirst) = certificates[0];
        Assert.True(cache.TryGet(first.RawData, out var again));
        Assert.True(again!.Verify(SignatureScheme.EcdsaSecp256r1Sha256, Content, signFirst(SignatureScheme.EcdsaSecp256r1Sha256)));
        Assert.True(cache.Decodes >= 6);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void DirectVerifierAgreesWithDotNetOnGoodAndTamperedSignatures(string kind)
    {
        var (certificate, sign) = Create(kind);
        Assert.True(ServerPublicKey.TryDecode(certificate.RawData, direct: true, out var direct));
        Assert.True(ServerPublicKey.TryDecode(certificate.RawData, direct: false, out var dotnet));
        Assert.Equal(PublicKeyVerifier.IsSupported, direct!.UsesDirectVerifier);
        Assert.False(dotnet!.UsesDirectVerifier);
        foreach (var scheme in SchemesFor(kind))
        {
            byte[] signature = sign(scheme);
            Assert.True(direct.Verify(scheme, Content, signature), $"{scheme}");
            Assert.True(dotnet.Verify(scheme, Content, signature), $"{scheme}");
            for (int bit = 0; bit < signature.Length * 8; bit += 37)
            {
                byte[] flipped = (byte[])signature.Clone();
                flipped[bit / 8] ^= (byte)(1 << (bit % 8));
                Assert.False(direct.Verify(scheme, Content, flipped), $"{scheme} bit {bit}");
                Assert.False(dotnet.Verify(scheme, Content, flipped), $"{scheme} bit {bit}");
            }
            byte[] otherContent = (byte[])Content.Clone();
            otherContent[^1] ^= 1;
            Assert.False(direct.Verify(scheme, otherContent, signature));
            Assert.False(dotnet.Verify(scheme, otherContent, signature));
        }
        // A scheme that does not fit the key is refused by both, without an exception.
        var wrong = kind == "rsa" ? SignatureScheme.EcdsaSecp256r1Sha256 : SignatureScheme.RsaPssRsaeSha256;
        Assert.False(direct.Verify(wrong, Content, sign(SchemesFor(kind)[0])));
        Assert.False(dotnet.Verify(wrong, Content, sign(SchemesFor(kind)[0])));
    }

    private static SignatureScheme[] SchemesFor(string kind) => kind switch
    {
        "p256" => [SignatureScheme.EcdsaSecp256r1Sha256],
        "p384" => [SignatureScheme.EcdsaSecp384r1Sha384],
        _ =>
        [
            SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384, SignatureScheme.RsaPssRsaeSha512,
            SignatureScheme.RsaPkcs1Sha256, SignatureScheme.RsaPkcs1Sha384, SignatureScheme.RsaPkcs1Sha512,
        ],
    };

    /// <summary>A self-signed certificate and a signer of <see cref="Content"/> with its key.</summary>
    private static (X509Certificate2 Certificate, Func<SignatureScheme, byte[]> Sign) Create(string kind)
    {
        if (kind == "rsa")
        {
            var rsa = RSA.Create(2048);
            var request = new CertificateRequest("CN=cache test rsa", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            return (certificate, scheme =>
            {
                var hash = Brisk.Tls.Credentials.SignatureSchemes.HashOf(scheme);
                var padding = scheme is SignatureScheme.RsaPkcs1Sha256 or SignatureScheme.RsaPkcs1Sha384 or SignatureScheme.RsaPkcs1Sha512
                    ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss;
                return rsa.SignData(Content, hash, padding);
            });
        }
        var ecdsa = ECDsa.Create(kind == "p256" ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        var ecRequest = new CertificateRequest($"CN=cache test {kind}", ecdsa, kind == "p256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384);
        var ecCertificate = ecRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        return (ecCertificate, scheme => ecdsa.SignData(Content, Brisk.Tls.Credentials.SignatureSchemes.HashOf(scheme), DSASignatureFormat.Rfc3279DerSequence));
    }

    private static byte[] BuildContent()
    {
        // The shape of a TLS 1.3 CertificateVerify input (RFC 8446 §4.4.3): 64 spaces, context, 0, a hash.
        var content = new byte[64 + 33 + 1 + 32];
        content.AsSpan(0, 64).Fill(0x20);
        "TLS 1.3, server CertificateVerify"u8.CopyTo(content.AsSpan(64));
        RandomNumberGenerator.Fill(content.AsSpan(98));
        return content;
    }

    private static byte[] SelfSignedWithSerial(RSA key, int serial)
    {
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), [(byte)serial, 1]);
        return certificate.RawData;
    }

    /// <summary>
    /// A server with a Fiat key family serves up to 8 certificates of one modulus in turn; a cache smaller than
    /// that (it held 4) decoded a key on most handshakes and made the client the bottleneck.
    /// </summary>
    [Fact]
    public void EightCertificatesServedInTurnAreDecodedOnceEach()
    {
        using var key = RSA.Create(2048);
        var certificates = Enumerable.Range(1, 8).Select(i => SelfSignedWithSerial(key, i)).ToArray();
        var cache = new ServerKeyCache();
        for (int round = 0; round < 5; round++)
        {
            foreach (var der in certificates)
            {
                Assert.True(cache.TryGet(der, out var decoded));
                Assert.NotNull(decoded);
            }
        }
        Assert.Equal(8, cache.Decodes);
    }

    [Fact]
    public void ACertificateThatDoesNotParseIsRefusedAndNotCached()
    {
        var cache = new ServerKeyCache();
        Assert.False(cache.TryGet([0x30, 0x03, 0x02, 0x01, 0x01], out _));
        Assert.Equal(0, cache.Decodes);
    }
}
