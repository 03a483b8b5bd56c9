using System.Security.Cryptography;
using Brisk.Server.Pkcs11;

namespace Brisk.Server.Tests.Pkcs11;

/// <summary>CKM_ECDSA's r || s turned into the DER ECDSA-Sig-Value TLS carries (RFC 8422 §5.4, RFC 3279 §2.2.3).</summary>
public sealed class EcdsaSignatureEncodingTests
{
    [Fact]
    public void Leading_zeros_are_dropped_and_a_high_bit_gets_a_zero_byte()
    {
        byte[] raw = new byte[64];
        raw[2] = 0x01; // r = 0x01 followed by 29 zero bytes: two leading zero bytes dropped
        raw[32] = 0x80; // s has its high bit set: INTEGER needs a leading 0x00 to stay positive
        Span<byte> der = stackalloc byte[72];
        int length = Pkcs11ServerKey.EncodeDerSignature(raw, der);
        byte[] expected = [0x30, 2 + 30 + 2 + 33, 0x02, 30, .. raw[2..32], 0x02, 33, 0x00, .. raw[32..]];
        Assert.Equal(expected, der[..length].ToArray());
    }

    [Fact]
    public void Encoded_signatures_verify_as_der()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        byte[] data = [1, 2, 3];
        Span<byte> der = stackalloc byte[72];
        for (int i = 0; i < 300; i++)
        {
            byte[] raw = key.SignData(data, HashAlgorithmName.SHA256, DSASignatureFormat.IeeeP1363FixedFieldConcatenation);
            int length = Pkcs11ServerKey.EncodeDerSignature(raw, der);
            Assert.True(key.VerifyData(data, der[..length], HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    public void A_malformed_token_answer_is_an_error_not_a_crash(int length)
    {
        byte[] output = new byte[80];
        Assert.Throws<CryptographicException>(() => Pkcs11ServerKey.EncodeDerSignature(new byte[length], output));
    }
}
