using System.Security.Cryptography;
using System.Text;
using Brisk.Server.Pkcs11;

namespace Brisk.Server.Tests.Pkcs11;

/// <summary>RFC 7512 URIs: the RFC's own examples, percent-decoding, round trips, malformed input.</summary>
public sealed class Pkcs11UriTests
{
    [Fact]
    public void Parses_token_object_and_binary_id()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=brisk;object=server-rsa;id=%01%02%ff");
        Assert.Equal("brisk", uri.Token);
        Assert.Equal("server-rsa", uri.Object);
        Assert.Equal(new byte[] { 0x01, 0x02, 0xff }, uri.Id);
        Assert.Null(uri.Type);
    }

    [Theory]
    // Examples from RFC 7512 §3.
    [InlineData("pkcs11:")]
    [InlineData("pkcs11:object=my-pubkey;type=public")]
    [InlineData("pkcs11:object=my-key;type=private?pin-source=file:/etc/token")]
    [InlineData("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin")]
    [InlineData("pkcs11:object=my-sign-key;type=private?module-name=mypkcs11")]
    [InlineData("pkcs11:object=my-sign-key;type=private?module-path=/mnt/libmypkcs11.so.1")]
    [InlineData("pkcs11:token=Software%20PKCS%2311%20softtoken;manufacturer=Snake%20Oil,%20Inc.?pin-value=the-pin")]
    [InlineData("pkcs11:slot-description=Sun%20Metaslot")]
    [InlineData("pkcs11:library-manufacturer=Snake%20Oil,%20Inc.;library-description=Soft%20Token%20Library;library-version=1.23")]
    [InlineData("pkcs11:token=My%20token%25%20created%20by%20Joe;library-version=3;id=%01%02%03%Ba%dd%Ef%fe;object=Joe%27s%20certificate")]
    [InlineData("pkcs11:token=A%20name%20with%20a%20substring%20%25%3B;object=my-certificate;type=cert")]
    [InlineData("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=my-certificate;type=cert")]
    [InlineData("pkcs11:token=my-token;object=my-certificate;type=cert;vendor-aaa=value-a?pin-source=file:/etc/token_pin&vendor-bbb=value-b", false)]
    [InlineData("pkcs11:token=my-token;object=my-certificate;type=cert;x-vendor-aaa=value-a?pin-source=file:/etc/token_pin&x-vendor-bbb=value-b")]
    public void Rfc_7512_examples_parse_and_round_trip(string text, bool valid = true)
    {
        Assert.Equal(valid, Pkcs11Uri.TryParse(text, out var uri, out var error));
        if (!valid)
        {
            Assert.Contains("unknown attribute 'vendor-aaa'", error);
            return;
        }
        var again = Pkcs11Uri.Parse(uri!.ToString());
        Assert.Equal(Flatten(uri), Flatten(again));
    }

    [Fact]
    public void Percent_decoding_gives_utf8_labels()
    {
        var uri = Pkcs11Uri.Parse("pkcs11:token=Name%20with%20a%20small%20A%20with%20acute:%20%C3%A1;object=a%3Bb%2Fc");
        Assert.Equal("Name with a small A with acute: á", uri.Token);
        Assert.Equal("a;b/c", uri.Object);
        Assert.Contains("object=a%3Bb%2Fc", uri.ToString());
    }

    [Fact]
    public void Random_attribute_values_round_trip()
    {
        for (int i = 0; i < 200; i++)
        {
            byte[] id = RandomNumberGenerator.GetBytes(i % 20);
            string label = new(Enumerable.Range(0, i % 13).Select(_ => (char)RandomNumberGenerator.GetInt32(0x20, 0x7f)).ToArray());
            var uri = Pkcs11Uri.ForObject("tok;en?&=" + label, label + "é", id);
            var parsed = Pkcs11Uri.Parse(uri.ToString());
            Assert.Equal("tok;en?&=" + label, parsed.Token);
            Assert.Equal(label + "é", parsed.Object);
            Assert.Equal(id, parsed.Id);
        }
    }

    [Theory]
    [InlineData("file:key.pem", "starts with 'pkcs11:'")]
    [InlineData("pkcs11:token", "is not NAME=VALUE")]
    [InlineData("pkcs11:=x", "is not NAME=VALUE")]
    [InlineData("pkcs11:token=a;token=b", "attribute 'token' appears twice")]
    [InlineData("pkcs11:colour=blue", "unknown attribute 'colour'")]
    [InlineData("pkcs11:x-=1", "unknown attribute 'x-'")]
    [InlineData("pkcs11:pin-value=1234", "belongs in the query part")]
    [InlineData("pkcs11:token=a?object=b", "belongs in the path part")]
    [InlineData("pkcs11:id=%0", "truncated percent-encoding")]
    [InlineData("pkcs11:id=%", "truncated percent-encoding")]
    [InlineData("pkcs11:id=%g1", "bad percent-encoding")]
    [InlineData("pkcs11:object=a b", "character ' ' must be percent-encoded")]
    [InlineData("pkcs11:object=a/b", "character '/' must be percent-encoded")]
    [InlineData("pkcs11:object=%C3%28", "is not UTF-8")]
    [InlineData("pkcs11:type=secret", "type 'secret' is not one of")]
    public void Malformed_uris_are_rejected_with_a_reason(string text, string expected)
    {
        Assert.False(Pkcs11Uri.TryParse(text, out var uri, out var error));
        Assert.Null(uri);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Id_is_percent_encoded_byte_by_byte()
    {
        Assert.Equal("pkcs11:token=t;object=o;id=%41%00%FF", Pkcs11Uri.ForObject("t", "o", [0x41, 0x00, 0xff]).ToString());
    }

    private static string Flatten(Pkcs11Uri uri)
        => string.Join("|", uri.Path.Concat(uri.Query).Select(a => a.Key + "=" + Convert.ToHexString(a.Value)));
}
