using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brisk.Server.ClientDirectory;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>Escaping (RFC 4515 §3, RFC 4514 §2.4), certificate names and lookup templates, without a directory.</summary>
public sealed class DirectoryLookupTests
{
    // RFC 4515 §4 examples, plus NUL and the other metacharacters.
    [Theory]
    [InlineData("Parens R Us (for all your parenthetical needs)", @"Parens R Us \28for all your parenthetical needs\29")]
    [InlineData("*", @"\2a")]
    [InlineData(@"C:\MyFile", @"C:\5cMyFile")]
    [InlineData("Lu\u010di\u0107", @"Lu\c4\8di\c4\87")]
    [InlineData("a\0b", @"a\00b")]
    [InlineData("*)(cn=alice", @"\2a\29\28cn=alice")]
    [InlineData("alice", "alice")]
    public void Filter_values_are_escaped_as_rfc4515_says(string value, string expected) =>
        Assert.Equal(expected, LdapFilter.EscapeValue(value));

    [Theory]
    [InlineData("Sue, Grabbit and Runn", @"Sue\, Grabbit and Runn")]
    [InlineData("#hash", @"\#hash")]
    [InlineData(" lead and trail ", @"\ lead and trail\ ")]
    [InlineData("a+b=c;d<e>f\"g\\h", "a\\+b\\=c\\;d\\<e\\>f\\\"g\\\\h")]
    [InlineData("plain", "plain")]
    public void Dn_values_are_escaped_as_rfc4514_says(string value, string expected) =>
        Assert.Equal(expected, LdapFilter.EscapeDnValue(value));

    private static X509Certificate2 Certificate(X500DistinguishedName subject, string? email = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        if (email is not null)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddDnsName("host.example");
            san.AddEmailAddress(email);
            request.CertificateExtensions.Add(san.Build());
        }
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
    }

    private static X500DistinguishedName Subject(string commonName)
    {
        // The builder's first RDN is the most specific one (it comes first in the RFC 4514 string).
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(commonName);
        builder.AddOrganizationName("Brisk, Inc.");
        builder.AddDomainComponent("test");
        return builder.Build();
    }

    [Fact]
    public void Names_come_from_the_most_specific_cn_the_first_email_san_and_the_subject()
    {
        using var certificate = Certificate(Subject("alice"), "alice@brisk.test");
        Assert.Equal("alice", CertificateNames.CommonName(certificate));
        Assert.Equal("alice@brisk.test", CertificateNames.Email(certificate));
        Assert.Equal(@"CN=alice,O=Brisk\, Inc.,DC=test", CertificateNames.SubjectDn(certificate));
    }

    [Fact]
    public void Crafted_subject_cannot_change_the_filter_or_the_base()
    {
        using var certificate = Certificate(Subject("*)(uid=*))(|(cn=*"));
        var template = new DirectoryLookupTemplate("ou=people,dc=brisk,dc=test", DirectoryLookupTemplate.DefaultFilter);
        Assert.True(template.TryBuild(certificate, out var baseDn, out var filter, out _));
        Assert.Equal(@"(&(objectClass=inetOrgPerson)(cn=\2a\29\28uid=\2a\29\29\28|\28cn=\2a))", filter);
        Assert.Equal("ou=people,dc=brisk,dc=test", baseDn);
        Assert.Equal(System.DirectoryServices.Protocols.SearchScope.Subtree, template.Scope);

        var byDn = new DirectoryLookupTemplate("cn={cn},ou=people,dc=brisk,dc=test", "(objectClass=*)");
        Assert.True(byDn.TryBuild(certificate, out baseDn, out _, out _));
        Assert.Equal(@"cn=*)(uid\=*))(|(cn\=*,ou=people,dc=brisk,dc=test", baseDn);
        Assert.Equal(System.DirectoryServices.Protocols.SearchScope.Base, byDn.Scope);
    }

    [Fact]
    public void Subject_placeholder_in_the_base_is_the_escaped_subject_dn()
    {
        using var certificate = Certificate(Subject("bob"));
        var template = new DirectoryLookupTemplate("{subject}", "(objectClass=*)");
        Assert.True(template.TryBuild(certificate, out var baseDn, out _, out _));
        Assert.Equal(@"CN=bob,O=Brisk\, Inc.,DC=test", baseDn);
    }

    [Fact]
    public void Missing_name_is_reported_not_looked_up()
    {
        using var certificate = Certificate(Subject("carol"));
        var template = new DirectoryLookupTemplate("dc=test", "(mail={email})");
        Assert.False(template.TryBuild(certificate, out _, out _, out var missing));
        Assert.Contains("email", missing);
    }

    [Theory]
    [InlineData("(cn={name})", "unknown placeholder {name}")]
    [InlineData("cn={cn}", "not a parenthesised LDAP filter")]
    [InlineData("(cn={cn}", "not a parenthesised LDAP filter")]
    [InlineData("(a=1))(b=2", "not a parenthesised LDAP filter")]
    public void Bad_templates_are_refused(string filter, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => new DirectoryLookupTemplate("dc=test", filter));
        Assert.Contains(expected, error.Message);
    }
}
