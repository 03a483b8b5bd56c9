using System.Formats.Asn1;
using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;

namespace Brisk.Crypto.Tests.KeyExchange;

public class LibCryptoKeyExchangeTests
{
    private static readonly LibCryptoKeyExchangeProvider Provider = LibCryptoKeyExchangeProvider.Instance;

    public static TheoryData<NamedGroup> AllGroups => [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];

    [Fact]
    public void LibraryLoadsOnThisMachine()
    {
        Assert.True(LibCryptoKeyExchangeProvider.IsLibraryAvailable);
        Assert.Equal("libcrypto", Provider.Name);
        Assert.False(Provider.IsSupported((NamedGroup)0x0019)); // secp521r1 is not offered
    }

    [Theory]
    [MemberData(nameof(AllGroups))]
    public void TwoGeneratedKeysAgree(NamedGroup group)
    {
        using var a = Provider.Generate(group);
        using var b = Provider.Generate(group);
        Assert.Equal(group.PublicKeyLength(), a.PublicKey.Length);
        if (group != NamedGroup.X25519)
            Assert.Equal(0x04, a.PublicKey[0]);
        var s1 = new byte[group.SharedSecretLength()];
        var s2 = new byte[group.SharedSecretLength()];
        Assert.True(a.TryDeriveSharedSecret(b.PublicKey, s1));
        Assert.True(b.TryDeriveSharedSecret(a.PublicKey, s2));
        Assert.Equal(s1, s2);
        Assert.NotEqual(new byte[s1.Length], s1);
        Assert.False(a.PublicKey.SequenceEqual(b.PublicKey));
    }

    [Theory]
    [MemberData(nameof(AllGroups))]
    public void MalformedPeerKeysReturnFalse(NamedGroup group)
    {
        using var key = Provider.Generate(group);
        using var peer = Provider.Generate(group);
        var secret = new byte[group.SharedSecretLength()];
        byte[] good = peer.PublicKey.ToArray();

        Assert.False(key.TryDeriveSharedSecret([], secret));
        Assert.False(key.TryDeriveSharedSecret(good.AsSpan(0, good.Length - 1), secret));
        Assert.False(key.TryDeriveSharedSecret([.. good, 0], secret));
        Assert.False(key.TryDeriveSharedSecret(good, new byte[group.SharedSecretLength() - 1]));
        if (group != NamedGroup.X25519)
        {
            Assert.False(key.TryDeriveSharedSecret([0x00], secret)); // point at infinity
            Assert.False(key.TryDeriveSharedSecret(new byte[good.Length], secret)); // all zero, wrong prefix
            byte[] zeroPoint = new byte[good.Length];
            zeroPoint[0] = 0x04; // (0, 0) is not on either curve
            Assert.False(key.TryDeriveSharedSecret(zeroPoint, secret));
            byte[] offCurve = (byte[])good.Clone();
            offCurve[^1] ^= 1;
            Assert.False(key.TryDeriveSharedSecret(offCurve, secret));
            // Compressed form of a valid point: RFC 8422 §5.11 allows only uncompressed.
            int coordinate = (good.Length - 1) / 2;
            byte[] compressed = new byte[1 + coordinate];
            compressed[0] = (byte)(0x02 | (good[^1] & 1));
            good.AsSpan(1, coordinate).CopyTo(compressed.AsSpan(1));
            Assert.False(key.TryDeriveSharedSecret(compressed, secret));
            byte[] hybrid = (byte[])good.Clone();
            hybrid[0] = (byte)(0x06 | (good[^1] & 1)); // X9.62 hybrid form
            Assert.False(key.TryDeriveSharedSecret(hybrid, secret));
        }
        else
        {
            // u = 0 and u = 1 are small-order points: the shared secret would be all zero (RFC 7748 §6.1).
            Assert.False(key.TryDeriveSharedSecret(new byte[32], secret));
            byte[] one = new byte[32];
            one[0] = 1;
            Assert.False(key.TryDeriveSharedSecret(one, secret));
        }
        Assert.Equal(new byte[secret.Length], secret);
        Assert.True(key.TryDeriveSharedSecret(good, secret));
    }

    [Theory]
    [MemberData(nameof(AllGroups))]
    public void DisposedKeyReturnsFalse(NamedGroup group)
    {
        var key = Provider.Generate(group);
        using var peer = Provider.Generate(group);
        key.Dispose();
        key.Dispose();
        Assert.False(key.TryDeriveSharedSecret(peer.PublicKey, new byte[group.SharedSecretLength()]));
    }

    [Fact]
    public void X25519MatchesWycheproof()
    {
        var (_, agreed, rejected) = PlatformVectors.CheckX25519(privateKey => LibCryptoKeyExchangeProvider.ImportPrivateKey(NamedGroup.X25519, privateKey));
        Assert.True(agreed > 450, $"only {agreed} agreements checked");
        Assert.True(rejected >= 20, $"only {rejected} rejections checked");
    }

    [Fact]
    public void X25519RfcKeyPairsReproduce()
    {
        // RFC 7748 §6.1: Alice's and Bob's key pairs and their shared secret.
        byte[] alicePrivate = Convert.FromHexString("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
        byte[] bobPrivate = Convert.FromHexString("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
        using var alice = LibCryptoKeyExchangeProvider.ImportPrivateKey(NamedGroup.X25519, alicePrivate);
        using var bob = LibCryptoKeyExchangeProvider.ImportPrivateKey(NamedGroup.X25519, bobPrivate);
        Assert.Equal("8520F0098930A754748B7DDCB43EF75A0DBF3A0D26381AF4EBA4A98EAA9B4E6A", Convert.ToHexString(alice.PublicKey));
        Assert.Equal("DE9EDB7D7B7DC1B4D35B61C2ECE435373F8343C85B78674DADFC7E146F882B4F", Convert.ToHexString(bob.PublicKey));
        var secret = new byte[32];
        Assert.True(alice.TryDeriveSharedSecret(bob.PublicKey, secret));
        Assert.Equal("4A5D9D5BA4CE2DE1728E3BF480350F25E07E21C947D19E3376F09B3C1E161742", Convert.ToHexString(secret));
    }

    [Theory]
    [InlineData(NamedGroup.Secp256r1, "ecdh_secp256r1_test.json")]
    [InlineData(NamedGroup.Secp384r1, "ecdh_secp384r1_test.json")]
    public void NistEcdhMatchesWycheproof(NamedGroup group, string file)
    {
        int agreed = 0, rejected = 0, skipped = 0;
        foreach (var v in PlatformVectors.Load(file))
        {
            // The vectors carry the peer key as SubjectPublicKeyInfo; TLS carries only the point. Take the
            // point out of every strictly DER-encoded SPKI and feed it to the wire-form API.
            // Vectors flagged UnnamedCurve spell out (modified) explicit curve parameters in the SPKI; TLS
            // fixes the curve by NamedGroup, so their verdict is about the parameters, not the point.
            byte[]? point = v.Flags.Contains("UnnamedCurve") ? null : PointFromSpki(v.Hex("public"));
            if (point is null)
            {
                skipped++;
                continue;
            }
            using var key = LibCryptoKeyExchangeProvider.ImportPrivateKey(group, v.Hex("private"));
            var secret = new byte[group.SharedSecretLength()];
            bool ok = key.TryDeriveSharedSecret(point, secret);
            bool uncompressed = point.Length == group.PublicKeyLength() && point[0] == 0x04;
            if (v.Result == "acceptable" && uncompressed && !ok)
            {
                // e.g. InvalidAsn cases that alter the point bytes themselves: refusing is as right as agreeing.
                skipped++;
            }
            else if (v.Result != "invalid" && uncompressed)
            {
                Assert.True(ok, v.Describe);
                Assert.Equal(Convert.ToHexString(v.Hex("shared")), Convert.ToHexString(secret));
                agreed++;
            }
            else
            {
                // Invalid points (off-curve, other curve) and every compressed encoding must be refused.
                Assert.False(ok, v.Describe);
                rejected++;
            }
        }
        Assert.True(agreed > 300, $"only {agreed} agreements checked");
        Assert.True(rejected >= 20, $"only {rejected} rejections checked ({skipped} skipped)");
    }

    private static byte[]? PointFromSpki(byte[] spki)
    {
        try
        {
            var reader = new AsnReader(spki, AsnEncodingRules.DER);
            var sequence = reader.ReadSequence();
            reader.ThrowIfNotEmpty();
            sequence.ReadSequence(); // AlgorithmIdentifier: the vectors vary the curve here; the wire form has none.
            byte[] point = sequence.ReadBitString(out int unusedBits);
            sequence.ThrowIfNotEmpty();
            return unusedBits == 0 ? point : null;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
