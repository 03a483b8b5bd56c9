using System.Security.Cryptography;

namespace Brisk.Server.Tests.Pkcs11;

/// <summary>
/// The host side of <c>keys import</c> wraps with .NET's Aes.EncryptKeyWrapPadded; these are the RFC 5649 §6
/// vectors, so the wrapping is the standard one a token's CKM_AES_KEY_WRAP_PAD unwraps.
/// </summary>
public sealed class KeyWrapTests
{
    private static readonly byte[] Kek = Convert.FromHexString("5840df6e29b02af1ab493b705bf16ea1ae8338f4dcc176a8");

    [Theory]
    [InlineData("c37b7e6492584340bed12207808941155068f738", "138bdeaa9b8fa7fc61f97742e72248ee5ae6ae5360d1ae6a5f54f373fa543b6a")]
    [InlineData("466f7250617369", "afbeb0f07dfbf5419200f2ccb50bb24f")]
    public void Rfc_5649_vectors(string keyHex, string wrappedHex)
    {
        using var aes = Aes.Create();
        aes.Key = Kek;
        byte[] wrapped = aes.EncryptKeyWrapPadded(Convert.FromHexString(keyHex));
        Assert.Equal(wrappedHex, Convert.ToHexString(wrapped).ToLowerInvariant());
        Assert.Equal(keyHex, Convert.ToHexString(aes.DecryptKeyWrapPadded(wrapped)).ToLowerInvariant());
    }

    [Fact]
    public void A_tampered_wrapping_does_not_unwrap()
    {
        using var aes = Aes.Create();
        aes.Key = RandomNumberGenerator.GetBytes(16);
        byte[] wrapped = aes.EncryptKeyWrapPadded(RandomNumberGenerator.GetBytes(1217));
        wrapped[^1] ^= 1;
        Assert.ThrowsAny<CryptographicException>(() => aes.DecryptKeyWrapPadded(wrapped));
    }
}
