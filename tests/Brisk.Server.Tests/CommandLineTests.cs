using System.Diagnostics;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests;

/// <summary>The server's command-line contract, run as the real process (the built Brisk.Server.dll).</summary>
public sealed class CommandLineTests
{
    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll");

    private static Task<ToolResult> RunServerAsync(params string[] arguments) =>
        ExternalTool.RunAsync("dotnet", [ServerDll, .. arguments], timeout: TimeSpan.FromSeconds(30));

    [Theory]
    [InlineData(new[] { "--bogus" }, "unknown option --bogus")]
    [InlineData(new[] { "--listen" }, "option --listen needs a value")]
    [InlineData(new[] { "--listen", "nonsense" }, "Listen: 'nonsense' is not IP:PORT")]
    [InlineData(new[] { "--cert", "/nonexistent/cert.pem", "--key", "/nonexistent/key.pem" }, "certificate file '/nonexistent/cert.pem'")]
    [InlineData(new[] { "--cert", "/nonexistent/cert.pem" }, "--cert and --key must come in pairs")]
    [InlineData(new[] { "--client-auth", "sometimes" }, "ClientAuth: 'sometimes' is not one of none, optional, require")]
    [InlineData(new[] { "--client-auth", "require" }, "ClientCa: client authentication needs --client-ca FILE")]
    [InlineData(new[] { "--responder", "gopher" }, "Responder: unknown responder 'gopher'")]
    [InlineData(new[] { "--ciphers", "TLS_RSA_WITH_RC4_128_SHA" }, "Ciphers: 'TLS_RSA_WITH_RC4_128_SHA' is not a supported suite")]
    [InlineData(new[] { "--groups", "ffdhe2048" }, "Groups: unknown group 'ffdhe2048'")]
    [InlineData(new[] { "--tls-versions", "1.0" }, "TlsVersions: 1.0 is insecure and not supported")]
    [InlineData(new[] { "--handshake-timeout", "soon" }, "HandshakeTimeout: 'soon' is not a duration")]
    [InlineData(new[] { "--pkcs11-module", "/usr/lib/softhsm/libsofthsm2.so" }, "Pkcs11Module: set, but no --key is a pkcs11: URI")]
    [InlineData(new[] { "--pkcs11-sessions", "1000" }, "Pkcs11Sessions: 1 to 256 sessions per key")]
    [InlineData(new[] { "--pkcs11-pin-file" }, "option --pkcs11-pin-file needs a value")]
    [InlineData(new[] { "--cert", "/nonexistent/cert.pem", "--key", "pkcs11:token=t;object=o" }, "Key 'pkcs11:token=t;object=o': a pkcs11: key needs --pkcs11-module PATH")]
    [InlineData(new[] { "--cert", "/nonexistent/cert.pem", "--key", "pkcs11:token=t;object=o;bad=1", "--pkcs11-module", "/nonexistent/m.so" }, "Key 'pkcs11:token=t;object=o;bad=1': not a valid PKCS#11 URI (unknown attribute 'bad')")]
    [InlineData(new[] { "--max-connections", "-1" }, "MaxConnections: must be 0 (no limit) or positive")]
    [InlineData(new[] { "--max-handshakes", "many" }, "'MaxHandshakes'")]
    [InlineData(new[] { "--idle-timeout", "soon" }, "IdleTimeout: 'soon' is not a duration")]
    [InlineData(new[] { "--handshake-rate-limit", "fast" }, "HandshakeRateLimit: 'fast' is not a positive rate")]
    [InlineData(new[] { "--handshake-rate-burst", "5" }, "HandshakeRateBurst: set, but HandshakeRateLimit is not")]
    [InlineData(new[] { "--metrics", "nonsense" }, "Metrics: 'nonsense' is not IP:PORT")]
    [InlineData(new[] { "--log-format", "xml" }, "LogFormat: 'xml' is not simple or json")]
    [InlineData(new[] { "--access-log", "/nonexistent/dir/access.log" }, "AccessLog: directory '/nonexistent/dir' does not exist")]
    [InlineData(new[] { "--unknown-sni", "maybe" }, "UnknownSni: 'maybe' is not default or reject")]
    [InlineData(new[] { "--cert-dir", "/nonexistent/certs" }, "CertDir: cannot read directory '/nonexistent/certs'")]
    [InlineData(new[] { "--config", "/nonexistent/brisk.json" }, "ConfigFile: '/nonexistent/brisk.json' does not exist")]
    [InlineData(new[] { "--watch", "sometimes" }, "WatchFiles: 'sometimes' is not on or off")]
    [InlineData(new[] { "--rsa-fiat-batch", "9" }, "RsaFiatBatch: 2 to 8 keys per Fiat root")]
    [InlineData(new[] { "--rsa-fiat-batch", "1" }, "RsaFiatBatch: 2 to 8 keys per Fiat root")]
    [InlineData(new[] { "--x25519-batch", "maybe" }, "X25519Batch: 'maybe' is not on or off")]
    public async Task Bad_options_give_one_line_and_nonzero_exit(string[] arguments, string expected)
    {
        var result = await RunServerAsync(arguments);
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", result.All); // no stack trace
    }

    [Fact]
    public async Task Unreadable_pkcs11_pin_file_is_named()
    {
        var pki = TestCertificates.Instance;
        var result = await RunServerAsync("--cert", pki.ServerRsaCert, "--key", "pkcs11:token=t;object=o",
            "--pkcs11-module", "/nonexistent/libpkcs11.so", "--pkcs11-pin-file", "/nonexistent/pin");
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("Pkcs11PinFile: '/nonexistent/pin'", line);
    }

    [Fact]
    public async Task Key_that_does_not_match_its_certificate_is_refused()
    {
        var pki = TestCertificates.Instance;
        var result = await RunServerAsync("--cert", pki.ServerRsaCert, "--key", pki.ClientRsaKey);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("does not match the certificate", result.StandardError);
    }

    [Fact]
    public async Task Starts_prints_listening_and_stops_on_sigterm()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var pki = TestCertificates.Instance;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { ServerDll, "--listen", "127.0.0.1:0", "--cert", pki.ServerEcdsaCert, "--key", pki.ServerEcdsaKey, "--responder", "http" })
            info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string? listening = null;
        using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
        {
            while (listening is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(cts.Token);
                Assert.NotNull(line);
                if (line.StartsWith("listening on ", StringComparison.Ordinal))
                    listening = line["listening on ".Length..];
            }
        }
        var result = await ExternalTool.RunAsync("openssl",
            ["s_client", "-connect", listening, "-tls1_2", "-ign_eof"], OpenSslClientRequest);
        Assert.Contains("brisk TLSv1.2 TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", result.StandardOutput);

        // SIGTERM: the host stops accepting and exits cleanly within the drain bound.
        Process.Start("kill", ["-TERM", process.Id.ToString()])!.WaitForExit();
        using var exitWait = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await process.WaitForExitAsync(exitWait.Token);
        Assert.Equal(0, process.ExitCode);
    }

    [Theory]
    [InlineData("--max-connections", "100", "MaxConnections")]
    [InlineData("--max-handshakes", "8", "MaxHandshakes")]
    [InlineData("--idle-timeout", "2m", "IdleTimeout")]
    [InlineData("--handshake-rate-limit", "20/s", "HandshakeRateLimit")]
    [InlineData("--handshake-rate-burst", "40", "HandshakeRateBurst")]
    [InlineData("--metrics", "127.0.0.1:9464", "Metrics")]
    [InlineData("--log-format", "json", "LogFormat")]
    [InlineData("--access-log", "stdout", "AccessLog")]
    public void Operations_flags_map_to_their_configuration_keys(string flag, string value, string key)
    {
        Assert.True(CommandLine.TryParse([flag, value], out var settings, out var error, out _), error);
        Assert.Equal(value, settings[key]);
    }

    [Fact]
    public void Operations_settings_are_validated_into_values()
    {
        var settings = OperationsSettings.Build(new BriskServerOptions
        {
            MaxConnections = 100, MaxHandshakes = 8, IdleTimeout = "off", HandshakeRateLimit = "20/s",
            Metrics = "[::1]:9464", LogFormat = "JSON", AccessLog = "stdout",
        });
        Assert.Equal(100, settings.MaxConnections);
        Assert.Equal(8, settings.MaxHandshakes);
        Assert.Null(settings.IdleTimeout);
        Assert.Equal(20, settings.HandshakeRatePerSecond);
        Assert.Equal(20, settings.HandshakeRateBurst); // the burst defaults to one second's worth
        Assert.Equal(System.Net.IPEndPoint.Parse("[::1]:9464"), settings.MetricsEndpoint);
        Assert.Equal("json", settings.LogFormat);
        Assert.Equal(TimeSpan.FromMinutes(5), OperationsSettings.Build(new BriskServerOptions()).IdleTimeout);
    }

    [Fact]
    public async Task Metrics_port_in_use_is_one_line_and_nonzero_exit()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        var result = await RunServerAsync("--listen", "127.0.0.1:0", "--metrics", $"127.0.0.1:{port}");
        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"brisk: Metrics: cannot serve on 127.0.0.1:{port}", result.StandardError);
        Assert.DoesNotContain("Unhandled exception", result.All);
    }

    private const string OpenSslClientRequest = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    [Fact]
    public async Task Help_lists_the_contract()
    {
        var result = await RunServerAsync("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var flag in new[] { "--listen", "--cert", "--key", "--client-auth", "--client-ca", "--responder", "--ciphers", "--groups", "--tls-versions",
                     "--max-connections", "--max-handshakes", "--idle-timeout", "--handshake-rate-limit", "--handshake-rate-burst", "--metrics", "--log-format", "--access-log",
                     "--cert-dir", "--unknown-sni", "--config", "--watch" })
            Assert.Contains(flag, result.StandardOutput);
    }
}
