using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Pkcs11;

/// <summary>
/// A SoftHSM2 token store of the test run's own (own SOFTHSM2_CONF and token directory), with the test PKI's
/// RSA-2048 and P-256 server keys imported by <c>keys import</c> and an RSA-2048 key made by
/// <c>keys generate</c>, all through the built server (Brisk.Server.dll) as a process, as an operator runs it.
/// SOFTHSM2_CONF is set for this whole test process (the module reads it at C_Initialize); only the
/// PKCS#11 tests load SoftHSM, and they share this one store.
/// </summary>
public sealed class SoftHsmFixture : IAsyncLifetime
{
    public const string Token = "brisk";
    public const string SpareToken = "spare";
    public const string Pin = "1234";

    private static readonly string[] ModuleCandidates =
    [
        "/usr/lib/softhsm/libsofthsm2.so",
        "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
    ];

    /// <summary>False when SoftHSM2 or OpenSC is missing outside CI (tests return early); under CI a missing tool fails.</summary>
    public bool Available { get; private set; }

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "brisk-softhsm-" + Guid.NewGuid().ToString("N")[..8]);

    public string ModulePath { get; private set; } = "";

    public string PinFile => Path.Combine(Directory, "pin");

    public string WrongPinFile => Path.Combine(Directory, "wrong-pin");

    public string GeneratedCert => Path.Combine(Directory, "generated-rsa.crt");

    public string GeneratedCsr => Path.Combine(Directory, "generated-p256.csr");

    public string RsaUri => $"pkcs11:token={Token};object=server-rsa";

    public string EcUri => $"pkcs11:token={Token};object=server-ec";

    public string GeneratedUri => $"pkcs11:token={Token};object=generated-rsa";

    /// <summary>What each key-tool run printed, for failure messages.</summary>
    public List<ToolResult> ToolRuns { get; } = [];

    private static string ServerDll => Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll");

    public async Task InitializeAsync()
    {
        if (!ExternalTool.Require("softhsm2-util") || !ExternalTool.Require("pkcs11-tool") || !ExternalTool.Require("openssl"))
            return;
        ModulePath = ModuleCandidates.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("softhsm2-util is installed but libsofthsm2.so was not found");
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "tokens"));
        string config = Path.Combine(Directory, "softhsm2.conf");
        await File.WriteAllTextAsync(config, $"directories.tokendir = {Path.Combine(Directory, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n");
        // For the child processes (softhsm2-util, pkcs11-tool, the key tool) and, through libc, for the module
        // loaded in this process: .NET's environment block on Unix is its own copy, invisible to getenv().
        Environment.SetEnvironmentVariable("SOFTHSM2_CONF", config);
        if (setenv("SOFTHSM2_CONF", config, 1) != 0)
            throw new InvalidOperationException("setenv(SOFTHSM2_CONF) failed");
        await File.WriteAllTextAsync(PinFile, Pin + "\n");
        await File.WriteAllTextAsync(WrongPinFile, "9999\n");

        foreach (var label in new[] { Token, SpareToken })
            Check(await ExternalTool.RunAsync("softhsm2-util", ["--init-token", "--free", "--label", label, "--so-pin", "5678", "--pin", Pin]));

        var pki = TestCertificates.Instance;
        Check(await KeysAsync("import", "--object", "server-rsa", "--key", pki.ServerRsaKey));
        Check(await KeysAsync("import", "--object", "server-ec", "--key", pki.ServerEcdsaKey, "--cert", pki.ServerEcdsaCert));
        Check(await KeysAsync("generate", "--object", "generated-rsa", "--type", "rsa2048", "--self-signed", "localhost", "--out", GeneratedCert));
        Check(await KeysAsync("generate", "--object", "generated-p256", "--type", "p256", "--csr", "localhost", "--out", GeneratedCsr));
        Available = true;
    }

    /// <summary>Runs <c>Brisk.Server keys VERB --pkcs11-module … --token brisk --pkcs11-pin-file …</c> plus the arguments.</summary>
    public async Task<ToolResult> KeysAsync(string verb, params string[] arguments)
    {
        var result = await ExternalTool.RunAsync("dotnet",
            [ServerDll, "keys", verb, "--pkcs11-module", ModulePath, "--token", Token, "--pkcs11-pin-file", PinFile, .. arguments],
            timeout: TimeSpan.FromSeconds(60));
        ToolRuns.Add(result);
        return result;
    }

    /// <summary>pkcs11-tool (OpenSC) against the test token, logged in.</summary>
    public Task<ToolResult> Pkcs11ToolAsync(params string[] arguments)
        => ExternalTool.RunAsync("pkcs11-tool", ["--module", ModulePath, "--token-label", Token, "--login", "--pin", Pin, .. arguments]);

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int setenv([System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string name,
        [System.Runtime.InteropServices.MarshalAs(System.Runtime.InteropServices.UnmanagedType.LPUTF8Str)] string value, int overwrite);

    private static void Check(ToolResult result)
    {
        if (result.ExitCode != 0)
            throw new InvalidOperationException("SoftHSM fixture set-up failed:\n" + result);
    }

    public Task DisposeAsync()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temp directory; harmless.
        }
        return Task.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SoftHsmCollection : ICollectionFixture<SoftHsmFixture>
{
    public const string Name = "SoftHSM2";
}
