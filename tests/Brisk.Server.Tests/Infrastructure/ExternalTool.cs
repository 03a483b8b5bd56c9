using System.Diagnostics;
using System.Text;

namespace Brisk.Server.Tests.Infrastructure;

/// <summary>
/// Runs real TLS clients (openssl, curl, gnutls-cli) as processes. A missing tool fails the test under
/// CI (CI=true) and only skips it on a developer machine, so CI can never pass by not testing.
/// </summary>
public static class ExternalTool
{
    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Returns false (the test should return) when the tool is missing outside CI; throws under CI.</summary>
    public static bool Require(string tool)
    {
        if (Find(tool) is not null)
            return true;
        if (IsCi)
            throw new InvalidOperationException($"required tool '{tool}' is not installed (CI must install it in .ci/run)");
        Console.WriteLine($"SKIPPED: '{tool}' is not installed");
        return false;
    }

    public static string? Find(string tool)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var path = Path.Combine(dir, tool);
            if (File.Exists(path))
                return path;
        }
        return null;
    }

    /// <summary>
    /// Runs an interactive client, writing each chunk of input after a pause (clients such as s_client
    /// read their commands per read call), then closing standard input.
    /// </summary>
    public static async Task<ToolResult> RunInteractiveAsync(string tool, IEnumerable<string> arguments, IEnumerable<string> inputChunks, TimeSpan pause, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            foreach (var chunk in inputChunks)
            {
                await Task.Delay(pause);
                await process.StandardInput.WriteAsync(chunk);
                await process.StandardInput.FlushAsync();
            }
            await Task.Delay(pause);
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The client exited early; its output says why.
        }
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        return new ToolResult(process.HasExited ? process.ExitCode : -1, await stdout, await stderr);
    }

    public static async Task<ToolResult> RunAsync(string tool, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            info.ArgumentList.Add(argument);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {tool}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            await process.StandardInput.FlushAsync();
        }
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            return new ToolResult(-1, await stdout, await stderr + $"\n[killed after {timeout ?? TimeSpan.FromSeconds(20)}]");
        }
        return new ToolResult(process.ExitCode, await stdout, await stderr);
    }
}

public sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string All => StandardOutput + "\n" + StandardError;

    public override string ToString()
    {
        var text = new StringBuilder();
        text.AppendLine($"exit {ExitCode}");
        text.AppendLine("--- stdout ---").AppendLine(StandardOutput);
        text.AppendLine("--- stderr ---").AppendLine(StandardError);
        return text.ToString();
    }
}
