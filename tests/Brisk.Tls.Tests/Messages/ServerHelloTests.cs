using System.Security.Cryptography;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using static Brisk.Tls.Tests.Messages.Wire;

namespace Brisk.Tls.Tests.Messages;

public class ServerHelloTests
{
    private static readonly BodyParser Parse = body => ServerHello.Parse(body);

    private static ServerHello Tls12Hello() => new()
    {
        LegacyVersion = ProtocolVersion.Tls12,
        Random = Enumerable.Range(100, 32).Select(i => (byte)i).ToArray(),
        SessionId = [1, 2, 3, 4],
        CipherSuite = CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        RenegotiationInfo = [],
        ExtendedMasterSecret = true,
        AlpnProtocol = "h2"u8.ToArray(),
        SessionTicket = true,
        EcPointFormats = [0],
        RecordSizeLimit = 4096,
    };

    private static ServerHello Tls13Hello() => new()
    {
        Random = Enumerable.Range(7, 32).Select(i => (byte)i).ToArray(),
        SessionId = Enumerable.Repeat((byte)0x33, 32).ToArray(),
        CipherSuite = CipherSuite.TLS_AES_256_GCM_SHA384,
        SupportedVersion = ProtocolVersion.Tls13,
        KeyShare = new KeyShareEntry((ushort)NamedGroup.X25519, Enumerable.Repeat((byte)0x42, 32).ToArray()),
        PreSharedKeySelectedIdentity = 0,
    };

    private static ServerHello HelloRetryRequest() => new()
    {
        Random = ServerHello.HelloRetryRequestRandom.ToArray(),
        SessionId = [5, 5],
        CipherSuite = CipherSuite.TLS_AES_128_GCM_SHA256,
        SupportedVersion = ProtocolVersion.Tls13,
        HelloRetryRequestSelectedGroup = (ushort)NamedGroup.Secp384r1,
        Cookie = [0xC0, 0x0C, 0x1E],
    };

    private static void AssertSameFields(ServerHello expected, ServerHello actual)
    {
        Assert.Equal(expected.LegacyVersion, actual.LegacyVersion);
        Assert.Equal(expected.Random, actual.Random);
        Assert.Equal(expected.SessionId, actual.SessionId);
        Assert.Equal(expected.CipherSuite, actual.CipherSuite);
        Assert.Equal(expected.CompressionMethod, actual.CompressionMethod);
        Assert.Equal(expected.RenegotiationInfo, actual.RenegotiationInfo);
        Assert.Equal(expected.ExtendedMasterSecret, actual.ExtendedMasterSecret);
        Assert.Equal(expected.AlpnProtocol, actual.AlpnProtocol);
        Assert.Equal(expected.SessionTicket, actual.SessionTicket);
        Assert.Equal(expected.EcPointFormats, actual.EcPointFormats);
        Assert.Equal(expected.SupportedVersion, actual.SupportedVersion);
        Assert.Equal(expected.KeyShare?.Group, actual.KeyShare?.Group);
        Assert.Equal(expected.KeyShare?.KeyExchange, actual.KeyShare?.KeyExchange);
        Assert.Equal(expected.HelloRetryRequestSelectedGroup, actual.HelloRetryRequestSelectedGroup);
        Assert.Equal(expected.PreSharedKeySelectedIdentity, actual.PreSharedKeySelectedIdentity);
        Assert.Equal(expected.Cookie, actual.Cookie);
        Assert.Equal(expected.RecordSizeLimit, actual.RecordSizeLimit);
        Assert.Equal(expected.IsHelloRetryRequest, actual.IsHelloRetryRequest);
    }

    public static TheoryData<string> Shapes() => new("tls12", "tls12-bare", "tls13", "hrr");

    private static ServerHello Shape(string name) => name switch
    {
        "tls12" => Tls12Hello(),
        "tls12-bare" => new ServerHello { CipherSuite = CipherSuite.TLS_RSA_WITH_AES_256_GCM_SHA384 },
        "tls13" => Tls13Hello(),
        _ => HelloRetryRequest(),
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Round_trip_keeps_every_field(string shape)
    {
        ServerHello hello = Shape(shape);
        ServerHello parsed = ServerHello.Parse(Body(Encode(hello.Write), HandshakeType.ServerHello));
        AssertSameFields(hello, parsed);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Every_proper_prefix_is_rejected(string shape)
    {
        ServerHello hello = Shape(shape);
        byte[] body = Body(Encode(hello.Write), HandshakeType.ServerHello);
        int endOfCompressionMethod = 2 + 32 + 1 + hello.SessionId.Length + 2 + 1;
        AssertEveryProperPrefixRejected(body, Parse, endOfCompressionMethod);
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Rejects_trailing_bytes(string shape)
    {
        AssertTrailingBytesRejected(Body(Encode(Shape(shape).Write), HandshakeType.ServerHello), Parse);
    }

    [Fact]
    public void Hello_without_extensions_omits_the_extensions_block()
    {
        byte[] body = Body(Encode(Shape("tls12-bare").Write), HandshakeType.ServerHello);
        Assert.Equal(2 + 32 + 1 + 0 + 2 + 1, body.Length);
    }

    private static byte[] ServerHelloBody(byte[] random, params byte[][] extensions) => Encode(w =>
    {
        w.WriteUInt16(ProtocolVersion.Tls12);
        w.WriteBytes(random);
        w.WriteVector8([]);
        w.WriteUInt16(0x1301);
        w.WriteUInt8(0);
        WriteExtensionsBlock(w, extensions);
    });

    [Fact]
    public void Rejects_duplicate_extension()
    {
        byte[] version = Extension(ExtensionType.SupportedVersions, 0x03, 0x04);
        Rejects(Parse, ServerHelloBody(new byte[32], version, version), AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_alpn_with_two_protocols()
    {
        byte[] alpn = Extension(ExtensionType.ApplicationLayerProtocolNegotiation, 0x00, 0x06, 0x02, (byte)'h', (byte)'2', 0x02, (byte)'h', (byte)'3');
        Rejects(Parse, ServerHelloBody(new byte[32], alpn), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_non_empty_session_ticket_extension()
    {
        Rejects(Parse, ServerHelloBody(new byte[32], Extension(ExtensionType.SessionTicket, 0x01)), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_hrr_key_share_carrying_a_full_entry()
    {
        // In a HelloRetryRequest key_share is just selected_group (RFC 8446 §4.2.8).
        byte[] share = Extension(ExtensionType.KeyShare, 0x00, 0x1D, 0x00, 0x01, 0xAA);
        Rejects(Parse, ServerHelloBody(ServerHello.HelloRetryRequestRandom.ToArray(), share), AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_server_share_with_only_a_group()
    {
        byte[] share = Extension(ExtensionType.KeyShare, 0x00, 0x1D);
        Rejects(Parse, ServerHelloBody(new byte[32], share), AlertDescription.DecodeError);
    }

    [Fact]
    public void Keeps_unrequested_extensions_raw_for_the_client_to_judge()
    {
        ServerHello hello = ServerHello.Parse(ServerHelloBody(new byte[32], Extension((ExtensionType)0x7777, 0x01)));
        Assert.Equal((ExtensionType)0x7777, Assert.Single(hello.Extensions).Type);
    }

    [Fact]
    public void Hello_retry_request_random_is_sha256_of_its_name()
    {
        Assert.Equal(SHA256.HashData("HelloRetryRequest"u8), ServerHello.HelloRetryRequestRandom.ToArray());
    }

    [Fact]
    public void Downgrade_sentinels_spell_DOWNGRD()
    {
        Assert.Equal([.. "DOWNGRD"u8, 0x01], ServerHello.DowngradeSentinelTls12.ToArray());
        Assert.Equal([.. "DOWNGRD"u8, 0x00], ServerHello.DowngradeSentinelTls11.ToArray());
    }

    [Fact]
    public void Write_refuses_both_a_key_share_and_an_hrr_group()
    {
        var hello = new ServerHello
        {
            KeyShare = new KeyShareEntry(0x1D, new byte[32]),
            HelloRetryRequestSelectedGroup = 0x1D,
        };
        using var writer = new Brisk.Tls.Codec.TlsWriter();
        Assert.Throws<InvalidOperationException>(() => hello.Write(writer));
    }
}
