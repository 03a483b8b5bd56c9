using Brisk.Server.ClientDirectory;
using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;
using Brisk.Tls.Protocol;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>The --client-directory* flags: each maps to its configuration key, and ServerConfiguration.Build validates them.</summary>
public sealed class DirectoryConfigurationTests
{
    [Theory]
    [InlineData("--client-directory", "ldap://127.0.0.1:389", "ClientDirectory")]
    [InlineData("--client-directory-base", "ou=people,dc=example,dc=org", "ClientDirectoryBase")]
    [InlineData("--client-directory-filter", "(mail={email})", "ClientDirectoryFilter")]
    [InlineData("--client-directory-bind-dn", "cn=reader,dc=example,dc=org", "ClientDirectoryBindDn")]
    [InlineData("--client-directory-ca-dir", "/etc/ssl/directory-ca", "ClientDirectoryCaDir")]
    [InlineData("--client-directory-password-file", "/run/secrets/ldap", "ClientDirectoryPasswordFile")]
    [InlineData("--client-directory-timeout", "2s", "ClientDirectoryTimeout")]
    [InlineData("--client-directory-cache-ttl", "0", "ClientDirectoryCacheTtl")]
    [InlineData("--client-directory-cache-size", "500", "ClientDirectoryCacheSize")]
    [InlineData("--client-directory-on-unreachable", "open", "ClientDirectoryOnUnreachable")]
    [InlineData("--client-directory-deny-alert", "access_denied", "ClientDirectoryDenyAlert")]
    public void Each_flag_sets_its_key(string flag, string value, string key)
    {
        Assert.True(CommandLine.TryParse([flag, value], out var settings, out var error, out _), error);
        Assert.Equal(value, settings[key]);
        Assert.Contains(flag, CommandLine.Usage);
    }

    private static BriskServerOptions Valid(Action<BriskServerOptions>? change = null)
    {
        var pki = TestCertificates.Instance;
        var options = new BriskServerOptions
        {
            Certificates = [new CertificateFiles { Cert = pki.ServerEcdsaCert, Key = pki.ServerEcdsaKey }],
            ClientAuth = "require",
            ClientCa = pki.ClientCa,
            ClientDirectory = "ldap://127.0.0.1:3890",
            ClientDirectoryBase = "ou=people,dc=brisk,dc=test",
        };
        change?.Invoke(options);
        return options;
    }

    [Fact]
    public void Valid_settings_build_the_policy_with_their_values()
    {
        var passwordFile = Path.Combine(TestCertificates.Instance.Directory, "directory-password");
        File.WriteAllText(passwordFile, "s3cret\n");
        var configuration = ServerConfiguration.Build(Valid(o =>
        {
            o.ClientDirectory = "ldaps://directory.example";
            o.ClientDirectoryBindDn = "cn=reader,dc=brisk,dc=test";
            o.ClientDirectoryPasswordFile = passwordFile;
            o.ClientDirectoryTimeout = "2s";
            o.ClientDirectoryCacheTtl = "0";
            o.ClientDirectoryCacheSize = 5;
            o.ClientDirectoryOnUnreachable = "open";
            o.ClientDirectoryDenyAlert = "access_denied";
        }));
        using var policy = Assert.IsType<LdapClientCertificatePolicy>(configuration.Tls.ClientCertificatePolicy);
        var d = policy.Options;
        Assert.Equal("ldaps", d.Server.Scheme);
        Assert.Equal("s3cret", d.BindPassword);
        Assert.Equal(TimeSpan.FromSeconds(2), d.Timeout);
        Assert.Equal(TimeSpan.Zero, d.CacheTimeToLive);
        Assert.Equal(5, d.CacheSize);
        Assert.True(d.FailOpen);
        Assert.Equal(AlertDescription.AccessDenied, d.DenyAlert);
        Assert.Equal(DirectoryLookupTemplate.DefaultFilter, d.Lookup.Filter);
    }

    [Fact]
    public void No_directory_means_no_policy()
    {
        var configuration = ServerConfiguration.Build(Valid(o => { o.ClientDirectory = null; o.ClientDirectoryBase = null; }));
        Assert.Null(configuration.Tls.ClientCertificatePolicy);
    }

    public static TheoryData<string, Action<BriskServerOptions>> Invalid => new()
    {
        { "ClientDirectory: 'http://x' is not ldap://HOST[:PORT]", o => o.ClientDirectory = "http://x" },
        { "ClientDirectory: 'ldap:///dc=x' is not", o => o.ClientDirectory = "ldap:///dc=x" },
        { "ClientDirectory: the directory check needs client certificates", o => o.ClientAuth = "none" },
        { "ClientDirectoryBase: the directory check needs a base DN", o => o.ClientDirectoryBase = " " },
        { "ClientDirectoryBase: set, but ClientDirectory", o => o.ClientDirectory = null },
        { "ClientDirectoryFilter: unknown placeholder {uid}", o => o.ClientDirectoryFilter = "(uid={uid})" },
        { "ClientDirectoryFilter: 'cn=x' is not a parenthesised", o => o.ClientDirectoryFilter = "cn=x" },
        { "ClientDirectoryBindDn: needs a password", o => o.ClientDirectoryBindDn = "cn=reader" },
        { "ClientDirectoryPasswordFile: cannot read '/nonexistent/pw'", o => { o.ClientDirectoryBindDn = "cn=reader"; o.ClientDirectoryPasswordFile = "/nonexistent/pw"; } },
        { "ClientDirectoryCaDir: only for an ldaps:// directory", o => o.ClientDirectoryCaDir = "/tmp" },
        { "ClientDirectoryCaDir: '/nonexistent/ca' is not a directory", o => { o.ClientDirectory = "ldaps://127.0.0.1"; o.ClientDirectoryCaDir = "/nonexistent/ca"; } },
        { "ClientDirectoryTimeout: 'soon' is not a duration", o => o.ClientDirectoryTimeout = "soon" },
        { "ClientDirectoryTimeout: must be positive", o => o.ClientDirectoryTimeout = "0" },
        { "ClientDirectoryCacheTtl: 'x' is not a duration", o => o.ClientDirectoryCacheTtl = "x" },
        { "ClientDirectoryCacheSize: must be 0 (off) or positive", o => o.ClientDirectoryCacheSize = -1 },
        { "ClientDirectoryOnUnreachable: 'maybe' is not closed or open", o => o.ClientDirectoryOnUnreachable = "maybe" },
        { "ClientDirectoryDenyAlert: 'bad_certificate' is not certificate_unknown or access_denied", o => o.ClientDirectoryDenyAlert = "bad_certificate" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_settings_are_refused_naming_the_key(string expected, Action<BriskServerOptions> change)
    {
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(Valid(change)));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task The_real_process_refuses_a_directory_without_client_auth_in_one_line()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll");
        var result = await ExternalTool.RunAsync("dotnet", [dll, "--client-directory", "ldap://127.0.0.1:389", "--client-directory-base", "dc=x"], timeout: TimeSpan.FromSeconds(30));
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("ClientDirectory: the directory check needs client certificates", line);
    }
}
