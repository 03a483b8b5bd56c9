using System.Text.Json;
using Brisk.Crypto.Aead;
using Xunit.Abstractions;

namespace Brisk.Crypto.Tests.Aead;

/// <summary>
/// Every Wycheproof AES-GCM and ChaCha20-Poly1305 vector through every supported managed path.
/// Our interface takes only 12-byte nonces, 16-byte tags and AES-128/256 keys; other groups are counted
/// as not applicable, everything else must run.
/// </summary>
public class WycheproofAeadTests(ITestOutputHelper output)
{
    private sealed record Vector(int TcId, string Comment, byte[] Key, byte[] Iv, byte[] Aad, byte[] Msg, byte[] Ct, byte[] Tag, string Result);

    private sealed record Group(int KeySize, int IvSize, int TagSize, List<Vector> Tests);

    private static List<Group> Load(string file)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", file);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var groups = new List<Group>();
        foreach (var group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            var tests = new List<Vector>();
            foreach (var test in group.GetProperty("tests").EnumerateArray())
            {
                tests.Add(new Vector(
                    test.GetProperty("tcId").GetInt32(),
                    test.GetProperty("comment").GetString() ?? "",
                    Convert.FromHexString(test.GetProperty("key").GetString()!),
                    Convert.FromHexString(test.GetProperty("iv").GetString()!),
                    Convert.FromHexString(test.GetProperty("aad").GetString()!),
                    Convert.FromHexString(test.GetProperty("msg").GetString()!),
                    Convert.FromHexString(test.GetProperty("ct").GetString()!),
                    Convert.FromHexString(test.GetProperty("tag").GetString()!),
                    test.GetProperty("result").GetString()!));
            }
            groups.Add(new Group(group.GetProperty("keySize").GetInt32(), group.GetProperty("ivSize").GetInt32(),
                group.GetProperty("tagSize").GetInt32(), tests));
        }
        return groups;
    }

    [Theory]
    [MemberData(nameof(AeadTestPaths.Paths), MemberType = typeof(AeadTestPaths))]
    public void AesGcmVectors(string path) => Run(path, "aes_gcm_test.json", chacha: false);

    [Theory]
    [MemberData(nameof(AeadTestPaths.Paths), MemberType = typeof(AeadTestPaths))]
    public void ChaCha20Poly1305Vectors(string path) => Run(path, "chacha20_poly1305_test.json", chacha: true);

    private void Run(string pathName, string file, bool chacha)
    {
        var provider = AeadTestPaths.Provider(pathName);
        int total = 0, run = 0, valid = 0, invalid = 0;
        foreach (var group in Load(file))
        {
            foreach (var test in group.Tests)
            {
                total++;
                bool applicable = group.IvSize == 96 && group.TagSize == 128
                    && test.Iv.Length == 12 && test.Tag.Length == 16
                    && (chacha ? test.Key.Length == 32 : test.Key.Length is 16 or 32);
                if (!applicable)
                {
                    // Not applicable must mean a size our interface cannot express, never a skipped valid case of ours.
                    Assert.True(group.IvSize != 96 || group.TagSize != 128 || group.KeySize == 192, $"tcId {test.TcId} skipped");
                    continue;
                }
                run++;
                var algorithm = chacha ? AeadAlgorithm.ChaCha20Poly1305
                    : test.Key.Length == 16 ? AeadAlgorithm.Aes128Gcm : AeadAlgorithm.Aes256Gcm;
                using var aead = provider.Create(algorithm, test.Key);
                var plaintext = new byte[test.Ct.Length];
                plaintext.AsSpan().Fill(0xA5);
                bool opened = aead.Open(test.Iv, test.Ct, test.Tag, plaintext, test.Aad);
                if (test.Result == "valid")
                {
                    valid++;
                    Assert.True(opened, $"tcId {test.TcId} ({test.Comment}) failed to open");
                    Assert.Equal(test.Msg, plaintext);
                    var ciphertext = new byte[test.Msg.Length];
                    var tag = new byte[16];
                    aead.Seal(test.Iv, test.Msg, ciphertext, tag, test.Aad);
                    Assert.Equal(test.Ct, ciphertext);
                    Assert.Equal(test.Tag, tag);
                }
                else
                {
                    Assert.Equal("invalid", test.Result);
                    invalid++;
                    Assert.False(opened, $"tcId {test.TcId} ({test.Comment}) opened");
                    Assert.All(plaintext, b => Assert.Equal(0, b));
                }
            }
        }
        Assert.True(valid > 0 && invalid > 0, $"{file}: {valid} valid, {invalid} invalid of {total}");
        output.WriteLine($"{file} on {pathName}: {run} run ({valid} valid, {invalid} invalid), {total - run} not applicable");
    }
}
