using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// EncryptedExtensions (RFC 8446 §4.3.1): Extension extensions&lt;0..2^16-1&gt;. Typed properties for what
/// Brisk sends; every extension also kept raw (slices of an owned copy of the body).
/// </summary>
public sealed class EncryptedExtensions
{
    /// <summary>Empty server_name: the server used the client's SNI (RFC 6066 §3).</summary>
    public bool ServerNameAcknowledged { get; init; }

    /// <summary>The selected ALPN protocol (RFC 7301 §3.1).</summary>
    public byte[]? AlpnProtocol { get; init; }

    /// <summary>The server's supported_groups, informational for the client (RFC 8446 §4.2.7).</summary>
    public ushort[]? SupportedGroups { get; init; }

    /// <summary>Empty early_data: 0-RTT accepted (RFC 8446 §4.2.10).</summary>
    public bool EarlyData { get; init; }

    /// <summary>record_size_limit (RFC 8449 §4).</summary>
    public ushort? RecordSizeLimit { get; init; }

    public IReadOnlyList<TlsExtension> Extensions { get; private init; } = [];

    public static EncryptedExtensions Parse(ReadOnlySpan<byte> body)
    {
        byte[] encodedBody = body.ToArray(); // owned copy; raw extensions slice into it
        var reader = new TlsReader(encodedBody);
        TlsReader extensions = reader.ReadVectorReader16();
        reader.ExpectEnd("EncryptedExtensions");

        bool serverName = false, earlyData = false;
        byte[]? alpn = null;
        ushort[]? groups = null;
        ushort? recordSizeLimit = null;
        var seen = new ExtensionTypeSet();
        var raw = new List<TlsExtension>(4);
        while (!extensions.IsEmpty)
        {
            var type = (ExtensionType)extensions.ReadUInt16();
            int dataOffset = extensions.AbsolutePosition + 2;
            TlsReader data = extensions.ReadVectorReader16();
            seen.Add(type);
            raw.Add(new TlsExtension(type, encodedBody.AsMemory(dataOffset, data.Remaining)));
            switch (type)
            {
                case ExtensionType.ServerName:
                    // RFC 6066 §3: "the "extension_data" field of this extension SHALL be empty"
                    ExtensionCodec.ExpectEmpty(ref data, type);
                    serverName = true;
                    break;
                case ExtensionType.ApplicationLayerProtocolNegotiation:
                    // RFC 7301 §3.1: exactly one ProtocolName
                    byte[][] names = ExtensionCodec.ReadProtocolNameList(ref data);
                    if (names.Length != 1)
                    {
                        TlsProtocolException.ThrowDecodeError($"ALPN: server selected {names.Length} protocols");
                    }

                    alpn = names[0];
                    break;
                case ExtensionType.SupportedGroups:
                    // RFC 8446 §4.2.7
                    groups = ExtensionCodec.ReadUInt16List(ref data, 2, ushort.MaxValue, "supported_groups");
                    break;
                case ExtensionType.EarlyData:
                    // RFC 8446 §4.2.10: empty in EncryptedExtensions
                    ExtensionCodec.ExpectEmpty(ref data, type);
                    earlyData = true;
                    break;
                case ExtensionType.RecordSizeLimit:
                    recordSizeLimit = ExtensionCodec.ReadRecordSizeLimit(ref data);
                    break;
                default:
                    // Whether an extension is allowed here (RFC 8446 §4.2 table) is the client's decision.
                    data.ReadBytes(data.Remaining);
                    break;
            }

            ExtensionCodec.ExpectEnd(ref data, type);
        }

        return new EncryptedExtensions
        {
            ServerNameAcknowledged = serverName,
            AlpnProtocol = alpn,
            SupportedGroups = groups,
            EarlyData = earlyData,
            RecordSizeLimit = recordSizeLimit,
            Extensions = raw.ToArray(),
        };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.EncryptedExtensions);
        int extensions = writer.BeginVector(2);
        int ext;
        if (ServerNameAcknowledged)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.ServerName);
        }

        if (SupportedGroups is not null)
        {
            ext = TlsExtension.Begin(writer, ExtensionType.SupportedGroups);
            ExtensionCodec.WriteUInt16List(writer, SupportedGroups);
            writer.EndVector(ext);
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

        if (EarlyData)
        {
            TlsExtension.WriteEmpty(writer, ExtensionType.EarlyData);
        }

        writer.EndVector(extensions);
        writer.EndVector(message);
    }
}
