using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Brisk.LoadTest.Tests;

/// <summary>Whether an external tool is present; under CI=true a missing tool must fail the test, never skip it.</summary>
internal static class ExternalTools
{
    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static string? Find(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string path = Path.Combine(dir, name);
            if (File.Exists(path)) return path;
        }
        return null;
    }
}

/// <summary>A [Fact] that is skipped when openssl is missing — except under CI=true, where the test runs and fails.</summary>
public sealed class OpenSslFactAttribute : FactAttribute
{
    public OpenSslFactAttribute()
    {
        if (!ExternalTools.InCi && ExternalTools.Find("openssl") is null) Skip = "openssl not installed (this fails under CI=true)";
    }
}

/// <summary>[Theory] counterpart of <see cref="OpenSslFactAttribute"/>.</summary>
public sealed class OpenSslTheoryAttribute : TheoryAttribute
{
    public OpenSslTheoryAttribute()
    {
        if (!ExternalTools.InCi && ExternalTools.Find("openssl") is null) Skip = "openssl not installed (this fails under CI=true)";
    }
}

/// <summary>`openssl s_server -www` on an ephemeral loopback port with a fresh RSA-2048 certificate in a temp dir.</summary>
internal sealed class OpenSslServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    public int Port { get; }
    public int Pid => _process.Id;
    /// <summary>The server's self-signed certificate (CN=localhost), usable as the CA file for --verify.</summary>
    public string CertificatePath => Path.Combine(_dir, "cert.pem");

    private OpenSslServer(Process process, string dir, int port)
    {
        _process = process;
        _dir = dir;
        Port = port;
    }

    public static OpenSslServer Start(params string[] extraArgs) => Start(null, extraArgs);

    /// <summary>Starts s_server; <paramref name="prepare"/> may create more files in the temp dir and returns extra arguments.</summary>
    public static OpenSslServer Start(Func<string, string, string[]>? prepare, params string[] extraArgs)
    {
        string openssl = ExternalTools.Find("openssl")
            ?? throw new InvalidOperationException("openssl is not installed but this test needs it (CI=true forbids skipping)");
        string dir = Directory.CreateTempSubdirectory("brisk-loadtest-").FullName;
        string cert = Path.Combine(dir, "cert.pem"), key = Path.Combine(dir, "key.pem");
        Run(openssl, ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=localhost", "-days", "2"]);

        if (prepare is not null) extraArgs = [.. extraArgs, .. prepare(openssl, dir)];
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int port = FreePort();
            var psi = new ProcessStartInfo(openssl)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
            };
            foreach (string a in (string[])["s_server", "-accept", $"127.0.0.1:{port}", "-cert", cert, "-key", key, "-www", "-quiet", .. extraArgs])
                psi.ArgumentList.Add(a);
            var p = Process.Start(psi)!;
            p.OutputDataReceived += (_, _) => { };
            p.ErrorDataReceived += (_, _) => { };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            if (WaitListening(port, p)) return new OpenSslServer(p, dir, port);
            try { p.Kill(); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        throw new InvalidOperationException("openssl s_server did not start listening");
    }

    internal static void Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {err}");
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static bool WaitListening(int port, Process p)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (p.HasExited) return false;
            try
            {
                using var c = new TcpClient();
                c.Connect(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException) { Thread.Sleep(50); }
        }
        return false;
    }

    public void Dispose()
    {
        try { if (!_process.HasExited) { _process.Kill(); _process.WaitForExit(5000); } }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
