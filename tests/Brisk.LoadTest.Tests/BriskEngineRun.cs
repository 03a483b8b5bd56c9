using System.Globalization;
using System.Text.Json;

namespace Brisk.LoadTest.Tests;

/// <summary>Runs the load generator in process with the brisk engine and reads back its RESULT line and JSON report.</summary>
internal static class BriskEngineRun
{
    public static async Task<(int Exit, string Output, Dictionary<string, string> Result, JsonElement Json)> RunAsync(params string[] args)
    {
        string json = Path.Combine(Path.GetTempPath(), $"brisk-lt-{Guid.NewGuid():N}.json");
        try
        {
            var output = new StringWriter(CultureInfo.InvariantCulture);
            int exit = await LoadTestApp.RunAsync([.. args, "--engine", "brisk", "--json", json], output, output, false, CancellationToken.None);
            string text = output.ToString();
            string last = text.TrimEnd().Split('\n')[^1];
            Assert.True(last.StartsWith("RESULT ", StringComparison.Ordinal), text);
            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            return (exit, text, ReportMath.ParseResultLine(last), doc.RootElement.Clone());
        }
        finally { File.Delete(json); }
    }

    public static long Handshakes(JsonElement json) => json.GetProperty("handshakes").GetInt64();

    public static long Errors(JsonElement json) => json.GetProperty("errors").GetInt64();
}
