using System.Diagnostics;
using System.Text;
using Brisk.Crypto.KeyExchange;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>
/// The server's key exchange comes from <see cref="KeyExchangeProviders.Default"/>: Brisk's native X25519
/// kernel when libbrisk_native.so is built (under CI=true it must be), libcrypto otherwise. The interop
/// tests (OpenSSL, curl, GnuTLS, Java, Chromium) then exercise whichever was chosen; this pins the choice
/// and runs one x25519 handshake per protocol version against OpenSSL with it.
/// </summary>
public sealed class NativeX25519ServerTests
{
    [Fact]
    public async Task Server_uses_the_native_x25519_kernel_when_built()
    {
        if (ExternalTool.IsCi)
            Assert.True(NativeKeyExchangeProvider.IsLibraryAvailable, "libbrisk_native.so with X25519 is required under CI=true");
        await using var server = await ServerFixture.StartAsync();
        Assert.Equal(NativeKeyExchangeProvider.IsLibraryAvailable ? "native" : "libcrypto", server.Configuration.Tls.KeyExchange.Name);
        Assert.True(server.Configuration.Tls.KeyExchange.IsSupported(NamedGroup.X25519));
        Assert.True(server.Configuration.Tls.KeyExchange.IsSupported(NamedGroup.Secp256r1));
    }

    [Fact]
    public async Task Real_process_finds_the_native_library_and_logs_its_key_exchange()
    {
        // The server binary must find libbrisk_native.so next to itself (the build copies it there), not
        // only the test process.
        string expected = NativeKeyExchangeProvider.IsLibraryAvailable ? "native" : "libcrypto";
        await RunServerAsync(AppContext.BaseDirectory, expected, handshake: false);
    }

    [Fact]
    public async Task Real_process_without_the_native_library_falls_back_to_libcrypto()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        // The server's files without libbrisk_native.so: it must start, say so, and still do x25519.
        string dir = Directory.CreateTempSubdirectory("brisk-no-native-").FullName;
        try
        {
            foreach (string file in Directory.EnumerateFiles(AppContext.BaseDirectory, "*", SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(AppContext.BaseDirectory, file);
                if (Path.GetFileName(file) == "libbrisk_native.so")
                    continue;
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(dir, relative))!);
                File.Copy(file, Path.Combine(dir, relative));
            }
            await RunServerAsync(dir, "libcrypto", handshake: true);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Starts Brisk.Server.dll from <paramref name="directory"/>, checks the key-exchange log line, optionally one TLS 1.3 x25519 request.</summary>
    private static async Task RunServerAsync(string directory, string expectedProvider, bool handshake)
    {
        var pki = TestCertificates.Instance;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { Path.Combine(directory, "Brisk.Server.dll"), "--listen", "127.0.0.1:0",
                     "--cert", pki.ServerEcdsaCert, "--key", pki.ServerEcdsaKey, "--responder", "http" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        try
        {
            var log = new StringBuilder();
            string? listening = null;
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            {
                while (listening is null)
                {
                    var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                    Assert.True(line is not null, log.ToString());
                    log.AppendLine(line);
                    if (line.StartsWith("listening on ", StringComparison.Ordinal))
                        listening = line["listening on ".Length..];
                }
            }
            Assert.Contains($"key exchange: {expectedProvider}", log.ToString());
            if (handshake)
            {
                var result = await ExternalTool.RunAsync("openssl", ["s_client", "-connect", listening, "-tls1_3", "-groups", "X25519", "-ign_eof"],
                    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
                Assert.Contains("Server Temp Key: X25519", result.StandardOutput);
                Assert.Contains("HTTP/1.1 200 OK", result.StandardOutput);
            }
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData("-tls1_3", "TLSv1.3")]
    [InlineData("-tls1_2", "TLSv1.2")]
    public async Task OpenSsl_agrees_on_x25519(string version, string expectedProtocol)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await ServerFixture.StartAsync();
        var result = await OpenSslClient.RunAsync(server, version, "-groups", "X25519");
        Assert.Contains("Server Temp Key: X25519", result.StandardOutput);
        Assert.True(result.StandardOutput.Contains($"brisk {expectedProtocol} "), result.ToString());
    }
}
