using System.Diagnostics;
using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;

namespace Brisk.Crypto.Tests.KeyExchange;

/// <summary>Our libcrypto ECDH against independent implementations: .NET's ECDiffieHellman and the openssl CLI.</summary>
public class CrossImplementationTests
{
    [Theory]
    [InlineData(NamedGroup.Secp256r1)]
    [InlineData(NamedGroup.Secp384r1)]
    public void NistSharedSecretEqualsSystemProvider(NamedGroup group)
    {
        for (int i = 0; i < 8; i++)
        {
            using var ours = LibCryptoKeyExchangeProvider.Instance.Generate(group);
            using var theirs = SystemKeyExchangeProvider.Instance.Generate(group);
            var a = new byte[group.SharedSecretLength()];
            var b = new byte[group.SharedSecretLength()];
            Assert.True(ours.TryDeriveSharedSecret(theirs.PublicKey, a));
            Assert.True(theirs.TryDeriveSharedSecret(ours.PublicKey, b));
            Assert.Equal(b, a);
        }
    }

    [Theory]
    [InlineData(NamedGroup.Secp256r1)]
    [InlineData(NamedGroup.Secp384r1)]
    public void SystemProviderRejectsMalformedKeys(NamedGroup group)
    {
        using var key = SystemKeyExchangeProvider.Instance.Generate(group);
        using var peer = SystemKeyExchangeProvider.Instance.Generate(group);
        byte[] offCurve = peer.PublicKey.ToArray();
        offCurve[^1] ^= 1;
        var secret = new byte[group.SharedSecretLength()];
        Assert.False(key.TryDeriveSharedSecret(offCurve, secret));
        Assert.False(key.TryDeriveSharedSecret(peer.PublicKey[..^1], secret));
        Assert.False(SystemKeyExchangeProvider.Instance.IsSupported(NamedGroup.X25519));
    }

    [Fact]
    public void X25519SharedSecretEqualsOpensslCli()
    {
        string dir = Directory.CreateTempSubdirectory("brisk-x25519-").FullName;
        try
        {
            string peerKey = Path.Combine(dir, "peer.pem"), peerPub = Path.Combine(dir, "peer.pub.pem");
            if (!RunOpenssl($"genpkey -algorithm X25519 -out {peerKey}") || !RunOpenssl($"pkey -in {peerKey} -pubout -out {peerPub}"))
                return; // no openssl CLI on this machine: nothing independent to compare with
            using var ours = LibCryptoKeyExchangeProvider.Instance.Generate(NamedGroup.X25519);
            // Wrap our raw public key in SPKI (RFC 8410 §4: OID 1.3.101.110, BIT STRING of the 32 bytes).
            byte[] spki = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00, .. ours.PublicKey];
            string ourPub = Path.Combine(dir, "ours.pub.pem"), cliSecret = Path.Combine(dir, "secret.bin");
            File.WriteAllText(ourPub, PemEncoding.WriteString("PUBLIC KEY", spki));
            Assert.True(RunOpenssl($"pkeyutl -derive -inkey {peerKey} -peerkey {ourPub} -out {cliSecret}"));

            byte[] peerSpki = PemEncoding.TryFind(File.ReadAllText(peerPub), out var fields)
                ? Convert.FromBase64String(File.ReadAllText(peerPub)[fields.Base64Data])
                : throw new InvalidDataException("no PEM");
            var secret = new byte[32];
            Assert.True(ours.TryDeriveSharedSecret(peerSpki.AsSpan(peerSpki.Length - 32), secret));
            Assert.Equal(File.ReadAllBytes(cliSecret), secret);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static bool RunOpenssl(string arguments)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("openssl", arguments)
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            process.WaitForExit(10_000);
            return process.HasExited && process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}

public class KeyExchangeProvidersTests
{
    [Fact]
    public void NamesResolve()
    {
        Assert.Same(LibCryptoKeyExchangeProvider.Instance, KeyExchangeProviders.ByName("libcrypto"));
        Assert.Same(SystemKeyExchangeProvider.Instance, KeyExchangeProviders.ByName("system"));
        // libcrypto.so.3 is present here; the native X25519 kernel is preferred when libbrisk_native.so is built.
        Assert.Same(NativeKeyExchangeProvider.IsLibraryAvailable ? NativeKeyExchangeProvider.Instance : LibCryptoKeyExchangeProvider.Instance,
            KeyExchangeProviders.Default);
        Assert.Null(KeyExchangeProviders.ByName("managed"));
    }
}

public class KeyExchangeConcurrencyTests
{
    [Fact]
    public void ProviderServesManyThreadsAtOnce()
    {
        // The provider shares its EC_GROUPs between threads; every concurrent handshake must still agree.
        NamedGroup[] groups = [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];
        int failures = 0;
        Parallel.For(0, 90, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i =>
        {
            NamedGroup group = groups[i % groups.Length];
            using var a = LibCryptoKeyExchangeProvider.Instance.Generate(group);
            using var b = LibCryptoKeyExchangeProvider.Instance.Generate(group);
            var s1 = new byte[group.SharedSecretLength()];
            var s2 = new byte[group.SharedSecretLength()];
            if (!a.TryDeriveSharedSecret(b.PublicKey, s1) || !b.TryDeriveSharedSecret(a.PublicKey, s2) || !s1.AsSpan().SequenceEqual(s2))
                Interlocked.Increment(ref failures);
        });
        Assert.Equal(0, failures);
    }
}
