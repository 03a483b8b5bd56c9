using System.Security.Cryptography;
using System.Text;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using static Brisk.Tls.Tests.Messages.Wire;

namespace Brisk.Tls.Tests.Messages;

/// <summary>
/// ClientHellos recorded from real clients (see TestData/ClientHello/README.md). Expected values are taken
/// from `openssl s_client -trace` output and from the command lines used to capture them.
/// </summary>
public class RealClientHelloTests
{
    internal static byte[] Load(string name) =>
        Hex(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "ClientHello", name)));

    internal static readonly string[] AllRecordings = ["openssl_tls12.hex", "openssl_tls13.hex", "openssl_tls13_psk.hex", "curl.hex", "gnutls.hex", "chromium.hex"];

    private static ClientHello ParseRecording(string name) => ClientHello.Parse(Body(Load(name), HandshakeType.ClientHello));

    private static readonly SignatureScheme[] OpenSslSignatureAlgorithms =
    [
        SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.EcdsaSecp384r1Sha384, SignatureScheme.EcdsaSecp521r1Sha512,
        SignatureScheme.Ed25519, SignatureScheme.Ed448, SignatureScheme.RsaPssPssSha256, SignatureScheme.RsaPssPssSha384,
        SignatureScheme.RsaPssPssSha512, SignatureScheme.RsaPssRsaeSha256, SignatureScheme.RsaPssRsaeSha384,
        SignatureScheme.RsaPssRsaeSha512, SignatureScheme.RsaPkcs1Sha256, SignatureScheme.RsaPkcs1Sha384,
        SignatureScheme.RsaPkcs1Sha512, (SignatureScheme)0x0303, (SignatureScheme)0x0301, (SignatureScheme)0x0302,
        (SignatureScheme)0x0402, (SignatureScheme)0x0502, (SignatureScheme)0x0602,
    ];

    [Fact]
    public void OpenSsl_tls12_only_hello()
    {
        ClientHello hello = ParseRecording("openssl_tls12.hex");
        Assert.Equal(ProtocolVersion.Tls12, hello.LegacyVersion);
        Assert.Empty(hello.LegacySessionId);
        Assert.Equal(28, hello.CipherSuites.Length);
        Assert.Equal(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, hello.CipherSuites[0]);
        Assert.Contains(CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, hello.CipherSuites);
        Assert.Contains(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, hello.CipherSuites);
        Assert.Contains(CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384, hello.CipherSuites);
        Assert.DoesNotContain(CipherSuite.TLS_AES_128_GCM_SHA256, hello.CipherSuites);
        Assert.True(hello.HasEmptyRenegotiationInfoScsv);
        Assert.False(hello.HasFallbackScsv);
        Assert.Equal([0], hello.CompressionMethods!);
        Assert.Equal("example.com", hello.ServerName);
        Assert.Equal([0, 1, 2], hello.EcPointFormats!);
        Assert.Equal([(ushort)NamedGroup.X25519, (ushort)NamedGroup.Secp256r1, 0x001E, 0x0019, (ushort)NamedGroup.Secp384r1], hello.SupportedGroups!);
        Assert.Equal(OpenSslSignatureAlgorithms, hello.SignatureAlgorithms);
        Assert.True(hello.ExtendedMasterSecret);
        Assert.NotNull(hello.SessionTicket);
        Assert.Empty(hello.SessionTicket);
        Assert.Null(hello.SupportedVersions);
        Assert.Null(hello.KeyShares);
        Assert.Null(hello.AlpnProtocols);
        Assert.Null(hello.PreSharedKey);
        Assert.Equal(-1, hello.PskBindersOffset);
        Assert.Equal(
            [ExtensionType.ServerName, ExtensionType.EcPointFormats, ExtensionType.SupportedGroups, ExtensionType.SessionTicket,
             ExtensionType.EncryptThenMac, ExtensionType.ExtendedMasterSecret, ExtensionType.SignatureAlgorithms],
            hello.Extensions.Select(e => e.Type));
    }

    [Fact]
    public void OpenSsl_tls13_default_hello()
    {
        ClientHello hello = ParseRecording("openssl_tls13.hex");
        Assert.Equal(32, hello.LegacySessionId.Length); // middlebox compatibility mode (RFC 8446 §D.4)
        Assert.Equal([CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, CipherSuite.TLS_AES_128_GCM_SHA256], hello.CipherSuites[..3]);
        Assert.Equal("brisk.test", hello.ServerName);
        Assert.Equal([(ushort)NamedGroup.X25519, (ushort)NamedGroup.Secp256r1, (ushort)NamedGroup.Secp384r1], hello.SupportedGroups!);
        Assert.Equal([ProtocolVersion.Tls13, ProtocolVersion.Tls12, ProtocolVersion.Tls11, ProtocolVersion.Tls10], hello.SupportedVersions!);
        Assert.Equal([PskKeyExchangeMode.PskDheKe], hello.PskKeyExchangeModes!);
        KeyShareEntry share = Assert.Single(hello.KeyShares!);
        Assert.True(share.Is(NamedGroup.X25519));
        Assert.Equal(32, share.KeyExchange.Length);
        Assert.Equal(["h2", "http/1.1"], hello.AlpnProtocols!.Select(p => Encoding.ASCII.GetString(p)));
        Assert.Equal(OpenSslSignatureAlgorithms, hello.SignatureAlgorithms);
        Assert.True(hello.ExtendedMasterSecret);
        Assert.Null(hello.PreSharedKey);
    }

    [Fact]
    public void Curl_hello()
    {
        ClientHello hello = ParseRecording("curl.hex");
        Assert.Equal("brisk.test", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.AlpnProtocols!.Select(p => Encoding.ASCII.GetString(p)));
        Assert.Equal([ProtocolVersion.Tls13, ProtocolVersion.Tls12, ProtocolVersion.Tls11, ProtocolVersion.Tls10], hello.SupportedVersions!);
        Assert.Equal(
            [0x001D, 0x0017, 0x001E, 0x0019, 0x0018, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104], // x25519, P-256, x448, P-521, P-384, ffdhe*
            hello.SupportedGroups);
        Assert.True(Assert.Single(hello.KeyShares!).Is(NamedGroup.X25519));
        Assert.True(hello.PostHandshakeAuth);
        Assert.Null(hello.SessionTicket);
        Assert.Equal(31, hello.CipherSuites.Length);
        Assert.True(hello.HasEmptyRenegotiationInfoScsv);
        // RFC 7685 padding is an extension Brisk ignores but keeps raw.
        Assert.Equal(ExtensionType.Padding, hello.Extensions[^1].Type);
    }

    [Fact]
    public void GnuTls_hello()
    {
        ClientHello hello = ParseRecording("gnutls.hex");
        Assert.Equal("brisk.test", hello.ServerName);
        Assert.Equal(ExtensionType.ServerName, hello.Extensions[^3].Type); // GnuTLS sends SNI late: order is not assumed
        Assert.Equal(["h2"], hello.AlpnProtocols!.Select(p => Encoding.ASCII.GetString(p)));
        Assert.Equal([0x0017, 0x0018, 0x0019, 0x001D, 0x001E, 0x0100, 0x0101, 0x0102, 0x0103, 0x0104], hello.SupportedGroups!);
        Assert.Equal(2, hello.KeyShares!.Length);
        Assert.True(hello.KeyShares[0].Is(NamedGroup.Secp256r1));
        Assert.Equal(65, hello.KeyShares[0].KeyExchange.Length);
        Assert.Equal(0x04, hello.KeyShares[0].KeyExchange[0]); // uncompressed point
        Assert.True(hello.KeyShares[1].Is(NamedGroup.X25519));
        Assert.Equal([PskKeyExchangeMode.PskDheKe, PskKeyExchangeMode.PskKe], hello.PskKeyExchangeModes!);
        Assert.True(hello.StatusRequest);
        Assert.Equal((ushort)16385, hello.RecordSizeLimit);
        Assert.NotNull(hello.RenegotiationInfo);
        Assert.Empty(hello.RenegotiationInfo); // RFC 5746 §3.4: empty on the initial handshake, instead of the SCSV
        Assert.False(hello.HasEmptyRenegotiationInfoScsv);
        Assert.Equal([0], hello.EcPointFormats!);
        Assert.Contains(CipherSuite.TLS_AES_128_CCM_SHA256, hello.CipherSuites);
        Assert.Equal(SignatureScheme.RsaPkcs1Sha256, hello.SignatureAlgorithms![0]);
    }

    [Fact]
    public void Chromium_hello_with_grease_and_a_post_quantum_share()
    {
        ClientHello hello = ParseRecording("chromium.hex");
        Assert.Equal("brisk.test", hello.ServerName);
        Assert.Equal(["h2", "http/1.1"], hello.AlpnProtocols!.Select(p => Encoding.ASCII.GetString(p)));
        Assert.True(Grease.IsGrease((ushort)hello.CipherSuites[0]));
        Assert.Equal(
            [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_AES_256_GCM_SHA384, CipherSuite.TLS_CHACHA20_POLY1305_SHA256,
             CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
            hello.CipherSuites[1..6]);
        Assert.Equal(16, hello.CipherSuites.Length);

        // GREASE group, X25519MLKEM768 (0x11EC), X25519, P-256, P-384
        Assert.Equal([0x2A2A, 0x11EC, 0x001D, 0x0017, 0x0018], hello.SupportedGroups!);
        Assert.Equal([(ushort)0x2A2A, (ushort)0x11EC, (ushort)0x001D], hello.KeyShares!.Select(k => k.Group));
        Assert.Equal([1, 1216, 32], hello.KeyShares!.Select(k => k.KeyExchange.Length));
        Assert.Equal([0xFAFA, ProtocolVersion.Tls13, ProtocolVersion.Tls12], hello.SupportedVersions!);
        Assert.Equal([PskKeyExchangeMode.PskDheKe], hello.PskKeyExchangeModes!);
        Assert.True(hello.ExtendedMasterSecret);
        Assert.True(hello.StatusRequest);
        Assert.Empty(hello.RenegotiationInfo!);
        Assert.Empty(hello.SessionTicket!);
        Assert.Equal([0], hello.EcPointFormats!);
        Assert.Null(hello.PreSharedKey);

        // Two GREASE extensions plus extensions Brisk does not interpret (ECH, ALPS, compress_certificate) are kept raw.
        Assert.Equal(2, hello.Extensions.Count(e => Grease.IsGrease((ushort)e.Type)));
        Assert.Contains(hello.Extensions, e => (ushort)e.Type == 0xFE0D);
        Assert.Contains(hello.Extensions, e => e.Type == ExtensionType.CompressCertificate);
        Assert.Equal(19, hello.Extensions.Count);
    }

    /// <summary>
    /// The PSK binder OpenSSL computed must equal HMAC(finished_key, Transcript-Hash(Truncate(ClientHello)))
    /// (RFC 8446 §4.2.11.2), computed here from the session's resumption PSK with .NET's HKDF. This pins
    /// PskBindersOffset to the exact bytes an independent implementation truncated at.
    /// </summary>
    [Fact]
    public void OpenSsl_resumption_hello_binder_verifies_over_the_truncated_hello()
    {
        byte[] message = Load("openssl_tls13_psk.hex");
        ClientHello hello = ClientHello.Parse(Body(message, HandshakeType.ClientHello));

        OfferedPsks psk = Assert.IsType<OfferedPsks>(hello.PreSharedKey);
        Assert.Equal(ExtensionType.PreSharedKey, hello.Extensions[^1].Type);
        PskIdentity identity = Assert.Single(psk.Identities);
        Assert.Equal(0xD0, identity.Identity.Length);
        byte[] binder = Assert.Single(psk.Binders);
        Assert.Equal(48, binder.Length);
        Assert.Equal(hello.EncodedBody.Length - psk.BindersEncodedLength, hello.PskBindersOffset);

        // `openssl sess_id -in sess.pem -noout -text` → Cipher TLS_AES_256_GCM_SHA384, Resumption PSK:
        byte[] resumptionPsk = Hex("35D9FA15D46CD42DFF927AFCA871AA8F6E3FF9D226C468846C18F631823C32317F7179A2EC8F27622F0A6415166358A4");
        byte[] earlySecret = HKDF.Extract(HashAlgorithmName.SHA384, resumptionPsk, new byte[48]);
        byte[] binderKey = ExpandLabel(earlySecret, "res binder", SHA384.HashData(ReadOnlySpan<byte>.Empty), 48);
        byte[] finishedKey = ExpandLabel(binderKey, "finished", [], 48);
        byte[] truncatedHello = message[..(HandshakeHeader.Length + hello.PskBindersOffset)];
        byte[] expected = HMACSHA384.HashData(finishedKey, SHA384.HashData(truncatedHello));
        Assert.Equal(expected, binder);
    }

    // HKDF-Expand-Label (RFC 8446 §7.1), written out independently of Brisk's key schedule.
    private static byte[] ExpandLabel(byte[] secret, string label, byte[] context, int length)
    {
        byte[] fullLabel = Encoding.ASCII.GetBytes("tls13 " + label);
        byte[] info = [(byte)(length >> 8), (byte)length, (byte)fullLabel.Length, .. fullLabel, (byte)context.Length, .. context];
        return HKDF.Expand(HashAlgorithmName.SHA384, secret, length, info);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void Recorded_hello_survives_write_and_parse(string name)
    {
        ClientHello original = ParseRecording(name);
        byte[] rewritten = Encode(original.Write);
        ClientHello reparsed = ClientHello.Parse(Body(rewritten, HandshakeType.ClientHello));
        ClientHelloTests.AssertSameFields(original, reparsed);
    }

    [Theory]
    [MemberData(nameof(Recordings))]
    public void Every_proper_prefix_of_a_recorded_hello_is_rejected(string name)
    {
        byte[] body = Body(Load(name), HandshakeType.ClientHello);
        ClientHello hello = ClientHello.Parse(body);
        int endOfCompressionMethods = 2 + 32 + 1 + hello.LegacySessionId.Length + 2 + 2 * hello.CipherSuites.Length + 1 + hello.CompressionMethods.Length;
        AssertEveryProperPrefixRejected(body, b => ClientHello.Parse(b), endOfCompressionMethods);
    }

    /// <summary>
    /// Bad input never escapes as anything but TlsProtocolException: flip, drop and insert bytes in real
    /// hellos (fixed seed, so a failure reproduces).
    /// </summary>
    [Theory]
    [MemberData(nameof(Recordings))]
    public void Mutated_recorded_hellos_fail_only_with_TlsProtocolException(string name)
    {
        byte[] body = Body(Load(name), HandshakeType.ClientHello);
        var random = new Random(20261127);
        for (int i = 0; i < 3000; i++)
        {
            byte[] mutated = Mutate(body, random);
            var exception = Record.Exception(() => ClientHello.Parse(mutated));
            Assert.True(exception is null or TlsProtocolException, $"mutation {i}: {exception}");
        }
    }

    internal static byte[] Mutate(byte[] input, Random random)
    {
        var bytes = new List<byte>(input);
        int edits = 1 + random.Next(3);
        for (int e = 0; e < edits && bytes.Count > 0; e++)
        {
            int position = random.Next(bytes.Count);
            switch (random.Next(4))
            {
                case 0: bytes[position] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[position] = (byte)random.Next(256); break;
                case 2: bytes.RemoveAt(position); break;
                default: bytes.Insert(position, (byte)random.Next(256)); break;
            }
        }

        return bytes.ToArray();
    }

    public static TheoryData<string> Recordings() => new(AllRecordings);
}
