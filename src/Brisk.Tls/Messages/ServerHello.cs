using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// ServerHello for TLS 1.2 (RFC 5246 §7.4.1.3) and TLS 1.3 (RFC 8446 §4.1.3), including HelloRetryRequest,
/// which is a ServerHello whose Random is <see cref="HelloRetryRequestRandom"/>. Extensions Brisk uses are
/// typed (null / false = absent); every received extension is also kept raw in <see cref="Extensions"/>.
/// Parsed fields are owned copies (see <see cref="ClientHello"/> for why).
/// </summary>
public sealed class ServerHello
{
    public const int RandomLength = 32;

    /// <summary>SHA-256("HelloRetryRequest"), the Random of a HelloRetryRequest (RFC 8446 §4.1.3).</summary>
    public static ReadOnlySpan<byte> HelloRetryRequestRandom =>
    [
        0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
        0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C,
    ];

    /// <summary>
    /// Last 8 bytes of ServerHello.random of a TLS 1.3-capable server that negotiates TLS 1.2
    /// ("DOWNGRD" 01, RFC 8446 §4.1.3).
    /// </summary>
    public static ReadOnlySpan<byte> DowngradeSentinelTls12 => [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01];

    /// <summary>Last 8 bytes of ServerHello.random when TLS 1.1 or below is negotiated ("DOWNGRD" 00, RFC 8446 §4.1.3).</summary>
    public static ReadOnlySpan<byte> DowngradeSentinelTls11 => [0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00];

    public ushort LegacyVersion { get; init; } = ProtocolVersion.Tls12;

    public byte[] Random { get; init; } = new byte[RandomLength];

    /// <summary>TLS 1.2 session_id / TLS 1.3 legacy_session_id_echo, &lt;0..32&gt;.</summary>
    public byte[] SessionId { get; init; } = [];

    public CipherSuite CipherSuite { get; init; }

    /// <summary>legacy_compression_method; always 0 from a conforming server.</summary>
    public byte CompressionMethod { get; init; }

    public IReadOnlyList<TlsExtension> Extensions { get; private init; } = [];

    public ReadOnlyMemory<byte> EncodedBody { get; private init; }

    public bool IsHelloRetryRequest => Random.AsSpan().SequenceEqual(HelloRetryRequestRandom);

    /// <summary>renegotiation_info (RFC 5746 §3.2): empty on an initial handshake.</summary>
    public byte[]? RenegotiationInfo { get; init; }

    /// <summary>extended_master_secret acknowledged (RFC 7627 §5.2).</summary>
    public bool ExtendedMasterSecret { get; init; }

    /// <summary>The selected ALPN protocol (RFC 7301 §3.1: exactly one name).</summary>
    public byte[]? AlpnProtocol { get; init; }

    /// <summary>Empty SessionTicket extension: the server will send NewSessionTicket (RFC 5077 §3.2).</summary>
    public bool SessionTicket { get; init; }

    /// <summary>ec_point_formats (RFC 8422 §5.2).</summary>
    public byte[]? EcPointFormats { get; init; }

    /// <summary>supported_versions selected_version (RFC 8446 §4.2.1).</summary>
    public ushort? SupportedVersion { get; init; }

    /// <summary>key_share server_share of a ServerHello (RFC 8446 §4.2.8).</summary>
    public KeyShareEntry? KeyShare { get; init; }

    /// <summary>key_share selected_group of a HelloRetryRequest (RFC 8446 §4.2.8).</summary>
    public ushort? HelloRetryRequestSelectedGroup { get; init; }

    /// <summary>pre_shared_key selected_identity (RFC 8446 §4.2.11).</summary>
    public ushort? PreSharedKeySelectedIdentity { get; init; }

    /// <summary>cookie of a HelloRetryRequest (RFC 8446 §4.2.2).</summary>
    public byte[]? Cookie { get; init; }

    /// <summary>record_size_limit (RFC 8449 §4), TLS 1.2 only (TLS 1.3 puts it in EncryptedExtensions).</summary>
    public ushort? RecordSizeLimit { get; init; }

    public static ServerHello Parse(ReadOnlySpan<byte> body)
    {
        byte[] encodedBody = body.ToArray(); // owned copy
        var reader = new TlsReader(encodedBody);
        ushort legacyVersion = reader.ReadUInt16();
        byte[] random = reader.ReadBytes(RandomLength).ToArray();
        byte[] sessionId = reader.ReadVector8(0, ClientHello.MaxSessionIdLength).ToArray();
        var suite = (CipherSuite)reader.ReadUInt16();
        byte compression = reader.ReadUInt8();
        bool isHelloRetryRequest = random.AsSpan().SequenceEqual(HelloRetryRequestRandom);

        var raw = new List<TlsExtension>(8);
        byte[]? renegotiationInfo = null, alpn = null, ecPointFormats = null, cookie = null;
        bool ems = false, sessionTicket = false;
        ushort? version = null, selectedGroup = null, selectedIdentity = null, recordSizeLimit = null;
        KeyShareEntry? keyShare = null;

        // RFC 5246 §7.4.1.3: a TLS 1.2 ServerHello may end after compression_method.
        if (!reader.IsEmpty)
        {
            TlsReader extensions = reader.ReadVectorReader16();
            var seen = new ExtensionTypeSet();
            while (!extensions.IsEmpty)
            {
                var type = (ExtensionType)extensions.ReadUInt16();
                int dataOffset = extensions.AbsolutePosition + 2;
                TlsReader data = extensions.ReadVectorReader16();
                seen.Add(type);
                raw.Add(new TlsExtension(type, encodedBody.AsMemory(dataOffset, data.Remaining)));
                switch (type)
                {
                    case ExtensionType.RenegotiationInfo:
                        // RFC 5746 §3.2
                        renegotiationInfo = data.ReadVector8().ToArray();
                        break;
                    case ExtensionType.ExtendedMasterSecret:
                        // RFC 7627 §5.2: empty
                        ExtensionCodec.ExpectEmpty(ref data, type);
                        ems = true;
                        break;
                    case ExtensionType.ApplicationLayerProtocolNegotiation:
                        // RFC 7301 §3.1: "the ProtocolNameList MUST contain exactly one ProtocolName"
                        alpn = ReadSingleProtocolName(ref data);
                        break;
                    case ExtensionType.SessionTicket:
                        // RFC 5077 §3.2: the server's SessionTicket extension is empty
                        ExtensionCodec.ExpectEmpty(ref data, type);
                        sessionTicket = true;
                        break;
                    case ExtensionType.EcPointFormats:
                        // RFC 8422 §5.2
                        ecPointFormats = data.ReadVector8(minLength: 1).ToArray();
                        break;
                    case ExtensionType.SupportedVersions:
                        // RFC 8446 §4.2.1: ProtocolVersion selected_version
                        version = data.ReadUInt16();
                        break;
                    case ExtensionType.KeyShare when isHelloRetryRequest:
                        // RFC 8446 §4.2.8: KeyShareHelloRetryRequest { NamedGroup selected_group; }
                        selectedGroup = data.ReadUInt16();
                        break;
                    case ExtensionType.KeyShare:
                        // RFC 8446 §4.2.8: KeyShareServerHello { KeyShareEntry server_share; }
                        keyShare = ExtensionCodec.ReadKeyShareEntry(ref data);
                        break;
                    case ExtensionType.PreSharedKey:
                        // RFC 8446 §4.2.11: uint16 selected_identity
                        selectedIdentity = data.ReadUInt16();
                        break;
                    case ExtensionType.Cookie:
                        // RFC 8446 §4.2.2
                        cookie = data.ReadVector16(minLength: 1).ToArray();
                        break;
                    case ExtensionType.RecordSizeLimit:
                        recordSizeLimit = ExtensionCodec.ReadRecordSizeLimit(ref data);
                        break;
                    default:
                        // A client must reject extensions it did not offer (RFC 5246 §7.4.1.4, RFC 8446 §4.2);
                        // that is the client handshake's decision, made from Extensions.
                        data.ReadBytes(data.Remaining);
                        break;
                }

                ExtensionCodec.ExpectEnd(ref data, type);
            }
        }

        reader.ExpectEnd("ServerHello");
        return new ServerHello
        {
            LegacyVersion = legacyVersion,
            Random = random,
            SessionId = sessionId,
            CipherSuite = suite,
            CompressionMethod = compression,
            Extensions = raw.ToArray(),
            EncodedBody = encodedBody,
            RenegotiationInfo = renegotiationInfo,
            ExtendedMasterSecret = ems,
            AlpnProtocol = alpn,
            SessionTicket = sessionTicket,
            EcPointFormats = ecPointFormats,
            SupportedVersion = version,
            KeyShare = keyShare,
            HelloRetryRequestSelectedGroup = selectedGroup,
            PreSharedKeySelectedIdentity = selectedIdentity,
            Cookie = cookie,
            RecordSizeLimit = recordSizeLimit,
        };
    }

    private static byte[] ReadSingleProtocolName(ref TlsReader data)
    {
        byte[][] names = ExtensionCodec.ReadProtocolNameList(ref data);
        if (names.Length != 1)
        {
            TlsProtocolException.ThrowDecodeError($"ALPN: server selected {names.Length} protocols");
        }

        return names[0];
    }

    /// <summary>
    /// Writes the full handshake message. Extensions are written from the typed properties in a fixed
    /// order; the extensions block is omitted when there are none (TLS 1.2, RFC 5246 §7.4.1.3).
    /// For a HelloRetryRequest set <see cref="Random"/> to <see cref="HelloRetryRequestRandom"/> and use
    /// <see cref="HelloRetryRequestSelectedGroup"/> rather than <see cref="KeyShare"/>.
    /// </summary>
    public void Write(TlsWriter writer)
    {
        if (Random.Length != RandomLength || SessionId.Length > ClientHello.MaxSessionIdLength)
        {
            throw new InvalidOperationException("ServerHello fields out of range");
        }

        if (KeyShare is not null && HelloRetryRequestSelectedGroup is not null)
        {
            throw new InvalidOperationException("ServerHello has either a key share or an HRR selected group");
        }

        int message = HandshakeHeader.Begin(writer, HandshakeType.ServerHello);
        writer.WriteUInt16(LegacyVersion);
        writer.WriteBytes(Random);
        writer.WriteVector8(SessionId);
        writer.WriteUInt16((ushort)CipherSuite);
        writer.WriteUInt8(CompressionMethod);

        int extensionsStart = writer.Length;
        int extensions = writer.BeginVector(2);
        int ext;
        if (SupportedVersion is ushort version)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SupportedVersions);
            writer.WriteUInt16(version);
            writer.EndVector(ext);
        }

        if (KeyShare is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.KeyShare);
            ExtensionCodec.WriteKeyShareEntry(writer, KeyShare);
            writer.EndVector(ext);
        }

        if (HelloRetryRequestSelectedGroup is ushort group)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.KeyShare);
            writer.WriteUInt16(group);
            writer.EndVector(ext);
        }

        if (Cookie is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.Cookie);
            writer.WriteVector16(Cookie);
            writer.EndVector(ext);
        }

        if (PreSharedKeySelectedIdentity is ushort identity)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.PreSharedKey);
            writer.WriteUInt16(identity);
            writer.EndVector(ext);
        }

        if (RenegotiationInfo is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.RenegotiationInfo);
            writer.WriteVector8(RenegotiationInfo);
            writer.EndVector(ext);
        }

        if (ExtendedMasterSecret)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.ExtendedMasterSecret);
        }

        if (EcPointFormats is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.EcPointFormats);
            writer.WriteVector8(EcPointFormats);
            writer.EndVector(ext);
        }

        if (SessionTicket)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.SessionTicket);
        }

        if (AlpnProtocol is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.ApplicationLayerProtocolNegotiation);
            ExtensionCodec.WriteProtocolNameList(writer, [AlpnProtocol]);
            writer.EndVector(ext);
        }

        if (RecordSizeLimit is ushort limit)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.RecordSizeLimit);
            writer.WriteUInt16(limit);
            writer.EndVector(ext);
        }

        writer.EndVector(extensions);
        if (writer.Length == extensionsStart + 2)
        {
            writer.Truncate(extensionsStart);
        }

        writer.EndVector(message);
    }
}
