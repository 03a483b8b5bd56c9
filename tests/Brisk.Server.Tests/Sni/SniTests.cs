using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Brisk.Server.Tests.Sni;

/// <summary>
/// SNI against a <c>--cert-dir</c> with OpenSSL's s_client <c>-servername</c> (RFC 6066 §3): exact names,
/// one-label wildcards (RFC 6125 §6.4.3), key type within a name's set, the default certificate for unknown
/// names, and unrecognized_name under <c>--unknown-sni reject</c>. The certificate the client saw is compared
/// by SHA-256 fingerprint with the one written.
/// </summary>
public sealed class SniTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("brisk-sni-").FullName;
    private readonly Dictionary<string, string> _fingerprints = [];

    public SniTests()
    {
        _fingerprints["default"] = SniCertificates.Write(_directory, "default", ["default.example.net"], combined: true);
        _fingerprints["exact"] = SniCertificates.Write(_directory, "exact", ["exact.example.com", "alias.example.org"]);
        _fingerprints["wild"] = SniCertificates.Write(_directory, "wild", ["*.wild.example.com"]);
        _fingerprints["dual-rsa"] = SniCertificates.Write(_directory, "dual-rsa", ["dual.example.com"], rsa: true);
        _fingerprints["dual-ecdsa"] = SniCertificates.Write(_directory, "dual-ecdsa", ["dual.example.com"]);
        _fingerprints["legacy"] = SniCertificates.Write(_directory, "legacy", [], commonName: "legacy.example.com");
        // Neither a certificate nor a key: ignored by the directory rule.
        File.WriteAllText(Path.Combine(_directory, "README.txt"), "not a certificate");
    }

    internal static async Task<(ToolResult Result, string? Sha256)> ConnectAsync(string address, string? serverName, params string[] extra)
    {
        var arguments = new List<string> { "s_client", "-connect", address, "-ign_eof" };
        arguments.AddRange(serverName is null ? ["-noservername"] : ["-servername", serverName]);
        arguments.AddRange(extra);
        var result = await ExternalTool.RunAsync("openssl", arguments, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        return (result, FingerprintOf(result.StandardOutput));
    }

    /// <summary>SHA-256 of the "Server certificate" PEM block s_client prints, or null when there was none.</summary>
    internal static string? FingerprintOf(string output)
    {
        int begin = output.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
        int end = output.IndexOf("-----END CERTIFICATE-----", StringComparison.Ordinal);
        if (begin < 0 || end < begin)
            return null;
        using var certificate = X509Certificate2.CreateFromPem(output.AsSpan(begin, end + "-----END CERTIFICATE-----".Length - begin));
        return Convert.ToHexString(certificate.GetCertHash(HashAlgorithmName.SHA256));
    }

    private Task<ServerFixture> StartAsync(string unknownSni = "default") => ServerFixture.StartAsync(o =>
    {
        o.Certificates = [];
        o.CertDir = _directory;
        o.UnknownSni = unknownSni;
    });

    [Theory]
    [InlineData("exact.example.com", "exact")]
    [InlineData("EXACT.Example.COM", "exact")]
    [InlineData("alias.example.org", "exact")]
    [InlineData("a.wild.example.com", "wild")]
    [InlineData("b.wild.example.com", "wild")]
    [InlineData("a.b.wild.example.com", "default")]   // a wildcard stands for one label only
    [InlineData("wild.example.com", "default")]
    [InlineData("legacy.example.com", "legacy")]      // subject CN, the certificate having no SAN
    [InlineData("unknown.example.com", "default")]
    [InlineData(null, "default")]
    public async Task Server_name_selects_the_certificate(string? serverName, string expected)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync();
        var (result, sha256) = await ConnectAsync(server.Address, serverName);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.3"), result.ToString());
        Assert.Equal(_fingerprints[expected], sha256);
    }

    [Theory]
    [InlineData("ECDHE-RSA-AES128-GCM-SHA256", "dual-rsa")]
    [InlineData("ECDHE-ECDSA-AES128-GCM-SHA256", "dual-ecdsa")]
    [InlineData("AES128-GCM-SHA256", "dual-rsa")]
    public async Task Tls12_suite_picks_the_key_type_within_the_name_set(string cipher, string expected)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync();
        var (result, sha256) = await ConnectAsync(server.Address, "dual.example.com", "-tls1_2", "-cipher", cipher);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.2"), result.ToString());
        Assert.Equal(_fingerprints[expected], sha256);
    }

    [Theory]
    [InlineData("rsa_pss_rsae_sha256", "dual-rsa")]
    [InlineData("ecdsa_secp256r1_sha256", "dual-ecdsa")]
    public async Task Tls13_signature_algorithms_pick_the_key_type_within_the_name_set(string sigalgs, string expected)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync();
        var (result, sha256) = await ConnectAsync(server.Address, "dual.example.com", "-tls1_3", "-sigalgs", sigalgs);
        Assert.True(result.StandardOutput.Contains("brisk TLSv1.3"), result.ToString());
        Assert.Equal(_fingerprints[expected], sha256);
    }

    [Theory]
    [InlineData("-tls1_3")]
    [InlineData("-tls1_2")]
    public async Task Unknown_name_under_reject_gets_unrecognized_name(string version)
    {
        if (!ExternalTool.Require("openssl"))
            return;
        await using var server = await StartAsync("reject");
        var (rejected, sha256) = await ConnectAsync(server.Address, "unknown.example.com", version);
        Assert.Null(sha256);
        // OpenSSL reports alert 112 (RFC 6066 §3) as "unrecognized name".
        Assert.True(rejected.StandardError.Contains("unrecognized name", StringComparison.OrdinalIgnoreCase), rejected.ToString());

        var (accepted, acceptedSha256) = await ConnectAsync(server.Address, "x.wild.example.com", version);
        Assert.True(accepted.StandardOutput.Contains("brisk TLSv1."), accepted.ToString());
        Assert.Equal(_fingerprints["wild"], acceptedSha256);
    }

    [Fact]
    public void Directory_rule_pairs_files_by_base_name()
    {
        var pairs = CertificateLoader.ListDirectory(_directory);
        Assert.Equal(["default", "dual-ecdsa", "dual-rsa", "exact", "legacy", "wild"], pairs.Select(p => p.BaseName));
        var combined = pairs.Single(p => p.BaseName == "default");
        Assert.Equal(combined.Cert, combined.Key);
        Assert.EndsWith("exact.key", pairs.Single(p => p.BaseName == "exact").Key);
    }

    [Fact]
    public void A_certificate_without_its_key_names_the_file()
    {
        File.WriteAllText(Path.Combine(_directory, "orphan.crt"), File.ReadAllText(Path.Combine(_directory, "exact.crt")));
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(new BriskServerOptions { CertDir = _directory }));
        Assert.Contains("orphan.crt", error.Message);
        Assert.Contains("no orphan.key", error.Message);
    }

    [Fact]
    public void A_bad_key_in_the_directory_names_the_file()
    {
        File.WriteAllText(Path.Combine(_directory, "wild.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(new BriskServerOptions { CertDir = _directory }));
        Assert.StartsWith("CertDir: key file '", error.Message);
        Assert.Contains("wild.key", error.Message);
    }

    [Fact]
    public void A_key_on_an_unsupported_curve_is_a_configuration_error_naming_the_file()
    {
        var (certificate, key, _) = SniCertificates.Create("p521.example.com", ["p521.example.com"], rsa: false, ECDsa.Create(ECCurve.NamedCurves.nistP521));
        File.WriteAllText(Path.Combine(_directory, "p521.crt"), certificate);
        File.WriteAllText(Path.Combine(_directory, "p521.key"), key);
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(new BriskServerOptions { CertDir = _directory }));
        Assert.Contains("p521.key", error.Message);
    }

    [Fact]
    public void Unknown_sni_policy_is_validated()
    {
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(new BriskServerOptions { CertDir = _directory, UnknownSni = "maybe" }));
        Assert.Equal("UnknownSni: 'maybe' is not default or reject", error.Message);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}

/// <summary>10,000 certificates from one directory: the load time is printed (not asserted), and names chosen across the set are served end to end.</summary>
public sealed class ManyCertificatesTests(ITestOutputHelper output) : IDisposable
{
    private const int Count = 10_000;
    private readonly string _directory = Directory.CreateTempSubdirectory("brisk-sni-many-").FullName;

    [Fact]
    public async Task Ten_thousand_certificates_load_and_each_name_gets_its_own()
    {
        var generate = Stopwatch.StartNew();
        SniCertificates.WriteMany(_directory, Count);
        output.WriteLine($"generated {Count} certificates (ECDSA P-256 and RSA-2048 leaves, one shared key per type) in {generate.Elapsed.TotalSeconds:F1} s");

        var load = Stopwatch.StartNew();
        var configuration = ServerConfiguration.Build(new BriskServerOptions { Listen = ["127.0.0.1:0"], CertDir = _directory });
        load.Stop();
        var store = configuration.Tls.CertificateStore;
        output.WriteLine($"loaded {store.All.Count} certificates ({store.NameCount} names) from --cert-dir in {load.Elapsed.TotalSeconds:F2} s on {Environment.ProcessorCount} cores");
        Console.WriteLine($"SNI load: {store.All.Count} certificates in {load.Elapsed.TotalSeconds:F2} s");
        Assert.Equal(Count + 1, store.All.Count);
        Assert.Equal(Count + 1, store.NameCount);
        var defaultCertificate = Assert.Single(store.Default);
        Assert.Equal(["default.example.net"], defaultCertificate.DnsNames);

        // Every RSA key shares the one engine instance of the configuration.
        var engines = store.All.Select(c => c.Key).OfType<Brisk.Tls.Credentials.RsaServerKey>().Select(k => k.Engine).Distinct().ToList();
        Assert.True(engines.Count <= 2, $"{engines.Count} RSA engine instances"); // the configured one, or the system fallback for keys it cannot serve

        if (!ExternalTool.Require("openssl"))
            return;
        var server = new BriskServer(configuration, NullLogger<BriskServer>.Instance);
        await server.StartAsync(CancellationToken.None);
        try
        {
            string address = $"127.0.0.1:{server.BoundEndpoints[0].Port}";
            foreach (var (name, rsa) in new[] { ("host0.example.net", false), ("host1.example.net", true), ("host4242.example.net", false), ("host9999.example.net", true), ("HOST5000.example.NET", false) })
            {
                var (result, sha256) = await SniTests.ConnectAsync(address, name);
                Assert.True(result.StandardOutput.Contains("brisk TLSv1.3"), result.ToString());
                var expected = store.Find(name)!.Single();
                Assert.Equal(expected.Sha256Fingerprint, sha256);
                Assert.Equal(name.ToLowerInvariant(), expected.DnsNames.Single());
                Assert.Equal(rsa, expected.KeyType == Brisk.Tls.Credentials.CredentialKeyType.Rsa);
            }
            var (unknown, unknownSha256) = await SniTests.ConnectAsync(address, "host10000.example.net");
            Assert.True(unknown.StandardOutput.Contains("brisk TLSv1.3"), unknown.ToString());
            Assert.Equal(defaultCertificate.Sha256Fingerprint, unknownSha256);
        }
        finally
        {
            await server.StopAsync(CancellationToken.None);
            await server.DisposeAsync();
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
