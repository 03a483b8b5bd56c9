using System.Text.Json;
using Brisk.Crypto.KeyExchange;

namespace Brisk.Crypto.Tests.KeyExchange;

/// <summary>Reads the Wycheproof JSON files copied into Vectors/ (output directory).</summary>
internal static class PlatformVectors
{
    public sealed record Case(int TcId, string Result, string[] Flags, JsonElement Test, JsonElement Group)
    {
        public byte[] Hex(string name) => Convert.FromHexString(Test.GetProperty(name).GetString()!);

        public string Describe => $"tcId {TcId} ({Result}; {string.Join(",", Flags)})";
    }

    public static IEnumerable<Case> Load(string fileName)
    {
        string path = Path.Combine(AppContext.BaseDirectory, "Vectors", fileName);
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var cases = new List<Case>();
        foreach (JsonElement group in document.RootElement.GetProperty("testGroups").EnumerateArray())
        {
            foreach (JsonElement test in group.GetProperty("tests").EnumerateArray())
            {
                string[] flags = test.TryGetProperty("flags", out var f) ? f.EnumerateArray().Select(x => x.GetString()!).ToArray() : [];
                cases.Add(new Case(test.GetProperty("tcId").GetInt32(), test.GetProperty("result").GetString()!, flags,
                    test.Clone(), group.Clone()));
            }
        }
        return cases;
    }

    /// <summary>
    /// Runs every case of Wycheproof's x25519_test.json through a key imported by <paramref name="import"/>: an
    /// all-zero ("ZeroSharedSecret") or invalid case must be refused and leave the output all zero (it is pre-filled
    /// with 0xA5, so a partial output would show); every other case must give exactly the vector's shared secret.
    /// Returns the counts, for each caller's own bounds.
    /// </summary>
    public static (int Total, int Agreed, int Rejected) CheckX25519(Func<byte[], IEphemeralKey> import)
    {
        int agreed = 0, rejected = 0, total = 0;
        foreach (var v in Load("x25519_test.json"))
        {
            total++;
            using var key = import(v.Hex("private"));
            var secret = new byte[32];
            secret.AsSpan().Fill(0xA5);
            bool ok = key.TryDeriveSharedSecret(v.Hex("public"), secret);
            byte[] expected = v.Hex("shared");
            if (v.Flags.Contains("ZeroSharedSecret") || v.Result == "invalid")
            {
                Assert.False(ok, v.Describe);
                Assert.Equal(new byte[32], expected); // the vectors' "shared" is the refused all-zero value
                Assert.Equal(new byte[32], secret);   // and a refused derive leaves no partial output
                rejected++;
            }
            else
            {
                Assert.True(ok, v.Describe);
                Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(secret));
                agreed++;
            }
        }
        return (total, agreed, rejected);
    }
}
