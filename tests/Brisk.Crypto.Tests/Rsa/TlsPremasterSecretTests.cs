using System.Security.Cryptography;
using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

public sealed class TlsPremasterSecretTests
{
    private const ushort Tls12 = 0x0303;

    private static byte[] NewPremaster(ushort version)
    {
        var premaster = new byte[48];
        RandomNumberGenerator.Fill(premaster);
        premaster[0] = (byte)(version >> 8);
        premaster[1] = (byte)version;
        return premaster;
    }

    /// <summary>A valid EME-PKCS1-v1_5 encoding of <paramref name="message"/> into k bytes (RFC 8017 §7.2.1).</summary>
    private static byte[] Encode(int k, ReadOnlySpan<byte> message)
    {
        var em = new byte[k];
        em[1] = 0x02;
        int separator = k - message.Length - 1;
        for (int i = 2; i < separator; i++)
        {
            do em[i] = (byte)RandomNumberGenerator.GetInt32(256); while (em[i] == 0);
        }
        message.CopyTo(em.AsSpan(separator + 1));
        return em;
    }

    private static byte[] DecodeTwice(byte[] raw, ushort version, out byte[] second)
    {
        var first = new byte[48];
        second = new byte[48];
        TlsPremasterSecret.Decode(raw, version, first);
        TlsPremasterSecret.Decode(raw, version, second);
        return first;
    }

    [Theory]
    [InlineData(128)]
    [InlineData(256)]
    [InlineData(512)]
    [InlineData(59)] // the smallest modulus that fits: PS is exactly 8 bytes
    public void ValidEncodingDecodes(int k)
    {
        byte[] premaster = NewPremaster(Tls12);
        byte[] decoded = DecodeTwice(Encode(k, premaster), Tls12, out byte[] again);
        Assert.Equal(premaster, decoded);
        Assert.Equal(premaster, again);
    }

    public static TheoryData<string> Corruptions => new()
    {
        "first byte 1", "block type 1", "block type 0", "zero in padding start", "zero in padding end",
        "no separator", "message 47 bytes", "message 49 bytes", "major version", "minor version", "TLS 1.0 version",
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void InvalidEncodingGivesFreshRandomSecret(string corruption)
    {
        const int k = 256;
        byte[] premaster = NewPremaster(Tls12);
        byte[] em = Encode(k, premaster);
        ushort version = Tls12;
        switch (corruption)
        {
            case "first byte 1": em[0] = 1; break;
            case "block type 1": em[1] = 1; break;
            case "block type 0": em[1] = 0; break;
            case "zero in padding start": em[2] = 0; break;
            case "zero in padding end": em[k - 50] = 0; break;
            case "no separator": em[k - 49] = 0x17; break;
            case "message 47 bytes": em = Encode(k, premaster.AsSpan(0, 47)); break;
            case "message 49 bytes": em = Encode(k, [.. premaster, 0x42]); break;
            case "major version": em[k - 48] ^= 0x01; break;
            case "minor version": em[k - 47] ^= 0x01; break;
            case "TLS 1.0 version": version = 0x0301; break;
            default: throw new ArgumentOutOfRangeException(nameof(corruption));
        }
        byte[] decoded = DecodeTwice(em, version, out byte[] again);
        Assert.NotEqual(premaster, decoded);
        Assert.NotEqual(decoded, again); // random each time, not a deterministic function of the input
        Assert.NotEqual(premaster.AsSpan(2).ToArray(), decoded.AsSpan(2).ToArray());
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(2048)]
    [InlineData(4096)]
    public async Task EndToEndWithDotNetEncryption(int bits)
    {
        var (rsa, key) = RsaTestKeys.Get(bits);
        byte[] premaster = NewPremaster(Tls12);
        byte[] encrypted = rsa.Encrypt(premaster, RSAEncryptionPadding.Pkcs1);
        byte[] decoded = new byte[48];
        await TlsPremasterSecret.DecryptPremasterAsync(SystemRsaEngine.Instance, key, encrypted, Tls12, decoded);
        Assert.Equal(premaster, decoded);

        // The same ciphertext with a different ClientHello.client_version is a rollback: random secret.
        await TlsPremasterSecret.DecryptPremasterAsync(SystemRsaEngine.Instance, key, encrypted, 0x0302, decoded);
        Assert.NotEqual(premaster, decoded);
    }

    public static TheoryData<string> BadCiphertexts => new() { "short", "long", "equal to n", "above n", "empty", "padding" };

    [Theory]
    [MemberData(nameof(BadCiphertexts))]
    public async Task BadCiphertextGivesRandomSecretWithoutException(string kind)
    {
        var (rsa, key) = RsaTestKeys.Get(2048);
        byte[] premaster = NewPremaster(Tls12);
        byte[] encrypted = rsa.Encrypt(premaster, RSAEncryptionPadding.Pkcs1);
        byte[] ciphertext = kind switch
        {
            "short" => encrypted[1..],
            "long" => [0, .. encrypted],
            "equal to n" => key.Modulus.ToArray(),
            "above n" => Enumerable.Repeat((byte)0xff, key.ModulusLength).ToArray(),
            "empty" => [],
            // A valid RSA ciphertext whose plaintext has signature padding (block type 1).
            "padding" => RsaTestKeys.RawPublic(key, BlockType1(key.ModulusLength, premaster)),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };
        byte[] first = new byte[48], second = new byte[48];
        await TlsPremasterSecret.DecryptPremasterAsync(SystemRsaEngine.Instance, key, ciphertext, Tls12, first);
        await TlsPremasterSecret.DecryptPremasterAsync(SystemRsaEngine.Instance, key, ciphertext, Tls12, second);
        Assert.NotEqual(premaster, first);
        Assert.NotEqual(first, second);
    }

    private static byte[] BlockType1(int k, byte[] message)
    {
        byte[] em = Encode(k, message);
        em[1] = 0x01;
        return em;
    }

    [Fact]
    public void LessThanModulusIsExact()
    {
        var key = RsaTestKeys.Key(1024);
        Assert.True(RsaMath.IsLessThanModulus(RsaTestKeys.ModulusMinus(key, 1), key.Modulus));
        Assert.False(RsaMath.IsLessThanModulus(key.Modulus, key.Modulus));
        byte[] above = key.Modulus.ToArray();
        above[^1]++;
        if (above[^1] != 0)
            Assert.False(RsaMath.IsLessThanModulus(above, key.Modulus));
        Assert.True(RsaMath.IsLessThanModulus(new byte[key.ModulusLength], key.Modulus));
        Assert.False(RsaMath.IsLessThanModulus(new byte[key.ModulusLength - 1], key.Modulus));
    }
}
