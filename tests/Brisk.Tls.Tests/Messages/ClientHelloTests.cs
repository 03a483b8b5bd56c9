using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using static Brisk.Tls.Tests.Messages.Wire;

namespace Brisk.Tls.Tests.Messages;

public class ClientHelloTests
{
    private static readonly BodyParser Parse = body => ClientHello.Parse(body);

    internal static ClientHello FullHello() => new()
    {
        LegacyVersion = ProtocolVersion.Tls12,
        Random = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(),
        LegacySessionId = Enumerable.Repeat((byte)0x5A, 32).ToArray(),
        CipherSuites = [CipherSuite.TLS_AES_128_GCM_SHA256, CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, (CipherSuite)0x0A0A, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV],
        CompressionMethods = [0],
        ServerName = "www.example.com",
        SupportedGroups = [0x1A1A, (ushort)NamedGroup.X25519, (ushort)NamedGroup.Secp256r1],
        EcPointFormats = [0],
        SignatureAlgorithms = [SignatureScheme.EcdsaSecp256r1Sha256, SignatureScheme.RsaPssRsaeSha256],
        SignatureAlgorithmsCert = [SignatureScheme.RsaPkcs1Sha256],
        AlpnProtocols = ["h2"u8.ToArray(), "http/1.1"u8.ToArray()],
        ExtendedMasterSecret = true,
        RenegotiationInfo = [],
        SessionTicket = [1, 2, 3],
        SupportedVersions = [0x2A2A, ProtocolVersion.Tls13, ProtocolVersion.Tls12],
        KeyShares = [new KeyShareEntry((ushort)NamedGroup.X25519, Enumerable.Repeat((byte)7, 32).ToArray())],
        PskKeyExchangeModes = [PskKeyExchangeMode.PskDheKe],
        EarlyData = true,
        Cookie = [9, 9],
        StatusRequest = true,
        RecordSizeLimit = 16385,
        PostHandshakeAuth = true,
        PreSharedKey = new OfferedPsks
        {
            Identities = [new PskIdentity([0xAB, 0xCD, 0xEF], 0x01020304), new PskIdentity([0x11], 7)],
            Binders = [Enumerable.Repeat((byte)0xB1, 32).ToArray(), Enumerable.Repeat((byte)0xB2, 48).ToArray()],
        },
    };

    internal static void AssertSameFields(ClientHello expected, ClientHello actual)
    {
        Assert.Equal(expected.LegacyVersion, actual.LegacyVersion);
        Assert.Equal(expected.Random, actual.Random);
        Assert.Equal(expected.LegacySessionId, actual.LegacySessionId);
        Assert.Equal(expected.CipherSuites, actual.CipherSuites);
        Assert.Equal(expected.CompressionMethods, actual.CompressionMethods);
        Assert.Equal(expected.ServerName, actual.ServerName);
        Assert.Equal(expected.SupportedGroups, actual.SupportedGroups);
        Assert.Equal(expected.EcPointFormats, actual.EcPointFormats);
        Assert.Equal(expected.SignatureAlgorithms, actual.SignatureAlgorithms);
        Assert.Equal(expected.SignatureAlgorithmsCert, actual.SignatureAlgorithmsCert);
        Assert.Equal(expected.AlpnProtocols, actual.AlpnProtocols);
        Assert.Equal(expected.ExtendedMasterSecret, actual.ExtendedMasterSecret);
        Assert.Equal(expected.RenegotiationInfo, actual.RenegotiationInfo);
        Assert.Equal(expected.SessionTicket, actual.SessionTicket);
        Assert.Equal(expected.SupportedVersions, actual.SupportedVersions);
        Assert.Equal(expected.KeyShares?.Select(k => (k.Group, Convert.ToHexString(k.KeyExchange))), actual.KeyShares?.Select(k => (k.Group, Convert.ToHexString(k.KeyExchange))));
        Assert.Equal(expected.PskKeyExchangeModes, actual.PskKeyExchangeModes);
        Assert.Equal(expected.PreSharedKey?.Identities, actual.PreSharedKey?.Identities, (a, b) => a.Identity.AsSpan().SequenceEqual(b.Identity) && a.ObfuscatedTicketAge == b.ObfuscatedTicketAge);
        Assert.Equal(expected.PreSharedKey?.Binders, actual.PreSharedKey?.Binders);
        Assert.Equal(expected.EarlyData, actual.EarlyData);
        Assert.Equal(expected.Cookie, actual.Cookie);
        Assert.Equal(expected.StatusRequest, actual.StatusRequest);
        Assert.Equal(expected.RecordSizeLimit, actual.RecordSizeLimit);
        Assert.Equal(expected.PostHandshakeAuth, actual.PostHandshakeAuth);
        Assert.Equal(expected.HasEmptyRenegotiationInfoScsv, actual.HasEmptyRenegotiationInfoScsv);
    }

    /// <summary>A hello body with fixed fields and the given pre-encoded extensions.</summary>
    internal static byte[] HelloBody(params byte[][] extensions) => Encode(w =>
    {
        w.WriteUInt16(ProtocolVersion.Tls12);
        w.WriteBytes(new byte[32]);
        w.WriteVector8([]);
        w.WriteVector16([0x13, 0x01, 0xC0, 0x2F]);
        w.WriteVector8([0]);
        WriteExtensionsBlock(w, extensions);
    });

    private static readonly byte[] SupportedGroupsX25519 = Extension(ExtensionType.SupportedGroups, 0x00, 0x02, 0x00, 0x1D);

    private static byte[] SniExtension(params (byte Type, string Name)[] names) =>
        Extension(ExtensionType.ServerName, Encode(w =>
        {
            int list = w.BeginVector(2);
            foreach (var (type, name) in names)
            {
                w.WriteUInt8(type);
                w.WriteVector16(System.Text.Encoding.ASCII.GetBytes(name));
            }

            w.EndVector(list);
        }));

    private static byte[] PskExtension(int identities, int binders, int binderLength = 32) =>
        Extension(ExtensionType.PreSharedKey, Encode(w =>
        {
            int list = w.BeginVector(2);
            for (int i = 0; i < identities; i++)
            {
                w.WriteVector16([1, 2, 3]);
                w.WriteUInt32(0);
            }

            w.EndVector(list);
            list = w.BeginVector(2);
            for (int i = 0; i < binders; i++)
            {
                w.WriteVector8(new byte[binderLength]);
            }

            w.EndVector(list);
        }));

    [Fact]
    public void Round_trip_keeps_every_field()
    {
        ClientHello hello = FullHello();
        byte[] message = Encode(hello.Write);
        ClientHello parsed = ClientHello.Parse(Body(message, HandshakeType.ClientHello));
        AssertSameFields(hello, parsed);
        Assert.True(parsed.HasEmptyRenegotiationInfoScsv);
        Assert.False(parsed.HasFallbackScsv);
        Assert.Equal(ExtensionType.PreSharedKey, parsed.Extensions[^1].Type);
        Assert.Equal(message.Length - HandshakeHeader.Length, parsed.EncodedBody.Length);
    }

    [Fact]
    public void Psk_binders_are_the_tail_of_the_written_hello()
    {
        ClientHello hello = FullHello();
        byte[] message = Encode(hello.Write);
        ClientHello parsed = ClientHello.Parse(Body(message, HandshakeType.ClientHello));
        int bindersLength = hello.PreSharedKey!.BindersEncodedLength;
        Assert.Equal(2 + 33 + 49, bindersLength);
        Assert.Equal(parsed.EncodedBody.Length - bindersLength, parsed.PskBindersOffset);
        // The binders list starts with its uint16 length, then the first binder's length byte.
        ReadOnlySpan<byte> binders = parsed.EncodedBody.Span[parsed.PskBindersOffset..];
        Assert.Equal(bindersLength - 2, (binders[0] << 8) | binders[1]);
        Assert.Equal(32, binders[2]);
        Assert.Equal(0xB1, binders[3]);
    }

    [Fact]
    public void Hello_without_extensions_omits_the_block_and_round_trips()
    {
        var hello = new ClientHello { CipherSuites = [CipherSuite.TLS_RSA_WITH_AES_128_GCM_SHA256] };
        byte[] body = Body(Encode(hello.Write), HandshakeType.ClientHello);
        Assert.Equal(2 + 32 + 1 + 4 + 2, body.Length);
        ClientHello parsed = ClientHello.Parse(body);
        Assert.Empty(parsed.Extensions);
        AssertSameFields(hello, parsed);
    }

    [Fact]
    public void Every_proper_prefix_is_rejected()
    {
        ClientHello hello = FullHello();
        byte[] body = Body(Encode(hello.Write), HandshakeType.ClientHello);
        int endOfCompressionMethods = 2 + 32 + 1 + 32 + 2 + 8 + 2;
        AssertEveryProperPrefixRejected(body, Parse, endOfCompressionMethods);
    }

    [Fact]
    public void Rejects_trailing_bytes()
    {
        AssertTrailingBytesRejected(Body(Encode(FullHello().Write), HandshakeType.ClientHello), Parse);
    }

    [Fact]
    public void Rejects_duplicate_extension()
    {
        Rejects(Parse, HelloBody(SupportedGroupsX25519, SupportedGroupsX25519), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_duplicate_unknown_extension()
    {
        byte[] grease = Extension((ExtensionType)0x3A3A);
        Rejects(Parse, HelloBody(grease, SupportedGroupsX25519, grease), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_duplicate_among_many_distinct_unknown_extensions()
    {
        // More high-numbered types than the inline set holds, so the HashSet path is taken.
        var extensions = Enumerable.Range(0, 20).Select(i => Extension((ExtensionType)(0x1000 + i))).ToList();
        extensions.Add(Extension((ExtensionType)0x1003));
        Rejects(Parse, HelloBody([.. extensions]), AlertDescription.IllegalParameter);
        extensions.RemoveAt(extensions.Count - 1);
        Assert.Equal(20, ClientHello.Parse(HelloBody([.. extensions])).Extensions.Count);
    }

    [Fact]
    public void Ignores_unknown_extensions_but_keeps_them_raw()
    {
        ClientHello hello = ClientHello.Parse(HelloBody(Extension((ExtensionType)0xFAFA, 0x00), SupportedGroupsX25519));
        Assert.Equal((ExtensionType)0xFAFA, hello.Extensions[0].Type);
        Assert.Equal([0x00], hello.Extensions[0].Data.ToArray());
        Assert.Equal([(ushort)NamedGroup.X25519], hello.SupportedGroups!);
    }

    [Fact]
    public void Rejects_psk_not_last()
    {
        Rejects(Parse, HelloBody(PskExtension(1, 1), SupportedGroupsX25519), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_psk_with_fewer_binders_than_identities()
    {
        Rejects(Parse, HelloBody(PskExtension(2, 1)), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_psk_binder_shorter_than_32_bytes()
    {
        Rejects(Parse, HelloBody(PskExtension(1, 1, binderLength: 31)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_psk_without_identities()
    {
        Rejects(Parse, HelloBody(PskExtension(0, 1)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_sni_with_two_host_names()
    {
        Rejects(Parse, HelloBody(SniExtension((0, "a.example"), (0, "b.example"))), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Skips_unknown_sni_name_types()
    {
        ClientHello hello = ClientHello.Parse(HelloBody(SniExtension((7, "opaque"), (0, "brisk.test"))));
        Assert.Equal("brisk.test", hello.ServerName);
    }

    [Fact]
    public void Rejects_sni_with_trailing_dot()
    {
        Rejects(Parse, HelloBody(SniExtension((0, "brisk.test."))), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_sni_with_non_ascii_host_name()
    {
        byte[] sni = Extension(ExtensionType.ServerName, 0x00, 0x05, 0x00, 0x00, 0x02, 0xC3, 0xA9);
        Rejects(Parse, HelloBody(sni), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_sni_with_empty_list_or_empty_name()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.ServerName, 0x00, 0x00)), AlertDescription.DecodeError);
        Rejects(Parse, HelloBody(Extension(ExtensionType.ServerName, 0x00, 0x03, 0x00, 0x00, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_sni_list_with_trailing_bytes_inside_the_extension()
    {
        byte[] sni = Extension(ExtensionType.ServerName, 0x00, 0x04, 0x00, 0x00, 0x01, (byte)'a', 0xFF);
        Rejects(Parse, HelloBody(sni), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_extension_data_longer_than_its_content()
    {
        // supported_groups with one spare byte after the list
        Rejects(Parse, HelloBody(Extension(ExtensionType.SupportedGroups, 0x00, 0x02, 0x00, 0x1D, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_empty_or_odd_cipher_suites()
    {
        byte[] Hello(byte[] suites) => Encode(w =>
        {
            w.WriteUInt16(ProtocolVersion.Tls12);
            w.WriteBytes(new byte[32]);
            w.WriteVector8([]);
            w.WriteVector16(suites);
            w.WriteVector8([0]);
        });
        Rejects(Parse, Hello([]), AlertDescription.DecodeError);
        Rejects(Parse, Hello([0x13, 0x01, 0x13]), AlertDescription.DecodeError);
        Assert.Single(ClientHello.Parse(Hello([0x13, 0x01])).CipherSuites);
    }

    [Fact]
    public void Rejects_empty_compression_methods()
    {
        byte[] body = Encode(w =>
        {
            w.WriteUInt16(ProtocolVersion.Tls12);
            w.WriteBytes(new byte[32]);
            w.WriteVector8([]);
            w.WriteVector16([0x13, 0x01]);
            w.WriteVector8([]);
        });
        Rejects(Parse, body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Parses_compression_methods_without_null_leaving_the_decision_to_the_handshake()
    {
        byte[] body = Encode(w =>
        {
            w.WriteUInt16(ProtocolVersion.Tls12);
            w.WriteBytes(new byte[32]);
            w.WriteVector8([]);
            w.WriteVector16([0x13, 0x01]);
            w.WriteVector8([1]);
        });
        Assert.Equal([1], ClientHello.Parse(body).CompressionMethods);
    }

    [Fact]
    public void Rejects_session_id_longer_than_32_bytes()
    {
        byte[] body = Encode(w =>
        {
            w.WriteUInt16(ProtocolVersion.Tls12);
            w.WriteBytes(new byte[32]);
            w.WriteVector8(new byte[33]);
            w.WriteVector16([0x13, 0x01]);
            w.WriteVector8([0]);
        });
        Rejects(Parse, body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_empty_alpn_protocol_name()
    {
        byte[] alpn = Extension(ExtensionType.ApplicationLayerProtocolNegotiation, 0x00, 0x04, 0x02, (byte)'h', (byte)'2', 0x00);
        Rejects(Parse, HelloBody(alpn), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_empty_alpn_list()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.ApplicationLayerProtocolNegotiation, 0x00, 0x00)), AlertDescription.DecodeError);
    }

    [Theory]
    [InlineData(ExtensionType.ExtendedMasterSecret)]
    [InlineData(ExtensionType.EarlyData)]
    [InlineData(ExtensionType.PostHandshakeAuth)]
    public void Rejects_non_empty_data_in_an_empty_extension(ExtensionType type)
    {
        Rejects(Parse, HelloBody(Extension(type, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_renegotiation_info_with_wrong_inner_length()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.RenegotiationInfo, 0x02, 0x01)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_two_key_shares_for_one_group()
    {
        byte[] shares = Extension(ExtensionType.KeyShare, Encode(w =>
        {
            int list = w.BeginVector(2);
            for (int i = 0; i < 2; i++)
            {
                w.WriteUInt16((ushort)NamedGroup.X25519);
                w.WriteVector16(new byte[32]);
            }

            w.EndVector(list);
        }));
        Rejects(Parse, HelloBody(shares), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_key_share_with_empty_key_exchange()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.KeyShare, 0x00, 0x04, 0x00, 0x1D, 0x00, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Accepts_an_empty_key_share_list()
    {
        // RFC 8446 §4.2.8: client_shares may be empty when the client wants a HelloRetryRequest.
        Assert.Empty(ClientHello.Parse(HelloBody(Extension(ExtensionType.KeyShare, 0x00, 0x00))).KeyShares!);
    }

    [Fact]
    public void Rejects_supported_versions_with_odd_or_empty_list()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.SupportedVersions, 0x03, 0x03, 0x04, 0x03)), AlertDescription.DecodeError);
        Rejects(Parse, HelloBody(Extension(ExtensionType.SupportedVersions, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_odd_signature_algorithms()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.SignatureAlgorithms, 0x00, 0x03, 0x04, 0x03, 0x08)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_empty_psk_key_exchange_modes()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.PskKeyExchangeModes, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_empty_cookie()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.Cookie, 0x00, 0x00)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_record_size_limit_below_64()
    {
        Rejects(Parse, HelloBody(Extension(ExtensionType.RecordSizeLimit, 0x00, 0x3F)), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Detects_fallback_scsv()
    {
        var hello = new ClientHello { CipherSuites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, CipherSuite.TLS_FALLBACK_SCSV] };
        ClientHello parsed = ClientHello.Parse(Body(Encode(hello.Write), HandshakeType.ClientHello));
        Assert.True(parsed.HasFallbackScsv);
        Assert.False(parsed.HasEmptyRenegotiationInfoScsv);
    }

    /// <summary>Go's handshake_messages_test habit: random hellos (fixed seed) round-trip and reject all their prefixes.</summary>
    [Fact]
    public void Random_hellos_round_trip()
    {
        var random = new Random(1127);
        for (int i = 0; i < 200; i++)
        {
            ClientHello hello = RandomHello(random);
            byte[] body = Body(Encode(hello.Write), HandshakeType.ClientHello);
            ClientHello parsed = ClientHello.Parse(body);
            AssertSameFields(hello, parsed);
            if (i % 20 == 0)
            {
                int endOfCompressionMethods = 2 + 32 + 1 + hello.LegacySessionId.Length + 2 + 2 * hello.CipherSuites.Length + 1 + hello.CompressionMethods.Length;
                AssertEveryProperPrefixRejected(body, Parse, endOfCompressionMethods);
            }
        }
    }

    private static ClientHello RandomHello(Random random)
    {
        byte[] Bytes(int min, int max)
        {
            byte[] b = new byte[random.Next(min, max + 1)];
            random.NextBytes(b);
            return b;
        }

        T[]? Maybe<T>(Func<T[]> make) => random.Next(2) == 0 ? null : make();
        ushort[] UShorts(int min, int max) => Enumerable.Range(0, random.Next(min, max + 1)).Select(_ => (ushort)random.Next(65536)).ToArray();
        string host = string.Concat(Enumerable.Range(0, random.Next(1, 40)).Select(_ => (char)random.Next('a', 'z' + 1)));
        ushort[] groups = UShorts(1, 6).Distinct().ToArray();
        int pskCount = random.Next(1, 4);

        return new ClientHello
        {
            LegacyVersion = (ushort)random.Next(65536),
            Random = Bytes(32, 32),
            LegacySessionId = Bytes(0, 32),
            CipherSuites = UShorts(1, 40).Select(v => (CipherSuite)v).ToArray(),
            CompressionMethods = Bytes(1, 3),
            ServerName = random.Next(2) == 0 ? null : host,
            SupportedGroups = Maybe(() => UShorts(1, 10)),
            EcPointFormats = Maybe(() => Bytes(1, 3)),
            SignatureAlgorithms = Maybe(() => UShorts(1, 20).Select(v => (SignatureScheme)v).ToArray()),
            SignatureAlgorithmsCert = Maybe(() => UShorts(1, 5).Select(v => (SignatureScheme)v).ToArray()),
            AlpnProtocols = Maybe(() => Enumerable.Range(0, random.Next(1, 4)).Select(_ => Bytes(1, 20)).ToArray()),
            ExtendedMasterSecret = random.Next(2) == 0,
            RenegotiationInfo = Maybe(() => Bytes(0, 24)),
            SessionTicket = Maybe(() => Bytes(0, 200)),
            SupportedVersions = Maybe(() => UShorts(1, 10)),
            KeyShares = Maybe(() => groups.Select(g => new KeyShareEntry(g, Bytes(1, 97))).ToArray()),
            PskKeyExchangeModes = Maybe(() => Bytes(1, 2).Select(b => (PskKeyExchangeMode)b).ToArray()),
            EarlyData = random.Next(2) == 0,
            Cookie = Maybe(() => Bytes(1, 100)),
            StatusRequest = random.Next(2) == 0,
            RecordSizeLimit = random.Next(2) == 0 ? null : (ushort)random.Next(64, 65536),
            PostHandshakeAuth = random.Next(2) == 0,
            PreSharedKey = random.Next(2) == 0 ? null : new OfferedPsks
            {
                Identities = Enumerable.Range(0, pskCount).Select(_ => new PskIdentity(Bytes(1, 100), (uint)random.Next())).ToArray(),
                Binders = Enumerable.Range(0, pskCount).Select(_ => Bytes(32, 48)).ToArray(),
            },
        };
    }

    [Fact]
    public void Mutated_hellos_fail_only_with_TlsProtocolException()
    {
        byte[] body = Body(Encode(FullHello().Write), HandshakeType.ClientHello);
        var random = new Random(42);
        for (int i = 0; i < 3000; i++)
        {
            byte[] mutated = RealClientHelloTests.Mutate(body, random);
            var exception = Record.Exception(() => ClientHello.Parse(mutated));
            Assert.True(exception is null or TlsProtocolException, $"mutation {i}: {exception}");
        }
    }
}
