using System.Security.Cryptography;
using System.Text.Json;
using Brisk.Crypto.Rsa;

namespace Brisk.Crypto.Tests.Rsa;

/// <summary>
/// Wycheproof rsa_pkcs1_2048_test.json (RSAES-PKCS1-v1_5 decryption) through the raw engine and the
/// constant-time decoder, and through the TLS pre-master path (none of the vectors is a valid TLS
/// pre-master, so that path must return a fresh random secret for every one of them).
/// </summary>
public sealed class WycheproofRsaPkcs1DecryptTests
{
    public sealed record Vector(int TcId, string Comment, RsaPrivateKey Key, byte[] Ciphertext, byte[] Message, bool Valid)
    {
        public override string ToString() => $"tc{TcId} {Comment}";
    }

    private static readonly Lazy<IReadOnlyList<Vector>> Vectors = new(Load);

    public static IEnumerable<object[]> All => Vectors.Value.Select(v => new object[] { v.TcId });

    private static IReadOnlyList<Vector> Load()
    {
        using var stream = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Vectors", "rsa_pkcs1_2048_test.json"));
        using var document = JsonDocument.Parse(stream);
        var vectors = new List<Vector>();
        foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var json = group.GetProperty("privateKey");
            int k = (group.GetProperty("keySize").GetInt32() + 7) / 8;
            byte[] Hex(string name, int length) => RsaMath.ToFixedLength(Convert.FromHexString(json.GetProperty(name).GetString()!), length);
            var key = new RsaPrivateKey(new RSAParameters
            {
                Modulus = Hex("modulus", k),
                Exponent = RsaMath.ToFixedLength(Convert.FromHexString(json.GetProperty("publicExponent").GetString()!), 3),
                D = Hex("privateExponent", k),
                P = Hex("prime1", k / 2),
                Q = Hex("prime2", k / 2),
                DP = Hex("exponent1", k / 2),
                DQ = Hex("exponent2", k / 2),
                InverseQ = Hex("coefficient", k / 2),
            });
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                string result = test.GetProperty("result").GetString()!;
                Assert.True(result is "valid" or "invalid", $"unexpected result '{result}'");
                vectors.Add(new Vector(
                    test.GetProperty("tcId").GetInt32(),
                    test.GetProperty("comment").GetString()!,
                    key,
                    Convert.FromHexString(test.GetProperty("ct").GetString()!),
                    Convert.FromHexString(test.GetProperty("msg").GetString()!),
                    result == "valid"));
            }
        }
        return vectors;
    }

    [Fact]
    public void AllVectorsLoaded() => Assert.Equal(67, Vectors.Value.Count);

    [Theory]
    [MemberData(nameof(All))]
    public async Task DecryptionMatchesVector(int tcId)
    {
        Vector v = Vectors.Value.Single(x => x.TcId == tcId);
        int k = v.Key.ModulusLength;
        // RFC 8017 §7.2.2 step 1 (length) and RSADP's range check (§5.1.2) come first; both are public.
        bool formatOk = v.Ciphertext.Length == k && RsaMath.IsLessThanModulus(v.Ciphertext, v.Key.Modulus);
        int good = 0;
        byte[] message = new byte[k];
        int length = 0;
        if (formatOk)
        {
            byte[] raw = new byte[k];
            await SystemRsaEngine.Instance.PrivateAsync(v.Key, v.Ciphertext, raw);
            good = Pkcs1V15Encryption.Decode(raw, message, out length);
        }
        if (v.Valid)
        {
            Assert.Equal(-1, good);
            Assert.Equal(v.Message, message.AsSpan(0, length).ToArray());
        }
        else
        {
            Assert.Equal(0, good);
            Assert.Equal(0, length);
            Assert.All(message, b => Assert.Equal(0, b));
        }
    }

    [Theory]
    [MemberData(nameof(All))]
    public async Task TlsPremasterPathReturnsRandomForEveryVector(int tcId)
    {
        Vector v = Vectors.Value.Single(x => x.TcId == tcId);
        Assert.NotEqual(48, v.Valid ? v.Message.Length : -1);
        byte[] first = new byte[48], second = new byte[48];
        ushort version = v.Message.Length >= 2 ? (ushort)(v.Message[0] << 8 | v.Message[1]) : (ushort)0x0303;
        await TlsPremasterSecret.DecryptPremasterAsync(SystemRsaEngine.Instance, v.Key, v.Ciphertext, version, first);
        await TlsPremasterSecret.DecryptPremasterAsync(SystemRsaEngine.Instance, v.Key, v.Ciphertext, version, second);
        Assert.NotEqual(first, second);
    }

    [Fact]
    public void DecoderRejectsMessageLongerThanBuffer()
    {
        const int k = 64;
        byte[] em = new byte[k];
        em[1] = 2;
        em.AsSpan(2, 8).Fill(0x55);
        // Separator at 10: the message is the remaining 53 bytes.
        em.AsSpan(11).Fill(0x33);
        Assert.Equal(-1, Pkcs1V15Encryption.Decode(em, new byte[53], out int length));
        Assert.Equal(53, length);
        Assert.Equal(0, Pkcs1V15Encryption.Decode(em, new byte[52], out length));
        Assert.Equal(0, length);
        em[9] = 0; // PS only 7 bytes
        Assert.Equal(0, Pkcs1V15Encryption.Decode(em, new byte[64], out _));
    }
}
