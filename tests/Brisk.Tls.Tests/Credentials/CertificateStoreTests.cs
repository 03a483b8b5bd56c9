using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Crypto.Rsa;
using Brisk.Tls.Credentials;

namespace Brisk.Tls.Tests.Credentials;

/// <summary>
/// SNI certificate lookup (RFC 6066 §3) with RFC 6125 §6.4.3 wildcards: exact names, one-label wildcards,
/// case and trailing dots, the default set, and the choice of key type inside a name's set.
/// </summary>
public sealed class CertificateStoreTests
{
    private static readonly Lazy<RSA> SharedRsa = new(() => RSA.Create(2048));
    private static readonly Lazy<ECDsa> SharedEcdsa = new(() => ECDsa.Create(ECCurve.NamedCurves.nistP256));

    /// <summary>A self-signed certificate with these SAN dNSNames (none: no SAN extension at all) and subject CN.</summary>
    internal static ServerCertificate Certificate(CredentialKeyType type, string[] sanNames, string commonName = "ignored.test", RSA? rsaKey = null)
    {
        var subject = $"CN={commonName}";
        CertificateRequest request;
        if (type == CredentialKeyType.Rsa)
            request = new CertificateRequest(subject, rsaKey ?? SharedRsa.Value, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        else
            request = new CertificateRequest(subject, SharedEcdsa.Value, HashAlgorithmName.SHA256);
        if (sanNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var name in sanNames)
                san.AddDnsName(name);
            request.CertificateExtensions.Add(san.Build());
        }
        var serial = RandomNumberGenerator.GetBytes(8);
        serial[0] &= 0x7F;
        var generator = type == CredentialKeyType.Rsa
            ? X509SignatureGenerator.CreateForRSA(rsaKey ?? SharedRsa.Value, RSASignaturePadding.Pkcs1)
            : X509SignatureGenerator.CreateForECDsa(SharedEcdsa.Value);
        var leaf = request.Create(request.SubjectName, generator, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), serial);
        IServerPrivateKey key = type == CredentialKeyType.Rsa
            ? new RsaServerKey(new RsaPrivateKey((rsaKey ?? SharedRsa.Value).ExportParameters(true)), SystemRsaEngine.Instance)
            : EcdsaServerKey.Create(SharedEcdsa.Value);
        return new ServerCertificate(X509CertificateLoader.LoadCertificate(leaf.RawData), [], key);
    }

    private static readonly Func<ServerCertificate, bool> Any = _ => true;

    [Fact]
    public void Exact_names_select_their_certificate()
    {
        var a = Certificate(CredentialKeyType.EcdsaP256, ["a.example.com"]);
        var b = Certificate(CredentialKeyType.EcdsaP256, ["b.example.com", "b.example.org"]);
        var fallback = Certificate(CredentialKeyType.EcdsaP256, ["default.test"]);
        var store = new CertificateStore([fallback, a, b], [fallback]);

        Assert.Same(a, store.Select("a.example.com", Any));
        Assert.Same(b, store.Select("b.example.com", Any));
        Assert.Same(b, store.Select("b.example.org", Any));
        Assert.Same(fallback, store.Select("default.test", Any));
        Assert.Equal(4, store.NameCount);
    }

    [Theory]
    [InlineData("A.EXAMPLE.COM")]
    [InlineData("a.Example.Com")]
    [InlineData("a.example.com.")]
    public void Names_compare_case_insensitively_and_ignore_a_trailing_dot(string asked)
    {
        var a = Certificate(CredentialKeyType.EcdsaP256, ["a.example.com"]);
        var fallback = Certificate(CredentialKeyType.EcdsaP256, ["default.test"]);
        var store = new CertificateStore([a, fallback], [fallback]);
        Assert.Same(a, store.Select(asked, Any));
        Assert.True(store.Recognizes(asked));
    }

    [Fact]
    public void A_certificate_name_with_upper_case_or_a_trailing_dot_is_found_too()
    {
        var a = Certificate(CredentialKeyType.EcdsaP256, ["Mixed.Example.COM."]);
        var store = CertificateStore.FromList([a]);
        Assert.Equal(a.DnsNames, store.Find("mixed.example.com")!.Select(c => c.DnsNames).Single());
    }

    [Theory]
    [InlineData("a.example.com", true)]
    [InlineData("WWW.example.com", true)]
    [InlineData("example.com", false)]          // the wildcard label must stand for something
    [InlineData("a.b.example.com", false)]      // exactly one label (RFC 6125 §6.4.3)
    [InlineData(".example.com", false)]         // an empty left-most label is not a label
    [InlineData("a.example.org", false)]
    [InlineData("aexample.com", false)]
    public void Wildcards_match_exactly_one_left_most_label(string asked, bool matches)
    {
        var wildcard = Certificate(CredentialKeyType.EcdsaP256, ["*.example.com"]);
        var fallback = Certificate(CredentialKeyType.EcdsaP256, ["default.test"]);
        var store = new CertificateStore([wildcard, fallback], [fallback], UnknownServerNamePolicy.Reject);
        Assert.Equal(matches, store.Recognizes(asked));
        Assert.Same(matches ? wildcard : fallback, store.Select(asked, Any));
    }

    [Fact]
    public void An_exact_name_wins_over_a_wildcard()
    {
        var wildcard = Certificate(CredentialKeyType.EcdsaP256, ["*.example.com"]);
        var www = Certificate(CredentialKeyType.EcdsaP256, ["www.example.com"]);
        var store = new CertificateStore([wildcard, www], [wildcard]);
        Assert.Same(www, store.Select("www.example.com", Any));
        Assert.Same(wildcard, store.Select("api.example.com", Any));
    }

    [Theory]
    [InlineData("w*.example.com", "www.example.com")]
    [InlineData("*.*.example.com", "a.b.example.com")]
    [InlineData("a.*.example.com", "a.b.example.com")]
    public void Partial_or_inner_wildcards_are_not_indexed(string certificateName, string asked)
    {
        var odd = Certificate(CredentialKeyType.EcdsaP256, [certificateName]);
        var fallback = Certificate(CredentialKeyType.EcdsaP256, ["default.test"]);
        var store = new CertificateStore([odd, fallback], [fallback]);
        Assert.False(store.Recognizes(asked));
        Assert.False(store.Recognizes(certificateName));
    }

    [Fact]
    public void Unknown_names_and_no_server_name_get_the_default_set()
    {
        var a = Certificate(CredentialKeyType.EcdsaP256, ["a.example.com"]);
        var fallback = Certificate(CredentialKeyType.EcdsaP256, ["default.test"]);
        var store = new CertificateStore([a, fallback], [fallback]);
        Assert.False(store.Recognizes("unknown.example.com"));
        Assert.Same(fallback, store.Select("unknown.example.com", Any));
        Assert.Same(fallback, store.Select(null, Any));
    }

    [Fact]
    public void The_policy_is_carried_and_known_names_are_recognized_under_reject()
    {
        var a = Certificate(CredentialKeyType.EcdsaP256, ["a.example.com"]);
        var store = new CertificateStore([a], [a], UnknownServerNamePolicy.Reject);
        Assert.Equal(UnknownServerNamePolicy.Reject, store.UnknownNames);
        Assert.True(store.Recognizes("a.example.com"));
        Assert.False(store.Recognizes("b.example.com"));
        Assert.False(store.Recognizes(""));
    }

    [Fact]
    public void The_handshake_predicate_picks_the_key_type_within_a_set()
    {
        var rsa = Certificate(CredentialKeyType.Rsa, ["dual.example.com"]);
        var ecdsa = Certificate(CredentialKeyType.EcdsaP256, ["dual.example.com"]);
        var fallbackRsa = Certificate(CredentialKeyType.Rsa, ["default.test"]);
        var store = new CertificateStore([ecdsa, rsa, fallbackRsa], [fallbackRsa]);

        Assert.Equal(2, store.Find("dual.example.com")!.Count);
        Assert.Same(ecdsa, store.Select("dual.example.com", Any));
        Assert.Same(rsa, store.Select("dual.example.com", c => c.KeyType == CredentialKeyType.Rsa));
        Assert.Same(ecdsa, store.Select("dual.example.com", c => c.KeyType == CredentialKeyType.EcdsaP256));
        // Nothing of the name's set fits: the default set is tried next, and then nothing.
        Assert.Same(fallbackRsa, store.Select("dual.example.com", c => c.KeyType == CredentialKeyType.Rsa && c.DnsNames[0] == "default.test"));
        Assert.Null(store.Select("dual.example.com", c => c.KeyType == CredentialKeyType.EcdsaP384));
    }

    [Fact]
    public void The_common_name_is_used_only_when_there_is_no_subject_alternative_name()
    {
        var cnOnly = Certificate(CredentialKeyType.EcdsaP256, [], commonName: "legacy.example.com");
        var withSan = Certificate(CredentialKeyType.EcdsaP256, ["san.example.com"], commonName: "cn.example.com");
        var store = CertificateStore.FromList([cnOnly, withSan]);
        Assert.True(store.Recognizes("legacy.example.com"));
        Assert.True(store.Recognizes("san.example.com"));
        Assert.False(store.Recognizes("cn.example.com"));
    }

    [Fact]
    public void Certificates_sharing_a_key_but_not_names_are_not_one_key_family()
    {
        // One RSA key behind two hosts' certificates (a key reused across sites): SNI must keep them apart.
        var a = Certificate(CredentialKeyType.Rsa, ["a.example.com"]);
        var b = Certificate(CredentialKeyType.Rsa, ["b.example.com"]);
        ServerCertificate.LinkKeyFamilies([a, b]);
        var store = CertificateStore.FromList([a, b]);
        for (int i = 0; i < 4; i++)
        {
            Assert.Same(a, store.Select("a.example.com", Any));
            Assert.Same(b, store.Select("b.example.com", Any));
        }
    }

    [Fact]
    public void A_key_family_with_the_same_names_is_spread_across()
    {
        // Fiat key families (keygen) are several certificates for the same names over one modulus.
        var first = Certificate(CredentialKeyType.Rsa, ["family.example.com"]);
        var second = Certificate(CredentialKeyType.Rsa, ["family.example.com"]);
        ServerCertificate.LinkKeyFamilies([first, second]);
        var store = CertificateStore.FromList([first, second]);
        var chosen = Enumerable.Range(0, 4).Select(_ => store.Select("family.example.com", Any)).ToList();
        Assert.Contains(first, chosen);
        Assert.Contains(second, chosen);
    }

    [Fact]
    public void Options_without_a_store_file_every_certificate_under_its_names_and_in_the_default_set()
    {
        var a = Certificate(CredentialKeyType.EcdsaP256, ["a.example.com"]);
        var b = Certificate(CredentialKeyType.EcdsaP256, ["b.example.com"]);
        var options = new TlsServerOptions
        {
            Certificates = [a, b],
            KeyExchange = Brisk.Crypto.KeyExchange.LibCryptoKeyExchangeProvider.Instance,
            RecordCrypto = Brisk.Crypto.Aead.SystemAeadProvider.Instance,
        };
        Assert.Same(b, options.SelectCertificate("b.example.com", Any));
        Assert.Same(a, options.SelectCertificate("elsewhere.test", Any));
        Assert.Same(b, options.SelectCertificate("elsewhere.test", c => c == b));
        Assert.Equal(UnknownServerNamePolicy.UseDefault, options.CertificateStore.UnknownNames);
    }
}
