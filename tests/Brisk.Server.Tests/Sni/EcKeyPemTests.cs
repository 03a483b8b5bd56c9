using System.Security.Cryptography;
using Brisk.Server.Hosting;

namespace Brisk.Server.Tests.Sni;

/// <summary>The managed EC key reader used for fast loading gives what the platform import gives, and leaves what it does not know to it.</summary>
public sealed class EcKeyPemTests
{
    [Theory]
    [InlineData("pkcs8", 256)]
    [InlineData("sec1", 256)]
    [InlineData("pkcs8", 384)]
    [InlineData("sec1", 384)]
    public void Reads_the_same_parameters_as_the_platform(string format, int bits)
    {
        using var key = ECDsa.Create(bits == 256 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384);
        var pem = format == "pkcs8" ? key.ExportPkcs8PrivateKeyPem() : key.ExportECPrivateKeyPem();
        Assert.True(EcKeyPem.TryRead(pem, out var parameters));
        var expected = key.ExportParameters(true);
        Assert.Equal(expected.D, parameters.D);
        Assert.Equal(expected.Q.X, parameters.Q.X);
        Assert.Equal(expected.Q.Y, parameters.Q.Y);
        Assert.Equal(bits == 256 ? "1.2.840.10045.3.1.7" : "1.3.132.0.34", parameters.Curve.Oid.Value);
    }

    [Fact]
    public void Other_keys_are_left_to_the_platform_import()
    {
        using var p521 = ECDsa.Create(ECCurve.NamedCurves.nistP521);
        Assert.False(EcKeyPem.TryRead(p521.ExportPkcs8PrivateKeyPem(), out _));
        using var rsa = RSA.Create(2048);
        Assert.False(EcKeyPem.TryRead(rsa.ExportPkcs8PrivateKeyPem(), out _));
        using var p256 = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(EcKeyPem.TryRead(p256.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000)), out _));
    }

    [Fact]
    public void A_key_whose_point_is_not_its_own_is_refused_when_the_key_is_made()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var parameters = key.ExportParameters(true);
        parameters.Q = other.ExportParameters(false).Q;
        Assert.Throws<CryptographicException>(() => Brisk.Tls.Credentials.EcdsaServerKey.Create(parameters));
    }
}
