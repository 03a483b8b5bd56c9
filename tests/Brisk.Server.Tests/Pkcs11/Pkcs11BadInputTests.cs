using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Server.Hosting;
using Brisk.Server.Pkcs11;
using Brisk.Server.Tests.Infrastructure;
using Net.Pkcs11Interop.Common;
using Net.Pkcs11Interop.HighLevelAPI;
using Pkcs11Uri = Brisk.Server.Pkcs11.Pkcs11Uri;

namespace Brisk.Server.Tests.Pkcs11;

/// <summary>
/// What the token keeps to itself (imported keys cannot be read or wrapped out), and bad configuration:
/// wrong PIN, missing object or token, a module that does not load, a key that does not match its
/// certificate. Each is a one-line <see cref="ConfigurationException"/> naming the key; nothing crashes.
/// </summary>
[Collection(SoftHsmCollection.Name)]
public sealed class Pkcs11BadInputTests(SoftHsmFixture hsm)
{
    private static readonly TestCertificates Pki = TestCertificates.Instance;

    private async Task<ConfigurationException> StartFailsAsync(string cert, string key, string? pinFile = null, string? module = null)
    {
        var error = await Assert.ThrowsAsync<ConfigurationException>(() => ServerFixture.StartAsync(o =>
        {
            o.Certificates = [new CertificateFiles { Cert = cert, Key = key }];
            o.Pkcs11Module = module ?? hsm.ModulePath;
            o.Pkcs11PinFile = pinFile ?? hsm.PinFile;
            o.Pkcs11Sessions = 1;
        }));
        Assert.DoesNotContain('\n', error.Message);
        return error;
    }

    [Fact]
    public async Task Wrong_pin_is_a_clear_startup_error()
    {
        if (!hsm.Available)
            return;
        // The spare token: the user is never logged in there, so the PIN is really checked.
        string uri = $"pkcs11:token={SoftHsmFixture.SpareToken};object=anything";
        var error = await StartFailsAsync(Pki.ServerRsaCert, uri, pinFile: hsm.WrongPinFile);
        Assert.StartsWith($"Key '{uri}': the PIN is wrong", error.Message);
    }

    [Fact]
    public async Task Missing_object_is_a_clear_startup_error()
    {
        if (!hsm.Available)
            return;
        var error = await StartFailsAsync(Pki.ServerRsaCert, $"pkcs11:token={SoftHsmFixture.Token};object=nope");
        Assert.Equal($"Key 'pkcs11:token={SoftHsmFixture.Token};object=nope': no private key labelled 'nope' in token '{SoftHsmFixture.Token}'", error.Message);
    }

    [Fact]
    public async Task Missing_token_is_a_clear_startup_error()
    {
        if (!hsm.Available)
            return;
        var error = await StartFailsAsync(Pki.ServerRsaCert, "pkcs11:token=absent;object=server-rsa");
        Assert.Contains("no token labelled 'absent' (tokens present:", error.Message);
        Assert.Contains($"'{SoftHsmFixture.Token}'", error.Message);
    }

    [Fact]
    public async Task Module_that_does_not_load_is_a_clear_startup_error()
    {
        if (!hsm.Available)
            return;
        // A file that is not a shared library, then a path that does not exist.
        var error = await StartFailsAsync(Pki.ServerRsaCert, hsm.RsaUri, module: hsm.PinFile);
        Assert.Contains($"Pkcs11Module: cannot load '{hsm.PinFile}' as a PKCS#11 module", error.Message);
        Assert.StartsWith($"Key '{hsm.RsaUri}'", error.Message);
        error = await StartFailsAsync(Pki.ServerRsaCert, hsm.RsaUri, module: "/nonexistent/libpkcs11.so");
        Assert.Contains("Pkcs11Module: '/nonexistent/libpkcs11.so' does not exist", error.Message);
    }

    [Fact]
    public async Task Key_that_does_not_match_the_certificate_is_refused()
    {
        if (!hsm.Available)
            return;
        var error = await StartFailsAsync(Pki.ServerRsaCert, hsm.GeneratedUri);
        Assert.Contains("does not match the certificate", error.Message);
        error = await StartFailsAsync(Pki.ServerRsaCert, hsm.EcUri);
        Assert.Contains("is not of the certificate's key type", error.Message);
    }

    [Theory]
    [InlineData("pkcs11:token=brisk;object=a;object=b", "attribute 'object' appears twice")]
    [InlineData("pkcs11:token=brisk;colour=blue", "unknown attribute 'colour'")]
    [InlineData("pkcs11:token=brisk;id=%zz", "bad percent-encoding")]
    [InlineData("pkcs11:token=brisk", "the URI names no key")]
    [InlineData("pkcs11:token=brisk;object=server-rsa;type=cert", "must be a private key")]
    public async Task Malformed_or_unusable_uri_is_a_clear_startup_error(string uri, string expected)
    {
        if (!hsm.Available)
            return;
        var error = await StartFailsAsync(Pki.ServerRsaCert, uri);
        Assert.StartsWith($"Key '{uri}'", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public async Task Server_process_reports_a_wrong_pin_in_one_line()
    {
        if (!hsm.Available)
            return;
        var result = await ExternalTool.RunAsync("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "Brisk.Server.dll"), "--listen", "127.0.0.1:0", "--cert", Pki.ServerRsaCert,
             "--key", $"pkcs11:token={SoftHsmFixture.SpareToken};object=x", "--pkcs11-module", hsm.ModulePath, "--pkcs11-pin-file", hsm.WrongPinFile],
            timeout: TimeSpan.FromSeconds(30));
        Assert.Equal(2, result.ExitCode);
        var line = Assert.Single(result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("the PIN is wrong", line);
        Assert.DoesNotContain("   at ", result.All);
    }

    [Fact]
    public async Task Key_tool_reports_bad_input_in_one_line()
    {
        if (!hsm.Available)
            return;
        var missingPem = await hsm.KeysAsync("import", "--object", "x", "--key", "/nonexistent/key.pem");
        Assert.Equal(2, missingPem.ExitCode);
        Assert.StartsWith("brisk keys: --key '/nonexistent/key.pem'", missingPem.StandardError);
        var taken = await hsm.KeysAsync("import", "--object", "server-rsa", "--key", Pki.ServerRsaKey);
        Assert.Equal(2, taken.ExitCode);
        Assert.Contains("already holds a key labelled 'server-rsa'", taken.StandardError);
        var wrongCert = await hsm.KeysAsync("import", "--object", "z", "--key", Pki.ServerRsaKey, "--cert", Pki.ServerEcdsaCert);
        Assert.Equal(2, wrongCert.ExitCode);
        Assert.Contains("is not the certificate of --key", wrongCert.StandardError);
        var badType = await hsm.KeysAsync("generate", "--object", "y", "--type", "dsa", "--self-signed", "x", "--out", "/dev/null");
        Assert.Equal(2, badType.ExitCode);
        Assert.Contains("--type 'dsa'", badType.StandardError);
        Assert.DoesNotContain("   at ", missingPem.All + taken.All + wrongCert.All + badType.All);
    }

    [Theory]
    [InlineData("server-rsa", false)]
    [InlineData("server-ec", false)]
    [InlineData("generated-rsa", true)]
    public async Task Token_keys_are_sensitive_and_not_extractable(string label, bool generated)
    {
        if (!hsm.Available)
            return;
        // OpenSC's view of the object's attributes.
        var listing = await hsm.Pkcs11ToolAsync("--list-objects", "--type", "privkey");
        Assert.True(listing.ExitCode == 0, listing.ToString());
        string block = ObjectBlock(listing.StandardOutput, label);
        string access = block.Split('\n').Single(l => l.TrimStart().StartsWith("Access:", StringComparison.Ordinal));
        Assert.Contains("sensitive", access);
        Assert.DoesNotContain("extractable", access.Replace("never extractable", ""));
        if (generated)
            Assert.Contains("never extractable", access);
        // The wrapping key was a session object and was destroyed: no secret key is left in the token.
        var secrets = await hsm.Pkcs11ToolAsync("--list-objects", "--type", "secrkey");
        Assert.DoesNotContain("Secret Key Object", secrets.StandardOutput);

        // And through the API: the private value cannot be read, and the token refuses to wrap the key out.
        var module = Pkcs11Module.Acquire(hsm.ModulePath);
        try
        {
            var slot = module.FindTokenSlot(Pkcs11Uri.Parse($"pkcs11:token={SoftHsmFixture.Token}"));
            using var session = slot.OpenSession(SessionType.ReadWrite);
            Pkcs11Module.Login(session, SoftHsmFixture.Pin);
            var factory = module.Factories.ObjectAttributeFactory;
            var key = Assert.Single(session.FindAllObjects([factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_LABEL, label)]));
            var secretAttribute = label.Contains("ec") ? CKA.CKA_VALUE : CKA.CKA_PRIVATE_EXPONENT;
            var attributes = session.GetAttributeValue(key, [secretAttribute, CKA.CKA_SENSITIVE, CKA.CKA_EXTRACTABLE]);
            Assert.True(attributes[0].CannotBeRead);
            Assert.True(attributes[1].GetValueAsBool());
            Assert.False(attributes[2].GetValueAsBool());
            var wrappingKey = session.CreateObject(
            [
                factory.Create(CKA.CKA_CLASS, CKO.CKO_SECRET_KEY), factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_AES),
                factory.Create(CKA.CKA_TOKEN, false), factory.Create(CKA.CKA_WRAP, true), factory.Create(CKA.CKA_VALUE, RandomNumberGenerator.GetBytes(16)),
            ]);
            var wrap = Assert.Throws<Pkcs11Exception>(() => session.WrapKey(module.Factories.MechanismFactory.Create(CKM.CKM_AES_KEY_WRAP_PAD), wrappingKey, key));
            Assert.Equal(CKR.CKR_KEY_UNEXTRACTABLE, wrap.RV);
            session.DestroyObject(wrappingKey);
        }
        finally
        {
            module.Release();
        }
    }

    private static string ObjectBlock(string listing, string label)
    {
        var blocks = listing.Split("Private Key Object", StringSplitOptions.RemoveEmptyEntries);
        return Assert.Single(blocks, b => b.Split('\n').Any(l => l.Trim() == $"label:      {label}"));
    }

    [Fact]
    public async Task Faulty_rsa_signature_from_the_token_is_caught_and_not_sent()
    {
        if (!hsm.Available)
            return;
        // Fault injection: an RSA key object whose CRT exponent dP and private exponent d are both wrong. OpenSSL
        // (inside SoftHSM) notices the bad CRT result and recomputes with d, which is wrong too, so the token
        // returns a faulty signature, the kind that leaks the key (Boneh–DeMillo–Lipton). It must not leave.
        const string label = "faulty-rsa";
        using var rsa = RSA.Create(2048);
        var p = rsa.ExportParameters(true);
        byte[] badD = (byte[])p.D!.Clone();
        badD[^1] ^= 0x02;
        byte[] badDp = (byte[])p.DP!.Clone();
        badDp[^1] ^= 0x02;
        var module = Pkcs11Module.Acquire(hsm.ModulePath);
        try
        {
            var slot = module.FindTokenSlot(Pkcs11Uri.Parse($"pkcs11:token={SoftHsmFixture.Token}"));
            using (var session = slot.OpenSession(SessionType.ReadWrite))
            {
                Pkcs11Module.Login(session, SoftHsmFixture.Pin);
                var factory = module.Factories.ObjectAttributeFactory;
                foreach (var old in session.FindAllObjects([factory.Create(CKA.CKA_LABEL, label)]))
                    session.DestroyObject(old);
                session.CreateObject(
                [
                    factory.Create(CKA.CKA_CLASS, CKO.CKO_PRIVATE_KEY), factory.Create(CKA.CKA_KEY_TYPE, CKK.CKK_RSA),
                    factory.Create(CKA.CKA_TOKEN, true), factory.Create(CKA.CKA_PRIVATE, true), factory.Create(CKA.CKA_SIGN, true),
                    factory.Create(CKA.CKA_LABEL, label), factory.Create(CKA.CKA_MODULUS, p.Modulus!), factory.Create(CKA.CKA_PUBLIC_EXPONENT, p.Exponent!),
                    factory.Create(CKA.CKA_PRIVATE_EXPONENT, badD), factory.Create(CKA.CKA_PRIME_1, p.P!), factory.Create(CKA.CKA_PRIME_2, p.Q!),
                    factory.Create(CKA.CKA_EXPONENT_1, badDp), factory.Create(CKA.CKA_EXPONENT_2, p.DQ!), factory.Create(CKA.CKA_COEFFICIENT, p.InverseQ!),
                ]);
            }
        }
        finally
        {
            module.Release();
        }

        using var key = Pkcs11ServerKey.Open(hsm.ModulePath, Pkcs11Uri.Parse($"pkcs11:token={SoftHsmFixture.Token};object={label}"), SoftHsmFixture.Pin, 1);
        byte[] signature = new byte[key.MaxSignatureLength];
        await Assert.ThrowsAsync<CryptographicException>(async () =>
            await key.SignAsync(Brisk.Tls.Protocol.SignatureScheme.RsaPkcs1Sha256, new byte[] { 1, 2, 3 }, signature, CancellationToken.None));
        await Assert.ThrowsAsync<CryptographicException>(async () =>
            await key.SignAsync(Brisk.Tls.Protocol.SignatureScheme.RsaPssRsaeSha256, new byte[] { 1, 2, 3 }, signature, CancellationToken.None));
        Assert.Equal(2, key.SignatureFaults);
        Assert.All(signature, b => Assert.Equal(0, b)); // nothing was written out
        // And at start-up the certificate check refuses such a key with a clear error.
        using var certificate = new CertificateRequest("CN=faulty", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certPath = Path.Combine(hsm.Directory, "faulty.crt");
        await File.WriteAllTextAsync(certPath, certificate.ExportCertificatePem());
        var error = await StartFailsAsync(certPath, $"pkcs11:token={SoftHsmFixture.Token};object={label}");
        Assert.Contains("a test signature failed", error.Message);
    }

    [Fact]
    public async Task Token_error_on_rsa_decryption_yields_a_random_premaster_not_an_exception()
    {
        if (!hsm.Available)
            return;
        // A key the token may sign with but not decrypt with (CKA_DECRYPT false): C_Decrypt fails in the token.
        const string label = "sign-only-rsa";
        var module = Pkcs11Module.Acquire(hsm.ModulePath);
        try
        {
            var slot = module.FindTokenSlot(Pkcs11Uri.Parse($"pkcs11:token={SoftHsmFixture.Token}"));
            using var session = slot.OpenSession(SessionType.ReadWrite);
            Pkcs11Module.Login(session, SoftHsmFixture.Pin);
            var factory = module.Factories.ObjectAttributeFactory;
            if (session.FindAllObjects([factory.Create(CKA.CKA_LABEL, label)]).Count == 0)
            {
                session.GenerateKeyPair(module.Factories.MechanismFactory.Create(CKM.CKM_RSA_PKCS_KEY_PAIR_GEN),
                    [factory.Create(CKA.CKA_TOKEN, true), factory.Create(CKA.CKA_MODULUS_BITS, 2048UL), factory.Create(CKA.CKA_PUBLIC_EXPONENT, new byte[] { 1, 0, 1 }), factory.Create(CKA.CKA_LABEL, label)],
                    [factory.Create(CKA.CKA_TOKEN, true), factory.Create(CKA.CKA_PRIVATE, true), factory.Create(CKA.CKA_SIGN, true), factory.Create(CKA.CKA_DECRYPT, false), factory.Create(CKA.CKA_LABEL, label)],
                    out _, out _);
            }
        }
        finally
        {
            module.Release();
        }

        using var key = Pkcs11ServerKey.Open(hsm.ModulePath, Pkcs11Uri.Parse($"pkcs11:token={SoftHsmFixture.Token};object={label}"), SoftHsmFixture.Pin, 1);
        byte[] ciphertext = new byte[256];
        ciphertext[255] = 2; // < n, the right length: the token is asked
        byte[] first = new byte[48], second = new byte[48];
        await key.DecryptPremasterSecretAsync(ciphertext, 0x0303, first, CancellationToken.None);
        await key.DecryptPremasterSecretAsync(ciphertext, 0x0303, second, CancellationToken.None);
        Assert.Equal(2, key.DecryptionErrors);
        Assert.NotEqual(first, second); // fresh random bytes each time
    }
}
