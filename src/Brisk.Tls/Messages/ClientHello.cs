using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// ClientHello (RFC 5246 §7.4.1.2, RFC 8446 §4.1.2) with the extensions Brisk acts on parsed into typed
/// properties (null / false = extension absent) and every extension kept raw in <see cref="Extensions"/>.
/// <para>
/// Buffer ownership: <see cref="Parse"/> copies the body once into <see cref="EncodedBody"/> (raw extension
/// data are slices of that copy) and copies typed fields into their own arrays. This is the handshake, not
/// the record hot path, and owned copies let the handshake keep the hello after the receive buffer is reused.
/// </para>
/// <para>
/// Parsing enforces framing and the rules the RFCs attach to the encoding itself (vector bounds, trailing
/// bytes, duplicate extensions, pre_shared_key last). Policy checks (null compression offered, key shares
/// matching supported_groups, versions) belong to the handshake.
/// </para>
/// </summary>
public sealed class ClientHello
{
    public const int RandomLength = 32;
    public const int MaxSessionIdLength = 32;

    public ushort LegacyVersion { get; init; } = ProtocolVersion.Tls12;

    /// <summary>Random (32 bytes).</summary>
    public byte[] Random { get; init; } = new byte[RandomLength];

    /// <summary>legacy_session_id&lt;0..32&gt;.</summary>
    public byte[] LegacySessionId { get; init; } = [];

    /// <summary>cipher_suites&lt;2..2^16-2&gt;, in the client's preference order; unknown values kept.</summary>
    public CipherSuite[] CipherSuites { get; init; } = [];

    /// <summary>legacy_compression_methods&lt;1..2^8-1&gt;. The handshake checks that null (0) is present.</summary>
    public byte[] CompressionMethods { get; init; } = [0];

    /// <summary>The extensions as received, in order (empty for a hello built for writing).</summary>
    public IReadOnlyList<TlsExtension> Extensions { get; private init; } = [];

    /// <summary>The parsed message body (without the 4-byte handshake header); empty for a hello built for writing.</summary>
    public ReadOnlyMemory<byte> EncodedBody { get; private init; }

    /// <summary>True when TLS_EMPTY_RENEGOTIATION_INFO_SCSV was in cipher_suites (RFC 5746 §3.3).</summary>
    public bool HasEmptyRenegotiationInfoScsv => Array.IndexOf(CipherSuites, CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV) >= 0;

    /// <summary>True when TLS_FALLBACK_SCSV was in cipher_suites (RFC 7507 §3).</summary>
    public bool HasFallbackScsv => Array.IndexOf(CipherSuites, CipherSuite.TLS_FALLBACK_SCSV) >= 0;

    /// <summary>server_name host_name (RFC 6066 §3), ASCII.</summary>
    public string? ServerName { get; init; }

    /// <summary>supported_groups named_group_list (RFC 8446 §4.2.7, RFC 8422 §5.1.1); raw values.</summary>
    public ushort[]? SupportedGroups { get; init; }

    /// <summary>ec_point_formats (RFC 8422 §5.1.2).</summary>
    public byte[]? EcPointFormats { get; init; }

    /// <summary>signature_algorithms (RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1).</summary>
    public SignatureScheme[]? SignatureAlgorithms { get; init; }

    /// <summary>signature_algorithms_cert (RFC 8446 §4.2.3).</summary>
    public SignatureScheme[]? SignatureAlgorithmsCert { get; init; }

    /// <summary>application_layer_protocol_negotiation protocol names (RFC 7301 §3.1).</summary>
    public byte[][]? AlpnProtocols { get; init; }

    /// <summary>extended_master_secret offered (RFC 7627 §5.1).</summary>
    public bool ExtendedMasterSecret { get; init; }

    /// <summary>renegotiation_info renegotiated_connection (RFC 5746 §3.2); empty on an initial handshake.</summary>
    public byte[]? RenegotiationInfo { get; init; }

    /// <summary>SessionTicket extension data (RFC 5077 §3.2): empty = "I support tickets", else the ticket.</summary>
    public byte[]? SessionTicket { get; init; }

    /// <summary>supported_versions versions (RFC 8446 §4.2.1); raw values, GREASE included.</summary>
    public ushort[]? SupportedVersions { get; init; }

    /// <summary>key_share client_shares (RFC 8446 §4.2.8). May be empty (client waits for HelloRetryRequest).</summary>
    public KeyShareEntry[]? KeyShares { get; init; }

    /// <summary>psk_key_exchange_modes ke_modes (RFC 8446 §4.2.9).</summary>
    public PskKeyExchangeMode[]? PskKeyExchangeModes { get; init; }

    /// <summary>pre_shared_key OfferedPsks (RFC 8446 §4.2.11); always the last extension.</summary>
    public OfferedPsks? PreSharedKey { get; init; }

    /// <summary>
    /// Offset within <see cref="EncodedBody"/> of the binders list (its 2-byte length included) of
    /// pre_shared_key, or -1. The binder is computed over Transcript-Hash(Truncate(ClientHello)) where the
    /// truncated hello is the 4-byte header followed by body[..PskBindersOffset] (RFC 8446 §4.2.11.2).
    /// </summary>
    public int PskBindersOffset { get; private init; } = -1;

    /// <summary>early_data present (RFC 8446 §4.2.10).</summary>
    public bool EarlyData { get; init; }

    /// <summary>cookie echoed from a HelloRetryRequest (RFC 8446 §4.2.2).</summary>
    public byte[]? Cookie { get; init; }

    /// <summary>status_request present (RFC 6066 §8). Its content is not interpreted.</summary>
    public bool StatusRequest { get; init; }

    /// <summary>record_size_limit (RFC 8449 §4).</summary>
    public ushort? RecordSizeLimit { get; init; }

    /// <summary>post_handshake_auth present (RFC 8446 §4.2.6).</summary>
    public bool PostHandshakeAuth { get; init; }

    /// <summary>Parses a ClientHello body (the handshake header already removed). Throws <see cref="TlsProtocolException"/>.</summary>
    public static ClientHello Parse(ReadOnlySpan<byte> body)
    {
        byte[] encodedBody = body.ToArray(); // owned copy, see the class comment
        var reader = new TlsReader(encodedBody);

        ushort legacyVersion = reader.ReadUInt16();
        byte[] random = reader.ReadBytes(RandomLength).ToArray();
        byte[] sessionId = reader.ReadVector8(0, MaxSessionIdLength).ToArray();

        // CipherSuite cipher_suites<2..2^16-2>: an empty list or an odd length is malformed.
        ushort[] suites = ExtensionCodec.ReadUInt16List(ref reader, 2, 0xFFFE, "cipher_suites");
        var cipherSuites = new CipherSuite[suites.Length];
        for (int i = 0; i < suites.Length; i++)
        {
            cipherSuites[i] = (CipherSuite)suites[i];
        }

        byte[] compressionMethods = reader.ReadVector8(minLength: 1).ToArray();

        var hello = new Builder();
        // RFC 5246 §7.4.1.2: extensions may be absent altogether, detected by the lack of bytes after
        // compression_methods. TLS 1.3 clients always send them.
        if (!reader.IsEmpty)
        {
            ParseExtensions(ref reader, encodedBody, ref hello);
        }

        reader.ExpectEnd("ClientHello");

        return new ClientHello
        {
            LegacyVersion = legacyVersion,
            Random = random,
            LegacySessionId = sessionId,
            CipherSuites = cipherSuites,
            CompressionMethods = compressionMethods,
            Extensions = hello.Extensions,
            EncodedBody = encodedBody,
            ServerName = hello.ServerName,
            SupportedGroups = hello.SupportedGroups,
            EcPointFormats = hello.EcPointFormats,
            SignatureAlgorithms = hello.SignatureAlgorithms,
            SignatureAlgorithmsCert = hello.SignatureAlgorithmsCert,
            AlpnProtocols = hello.AlpnProtocols,
            ExtendedMasterSecret = hello.ExtendedMasterSecret,
            RenegotiationInfo = hello.RenegotiationInfo,
            SessionTicket = hello.SessionTicket,
            SupportedVersions = hello.SupportedVersions,
            KeyShares = hello.KeyShares,
            PskKeyExchangeModes = hello.PskKeyExchangeModes,
            PreSharedKey = hello.PreSharedKey,
            PskBindersOffset = hello.PskBindersOffset,
            EarlyData = hello.EarlyData,
            Cookie = hello.Cookie,
            StatusRequest = hello.StatusRequest,
            RecordSizeLimit = hello.RecordSizeLimit,
            PostHandshakeAuth = hello.PostHandshakeAuth,
        };
    }

    private static void ParseExtensions(ref TlsReader reader, byte[] encodedBody, ref Builder hello)
    {
        TlsReader extensions = reader.ReadVectorReader16();
        var seen = new ExtensionTypeSet();
        var raw = new List<TlsExtension>(16);
        while (!extensions.IsEmpty)
        {
            if (hello.PreSharedKey is not null)
            {
                // RFC 8446 §4.2.11: pre_shared_key "MUST be the last extension in the ClientHello ...
                // Servers MUST check that it is the last extension and otherwise fail the handshake with an
                // illegal_parameter alert."
                TlsProtocolException.ThrowIllegalParameter("pre_shared_key is not the last extension");
            }

            var type = (ExtensionType)extensions.ReadUInt16();
            int dataOffset = extensions.AbsolutePosition + 2;
            TlsReader data = extensions.ReadVectorReader16();
            seen.Add(type);
            raw.Add(new TlsExtension(type, encodedBody.AsMemory(dataOffset, data.Remaining)));

            switch (type)
            {
                case ExtensionType.ServerName:
                    // RFC 6066 §3
                    hello.ServerName = ExtensionCodec.ReadServerNameList(ref data);
                    break;
                case ExtensionType.SupportedGroups:
                    // RFC 8446 §4.2.7: NamedGroup named_group_list<2..2^16-1>
                    hello.SupportedGroups = ExtensionCodec.ReadUInt16List(ref data, 2, ushort.MaxValue, "supported_groups");
                    break;
                case ExtensionType.EcPointFormats:
                    // RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
                    hello.EcPointFormats = data.ReadVector8(minLength: 1).ToArray();
                    break;
                case ExtensionType.SignatureAlgorithms:
                    // RFC 8446 §4.2.3
                    hello.SignatureAlgorithms = ExtensionCodec.ReadSignatureSchemes(ref data, "signature_algorithms");
                    break;
                case ExtensionType.SignatureAlgorithmsCert:
                    // RFC 8446 §4.2.3
                    hello.SignatureAlgorithmsCert = ExtensionCodec.ReadSignatureSchemes(ref data, "signature_algorithms_cert");
                    break;
                case ExtensionType.ApplicationLayerProtocolNegotiation:
                    // RFC 7301 §3.1
                    hello.AlpnProtocols = ExtensionCodec.ReadProtocolNameList(ref data);
                    break;
                case ExtensionType.ExtendedMasterSecret:
                    // RFC 7627 §5.1: "The "extension_data" field of this extension is empty."
                    ExtensionCodec.ExpectEmpty(ref data, type);
                    hello.ExtendedMasterSecret = true;
                    break;
                case ExtensionType.RenegotiationInfo:
                    // RFC 5746 §3.2: opaque renegotiated_connection<0..255>
                    hello.RenegotiationInfo = data.ReadVector8().ToArray();
                    break;
                case ExtensionType.SessionTicket:
                    // RFC 5077 §3.2: the whole extension_data is the ticket, possibly empty.
                    hello.SessionTicket = data.ReadBytes(data.Remaining).ToArray();
                    break;
                case ExtensionType.SupportedVersions:
                    // RFC 8446 §4.2.1: ProtocolVersion versions<2..254>
                    hello.SupportedVersions = ReadSupportedVersions(ref data);
                    break;
                case ExtensionType.KeyShare:
                    // RFC 8446 §4.2.8
                    hello.KeyShares = ReadClientShares(ref data);
                    break;
                case ExtensionType.PskKeyExchangeModes:
                    // RFC 8446 §4.2.9: PskKeyExchangeMode ke_modes<1..255>
                    hello.PskKeyExchangeModes = ReadPskModes(ref data);
                    break;
                case ExtensionType.PreSharedKey:
                    // RFC 8446 §4.2.11
                    hello.PreSharedKey = OfferedPsks.Read(ref data, out hello.PskBindersOffset);
                    break;
                case ExtensionType.EarlyData:
                    // RFC 8446 §4.2.10: empty in ClientHello
                    ExtensionCodec.ExpectEmpty(ref data, type);
                    hello.EarlyData = true;
                    break;
                case ExtensionType.Cookie:
                    // RFC 8446 §4.2.2: opaque cookie<1..2^16-1>
                    hello.Cookie = data.ReadVector16(minLength: 1).ToArray();
                    break;
                case ExtensionType.StatusRequest:
                    // RFC 6066 §8: only presence matters to Brisk; the request body is not interpreted.
                    data.ReadBytes(data.Remaining);
                    hello.StatusRequest = true;
                    break;
                case ExtensionType.RecordSizeLimit:
                    // RFC 8449 §4
                    hello.RecordSizeLimit = ExtensionCodec.ReadRecordSizeLimit(ref data);
                    break;
                case ExtensionType.PostHandshakeAuth:
                    // RFC 8446 §4.2.6: empty extension_data
                    ExtensionCodec.ExpectEmpty(ref data, type);
                    hello.PostHandshakeAuth = true;
                    break;
                default:
                    // RFC 8446 §4.2 / RFC 5246 §7.4.1.4: unrecognized extensions are ignored by the server.
                    data.ReadBytes(data.Remaining);
                    break;
            }

            ExtensionCodec.ExpectEnd(ref data, type);
        }

        hello.Extensions = raw.ToArray();
    }

    private static ushort[] ReadSupportedVersions(ref TlsReader data)
    {
        TlsReader list = data.ReadVectorReader8(minLength: 2, maxLength: 254);
        if ((list.Remaining & 1) != 0)
        {
            TlsProtocolException.ThrowDecodeError("supported_versions: odd length");
        }

        var versions = new ushort[list.Remaining / 2];
        for (int i = 0; i < versions.Length; i++)
        {
            versions[i] = list.ReadUInt16();
        }

        return versions;
    }

    private static KeyShareEntry[] ReadClientShares(ref TlsReader data)
    {
        // KeyShareEntry client_shares<0..2^16-1>
        TlsReader list = data.ReadVectorReader16();
        var shares = new List<KeyShareEntry>(2);
        while (!list.IsEmpty)
        {
            KeyShareEntry entry = ExtensionCodec.ReadKeyShareEntry(ref list);
            foreach (KeyShareEntry previous in shares)
            {
                // "Clients MUST NOT offer multiple KeyShareEntry values for the same group ... Servers MAY
                // check for violations of these rules and abort the handshake with an illegal_parameter alert."
                if (previous.Group == entry.Group)
                {
                    TlsProtocolException.ThrowIllegalParameter($"key_share: two shares for group 0x{entry.Group:X4}");
                }
            }

            shares.Add(entry);
        }

        return shares.ToArray();
    }

    private static PskKeyExchangeMode[] ReadPskModes(ref TlsReader data)
    {
        ReadOnlySpan<byte> modes = data.ReadVector8(minLength: 1);
        var result = new PskKeyExchangeMode[modes.Length];
        for (int i = 0; i < modes.Length; i++)
        {
            result[i] = (PskKeyExchangeMode)modes[i];
        }

        return result;
    }

    /// <summary>
    /// Writes the full handshake message (header included). Extensions come from the typed properties in a
    /// fixed order, pre_shared_key last; <see cref="Extensions"/> is not replayed. With a PSK offer the binders
    /// are the final <see cref="OfferedPsks.BindersEncodedLength"/> bytes of the output, so a client can
    /// write placeholder binders, hash the prefix, and patch them in place (RFC 8446 §4.2.11.2).
    /// </summary>
    public void Write(TlsWriter writer)
    {
        if (Random.Length != RandomLength || LegacySessionId.Length > MaxSessionIdLength || CipherSuites.Length == 0 || CompressionMethods.Length == 0)
        {
            throw new InvalidOperationException("ClientHello fields out of range");
        }

        int message = HandshakeHeader.Begin(writer, HandshakeType.ClientHello);
        writer.WriteUInt16(LegacyVersion);
        writer.WriteBytes(Random);
        writer.WriteVector8(LegacySessionId);
        int suites = writer.BeginVector(2);
        foreach (CipherSuite suite in CipherSuites)
        {
            writer.WriteUInt16((ushort)suite);
        }

        writer.EndVector(suites);
        writer.WriteVector8(CompressionMethods);

        int extensionsStart = writer.Length;
        int extensions = writer.BeginVector(2);
        WriteExtensions(writer);
        writer.EndVector(extensions);
        if (writer.Length == extensionsStart + 2)
        {
            // No extensions: omit the block entirely, as RFC 5246 §7.4.1.2 allows.
            writer.Truncate(extensionsStart);
        }

        writer.EndVector(message);
    }

    private void WriteExtensions(TlsWriter writer)
    {
        int ext;
        if (ServerName is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.ServerName);
            ExtensionCodec.WriteServerNameList(writer, ServerName);
            writer.EndVector(ext);
        }

        if (StatusRequest)
        {
            // CertificateStatusRequest { status_type ocsp(1); OCSPStatusRequest with empty lists } (RFC 6066 §8)
            ext = TlsExtension.Begin(writer, ExtensionType.StatusRequest);
            writer.WriteUInt8(1);
            writer.WriteUInt16(0);
            writer.WriteUInt16(0);
            writer.EndVector(ext);
        }

        if (SupportedGroups is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SupportedGroups);
            ExtensionCodec.WriteUInt16List(writer, SupportedGroups);
            writer.EndVector(ext);
        }

        if (EcPointFormats is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.EcPointFormats);
            writer.WriteVector8(EcPointFormats);
            writer.EndVector(ext);
        }

        if (SignatureAlgorithms is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SignatureAlgorithms);
            ExtensionCodec.WriteSignatureSchemes(writer, SignatureAlgorithms);
            writer.EndVector(ext);
        }

        if (SignatureAlgorithmsCert is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SignatureAlgorithmsCert);
            ExtensionCodec.WriteSignatureSchemes(writer, SignatureAlgorithmsCert);
            writer.EndVector(ext);
        }

        if (AlpnProtocols is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.ApplicationLayerProtocolNegotiation);
            ExtensionCodec.WriteProtocolNameList(writer, AlpnProtocols);
            writer.EndVector(ext);
        }

        if (ExtendedMasterSecret)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.ExtendedMasterSecret);
        }

        if (RecordSizeLimit is ushort limit)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.RecordSizeLimit);
            writer.WriteUInt16(limit);
            writer.EndVector(ext);
        }

        if (SessionTicket is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SessionTicket);
            writer.WriteBytes(SessionTicket);
            writer.EndVector(ext);
        }

        if (SupportedVersions is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SupportedVersions);
            int list = writer.BeginVector(1);
            foreach (ushort version in SupportedVersions)
            {
                writer.WriteUInt16(version);
            }

            writer.EndVector(list);
            writer.EndVector(ext);
        }

        if (Cookie is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.Cookie);
            writer.WriteVector16(Cookie);
            writer.EndVector(ext);
        }

        if (PskKeyExchangeModes is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.PskKeyExchangeModes);
            int list = writer.BeginVector(1);
            foreach (PskKeyExchangeMode mode in PskKeyExchangeModes)
            {
                writer.WriteUInt8((byte)mode);
            }

            writer.EndVector(list);
            writer.EndVector(ext);
        }

        if (PostHandshakeAuth)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.PostHandshakeAuth);
        }

        if (KeyShares is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.KeyShare);
            int list = writer.BeginVector(2);
            foreach (KeyShareEntry share in KeyShares)
            {
                ExtensionCodec.WriteKeyShareEntry(writer, share);
            }

            writer.EndVector(list);
            writer.EndVector(ext);
        }

        if (RenegotiationInfo is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.RenegotiationInfo);
            writer.WriteVector8(RenegotiationInfo);
            writer.EndVector(ext);
        }

        if (EarlyData)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.EarlyData);
        }

        if (PreSharedKey is not null)
        {
            // RFC 8446 §4.2.11: MUST be the last extension.
            ext = TlsExtension.Begin(writer, ExtensionType.PreSharedKey);
            PreSharedKey.Write(writer);
            writer.EndVector(ext);
        }
    }

    // Mutable scratch for the extension loop; fields are copied into the immutable ClientHello at the end.
    private struct Builder
    {
        public IReadOnlyList<TlsExtension> Extensions;
        public string? ServerName;
        public ushort[]? SupportedGroups;
        public byte[]? EcPointFormats;
        public SignatureScheme[]? SignatureAlgorithms;
        public SignatureScheme[]? SignatureAlgorithmsCert;
        public byte[][]? AlpnProtocols;
        public bool ExtendedMasterSecret;
        public byte[]? RenegotiationInfo;
        public byte[]? SessionTicket;
        public ushort[]? SupportedVersions;
        public KeyShareEntry[]? KeyShares;
        public PskKeyExchangeMode[]? PskKeyExchangeModes;
        public OfferedPsks? PreSharedKey;
        public int PskBindersOffset;
        public bool EarlyData;
        public byte[]? Cookie;
        public bool StatusRequest;
        public ushort? RecordSizeLimit;
        public bool PostHandshakeAuth;

        public Builder()
        {
            Extensions = [];
            PskBindersOffset = -1;
        }
    }
}

/// <summary>PskIdentity (RFC 8446 §4.2.11): opaque identity&lt;1..2^16-1&gt;; uint32 obfuscated_ticket_age.</summary>
public sealed record PskIdentity(byte[] Identity, uint ObfuscatedTicketAge);

/// <summary>OfferedPsks (RFC 8446 §4.2.11): identities&lt;7..2^16-1&gt; and binders&lt;33..2^16-1&gt;, one binder per identity.</summary>
public sealed class OfferedPsks
{
    public required PskIdentity[] Identities { get; init; }

    /// <summary>PskBinderEntry opaque&lt;32..255&gt; each, in identity order.</summary>
    public required byte[][] Binders { get; init; }

    /// <summary>Encoded size of the binders list including its 2-byte length: the tail Truncate() removes.</summary>
    public int BindersEncodedLength
    {
        get
        {
            int length = 2;
            foreach (byte[] binder in Binders)
            {
                length += 1 + binder.Length;
            }

            return length;
        }
    }

    internal static OfferedPsks Read(ref TlsReader data, out int bindersOffset)
    {
        TlsReader identitiesReader = data.ReadVectorReader16(minLength: 7);
        var identities = new List<PskIdentity>(1);
        while (!identitiesReader.IsEmpty)
        {
            byte[] identity = identitiesReader.ReadVector16(minLength: 1).ToArray();
            identities.Add(new PskIdentity(identity, identitiesReader.ReadUInt32()));
        }

        bindersOffset = data.AbsolutePosition;
        TlsReader bindersReader = data.ReadVectorReader16(minLength: 33);
        var binders = new List<byte[]>(1);
        while (!bindersReader.IsEmpty)
        {
            binders.Add(bindersReader.ReadVector8(minLength: 32).ToArray());
        }

        if (binders.Count != identities.Count)
        {
            // Each identity needs its binder (RFC 8446 §4.2.11); a mismatch is a peer error, not a framing one.
            TlsProtocolException.ThrowIllegalParameter($"pre_shared_key: {identities.Count} identities but {binders.Count} binders");
        }

        return new OfferedPsks { Identities = identities.ToArray(), Binders = binders.ToArray() };
    }

    internal void Write(TlsWriter writer)
    {
        int identities = writer.BeginVector(2);
        foreach (PskIdentity identity in Identities)
        {
            writer.WriteVector16(identity.Identity);
            writer.WriteUInt32(identity.ObfuscatedTicketAge);
        }

        writer.EndVector(identities);
        int binders = writer.BeginVector(2);
        foreach (byte[] binder in Binders)
        {
            writer.WriteVector8(binder);
        }

        writer.EndVector(binders);
    }
}
