using System.Text.Json;

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
}
