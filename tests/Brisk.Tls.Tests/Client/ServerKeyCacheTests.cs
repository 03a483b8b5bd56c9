using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Tls.Client;

namespace Brisk.Tls.Tests.Client;

/// <summary>
/// The load generator's client decodes each server certificate's key once. A server with a Fiat key family
/// serves up to 8 certificates in turn; a cache smaller than that decoded a key on most handshakes.
/// </summary>
public sealed class ServerKeyCacheTests
{
    private static byte[] SelfSigned(RSA key, int serial)
    {
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        using var certificate = request.Create(request.SubjectName, X509SignatureGenerator.CreateForRSA(key, RSASignaturePadding.Pkcs1),
            DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), [(byte)serial, 1]);
        return certificate.RawData;
    }

    [Fact]
    public void Eight_certificates_served_in_turn_are_decoded_once_each()
    {
        using var key = RSA.Create(2048);
        var certificates = Enumerable.Range(1, 8).Select(i => SelfSigned(key, i)).ToArray();
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
    public void A_certificate_that_does_not_parse_is_refused_and_not_cached()
    {
        var cache = new ServerKeyCache();
        Assert.False(cache.TryGet([0x30, 0x03, 0x02, 0x01, 0x01], out _));
        Assert.Equal(0, cache.Decodes);
    }
}
