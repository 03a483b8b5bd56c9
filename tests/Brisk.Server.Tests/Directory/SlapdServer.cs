using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// A private OpenLDAP slapd for one test class: its own slapd.conf, mdb database and pid file in a temporary
/// directory, listening only on ldap://127.0.0.1:PORT, run in the foreground (-d 0) as a child process and
/// killed by id at the end. It never touches the system slapd (which under CI may not even be running).
/// Entries are loaded with ldapadd, bound as the rootdn.
/// </summary>
public sealed class SlapdServer : IAsyncDisposable
{
    public const string Suffix = "dc=brisk,dc=test";
    public const string People = "ou=people," + Suffix;
    public const string RootDn = "cn=admin," + Suffix;
    public const string RootPassword = "brisk-directory-secret";

    private readonly string _directory;
    private readonly string _slapd;
    private Process? _process;

    private SlapdServer(string slapd)
    {
        _slapd = slapd;
        _directory = Path.Combine(Path.GetTempPath(), "brisk-slapd-" + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(Path.Combine(_directory, "db"));
    }

    public int Port { get; private set; }

    public string Url => $"ldap://127.0.0.1:{Port}";

    /// <summary>The ldaps:// listener's port, when started with TLS (0 otherwise).</summary>
    public int LdapsPort { get; private set; }

    public string LdapsUrl => $"ldaps://127.0.0.1:{LdapsPort}";

    /// <summary>With TLS: a directory holding the CA of slapd's certificate in OpenSSL's hashed layout.</summary>
    public string? CaDirectory { get; private set; }

    public string WorkDirectory => _directory;

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>slapd from PATH or /usr/sbin (not always on a non-root PATH); null when not installed.</summary>
    public static string? Locate() =>
        ExternalTool.Find("slapd") ?? (File.Exists("/usr/sbin/slapd") ? "/usr/sbin/slapd" : null);

    /// <summary>
    /// A running slapd with the base entries (suffix, ou=people), or null when slapd or ldapadd is missing
    /// outside CI (the test then returns). Under CI a missing tool fails the test.
    /// </summary>
    public static async Task<SlapdServer?> StartAsync(bool ldaps = false)
    {
        var slapd = Locate();
        if (slapd is null || ExternalTool.Find("ldapadd") is null)
        {
            if (ExternalTool.IsCi)
                throw new InvalidOperationException("slapd and ldap-utils are required (CI must install them in .ci/run)");
            Console.WriteLine("SKIPPED: slapd or ldapadd is not installed");
            return null;
        }
        var server = new SlapdServer(slapd);
        try
        {
            if (ldaps)
                await server.CreateTlsCredentialsAsync();
            await server.WriteConfigurationAsync();
            await server.RunAsync();
            await server.AddAsync($"""
                dn: {Suffix}
                objectClass: dcObject
                objectClass: organization
                o: Brisk tests
                dc: brisk

                dn: {People}
                objectClass: organizationalUnit
                ou: people
                """);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A CA and a certificate for 127.0.0.1 signed by it (libldap checks the name), and the hashed CA directory.</summary>
    private async Task CreateTlsCredentialsAsync()
    {
        using var caKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var caRequest = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=Brisk slapd test CA", caKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new System.Security.Cryptography.X509Certificates.X509BasicConstraintsExtension(true, false, 0, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-2), now.AddYears(2));
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=127.0.0.1", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        var san = new System.Security.Cryptography.X509Certificates.SubjectAlternativeNameBuilder();
        san.AddIpAddress(IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddYears(1), [1, 2, 3, 4]);
        await File.WriteAllTextAsync(Path.Combine(_directory, "slapd.crt"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(_directory, "slapd.key"), key.ExportPkcs8PrivateKeyPem());
        CaDirectory = Path.Combine(_directory, "ca");
        System.IO.Directory.CreateDirectory(CaDirectory);
        await File.WriteAllTextAsync(Path.Combine(CaDirectory, "ca.pem"), ca.ExportCertificatePem());
        var rehash = await ExternalTool.RunAsync("openssl", ["rehash", CaDirectory]);
        if (rehash.ExitCode != 0)
            throw new InvalidOperationException($"openssl rehash failed: {rehash}");
        LdapsPort = FreePort();
    }

    private async Task WriteConfigurationAsync()
    {
        // The Debian schema files; back_mdb is a loadable module there. No TLS, no ACL: the default ACL lets
        // anyone read, and writes need the rootdn.
        var config = $"""
            include /etc/ldap/schema/core.schema
            include /etc/ldap/schema/cosine.schema
            include /etc/ldap/schema/inetorgperson.schema
            {(CaDirectory is null ? "" : $"TLSCertificateFile {_directory}/slapd.crt\nTLSCertificateKeyFile {_directory}/slapd.key")}
            modulepath /usr/lib/ldap
            moduleload back_mdb
            pidfile {_directory}/slapd.pid
            argsfile {_directory}/slapd.args
            database mdb
            suffix "{Suffix}"
            rootdn "{RootDn}"
            rootpw {RootPassword}
            directory {_directory}/db
            maxsize 16777216
            """;
        await File.WriteAllTextAsync(Path.Combine(_directory, "slapd.conf"), config);
    }

    /// <summary>Starts slapd on a fresh loopback port (or the previous one after <see cref="StopAsync"/>) and waits until it answers.</summary>
    public async Task RunAsync()
    {
        if (IsRunning)
            return;
        if (Port == 0)
            Port = FreePort();
        var info = new ProcessStartInfo(_slapd)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string listeners = LdapsPort == 0 ? $"ldap://127.0.0.1:{Port}/" : $"ldap://127.0.0.1:{Port}/ ldaps://127.0.0.1:{LdapsPort}/";
        foreach (var argument in new[] { "-d", "0", "-f", Path.Combine(_directory, "slapd.conf"), "-h", listeners })
            info.ArgumentList.Add(argument);
        var output = new StringBuilder();
        _process = Process.Start(info) ?? throw new InvalidOperationException("could not start slapd");
        _process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        // Ready when it accepts a connection; slapd opens its listener after loading the database.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            if (_process.HasExited)
                throw new InvalidOperationException($"slapd exited with {_process.ExitCode}: {output}");
            try
            {
                using var probe = new TcpClient();
                await probe.ConnectAsync(IPAddress.Loopback, Port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }
    }

    /// <summary>Kills slapd (by its process id) and waits for it to exit; the port then refuses connections.</summary>
    public async Task StopAsync()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>ldapadd of <paramref name="ldif"/> as the rootdn; throws with ldapadd's output when it fails.</summary>
    public async Task AddAsync(string ldif)
    {
        var file = Path.Combine(_directory, $"add-{Guid.NewGuid():N}.ldif");
        await File.WriteAllTextAsync(file, ldif.ReplaceLineEndings("\n") + "\n");
        var result = await ExternalTool.RunAsync("ldapadd", ["-x", "-H", Url, "-D", RootDn, "-w", RootPassword, "-f", file]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"ldapadd failed: {result}");
    }

    /// <summary>ldapmodify of <paramref name="ldif"/> as the rootdn (e.g. deleting a certificate value).</summary>
    public async Task ModifyAsync(string ldif)
    {
        var file = Path.Combine(_directory, $"modify-{Guid.NewGuid():N}.ldif");
        await File.WriteAllTextAsync(file, ldif.ReplaceLineEndings("\n") + "\n");
        var result = await ExternalTool.RunAsync("ldapmodify", ["-x", "-H", Url, "-D", RootDn, "-w", RootPassword, "-f", file]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"ldapmodify failed: {result}");
    }

    /// <summary>An inetOrgPerson under ou=people with the given certificates in userCertificate;binary (RFC 4523 §2.1).</summary>
    public Task AddPersonAsync(string rdn, string cn, string? mail = null, params byte[][] certificates)
    {
        var ldif = new StringBuilder();
        ldif.Append($"dn: {rdn},{People}\n");
        ldif.Append("objectClass: inetOrgPerson\n");
        // Values that LDIF cannot carry as plain text (RFC 2849 §3: SAFE-STRING) go base64 ("::").
        ldif.Append($"cn:: {Convert.ToBase64String(Encoding.UTF8.GetBytes(cn))}\n");
        ldif.Append("sn: test\n");
        if (mail is not null)
            ldif.Append($"mail: {mail}\n");
        foreach (var der in certificates)
            ldif.Append($"userCertificate;binary:: {Convert.ToBase64String(der)}\n");
        return AddAsync(ldif.ToString());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            System.IO.Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // a leftover temporary directory is harmless
        }
    }
}
