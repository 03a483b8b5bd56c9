using System.Security.Cryptography;
using Brisk.Server.Hosting;

namespace Brisk.Server.Tests.Sni;

/// <summary>The managed RSA key reader used for fast loading gives exactly what the platform import gives, and refuses inconsistent keys.</summary>
public sealed class RsaKeyPemTests
{
    private static readonly Lazy<RSA> Key = new(() => RSA.Create(2048));

    [Theory]
    [InlineData("pkcs8")]
    [InlineData("pkcs1")]
    public void Reads_the_same_parameters_as_the_platform(string format)
    {
        var pem = format == "pkcs8" ? Key.Value.ExportPkcs8PrivateKeyPem() : Key.Value.ExportRSAPrivateKeyPem();
        Assert.True(RsaKeyPem.TryRead(pem, out var parameters));
        var expected = Key.Value.ExportParameters(true);
        Assert.Equal(expected.Modulus, parameters.Modulus);
        Assert.Equal(expected.Exponent, parameters.Exponent);
        Assert.Equal(expected.D, parameters.D);
        Assert.Equal(expected.P, parameters.P);
        Assert.Equal(expected.Q, parameters.Q);
        Assert.Equal(expected.DP, parameters.DP);
        Assert.Equal(expected.DQ, parameters.DQ);
        Assert.Equal(expected.InverseQ, parameters.InverseQ);
    }

    [Fact]
    public void Other_keys_are_left_to_the_platform_import()
    {
        using var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        Assert.False(RsaKeyPem.TryRead(ec.ExportPkcs8PrivateKeyPem(), out _));
        Assert.False(RsaKeyPem.TryRead("no PEM here", out _));
        var encrypted = Key.Value.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes128Cbc, HashAlgorithmName.SHA256, 1000));
        Assert.False(RsaKeyPem.TryRead(encrypted, out _));
    }

    [Theory]
    [InlineData("P")]
    [InlineData("DP")]
    [InlineData("InverseQ")]
    [InlineData("D")]
    public void A_key_whose_values_do_not_fit_together_is_refused(string field)
    {
        var parameters = Key.Value.ExportParameters(true);
        var target = field switch { "P" => parameters.P!, "DP" => parameters.DP!, "InverseQ" => parameters.InverseQ!, _ => parameters.D! };
        target[^1] ^= 0x02; // one flipped bit, as a damaged file would have
        // The platform would refuse to import it; write the DER by hand instead (values with their padding zeros trimmed, as DER wants).
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            writer.WriteInteger(0);
            foreach (var value in new[] { parameters.Modulus!, parameters.Exponent!, parameters.D!, parameters.P!, parameters.Q!, parameters.DP!, parameters.DQ!, parameters.InverseQ! })
                writer.WriteIntegerUnsigned(WithoutLeadingZeros(value));
        }
        var pem = PemEncoding.WriteString("RSA PRIVATE KEY", writer.Encode());
        var error = Assert.Throws<ConfigurationException>(() => RsaKeyPem.TryRead(pem, out _));
        Assert.Contains("inconsistent", error.Message);
    }

    private static ReadOnlySpan<byte> WithoutLeadingZeros(byte[] value)
    {
        int first = value.AsSpan().IndexOfAnyExcept((byte)0);
        return first < 0 ? value.AsSpan(value.Length - 1) : value.AsSpan(first);
    }
}
