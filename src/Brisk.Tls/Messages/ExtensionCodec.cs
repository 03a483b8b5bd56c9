using System.Runtime.InteropServices;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// Encodings shared by several extension blocks (ClientHello, ServerHello, EncryptedExtensions,
/// CertificateRequest). Each reader consumes the whole extension_data and rejects trailing bytes.
/// Parsed values are copied into arrays because they outlive the input buffer.
/// </summary>
internal static class ExtensionCodec
{
    /// <summary>A uint16-length vector of uint16 values, e.g. NamedGroup named_group_list&lt;2..2^16-1&gt;.</summary>
    public static ushort[] ReadUInt16List(ref TlsReader data, int minBytes, int maxBytes, string what)
    {
        ReadOnlySpan<byte> list = data.ReadVector16(minBytes, maxBytes);
        if ((list.Length & 1) != 0)
        {
            TlsProtocolException.ThrowDecodeError($"{what}: odd length {list.Length}");
        }

        var values = new ushort[list.Length / 2];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = (ushort)((list[2 * i] << 8) | list[2 * i + 1]);
        }

        return values;
    }

    public static void WriteUInt16List(TlsWriter writer, ReadOnlySpan<ushort> values)
    {
        int token = writer.BeginVector(2);
        foreach (ushort value in values)
        {
            writer.WriteUInt16(value);
        }

        writer.EndVector(token);
    }

    /// <summary>SignatureScheme supported_signature_algorithms&lt;2..2^16-2&gt; (RFC 8446 §4.2.3, RFC 5246 §7.4.1.4.1).</summary>
    public static SignatureScheme[] ReadSignatureSchemes(ref TlsReader data, string what)
    {
        ushort[] raw = ReadUInt16List(ref data, 2, 0xFFFE, what);
        return MemoryMarshal.Cast<ushort, SignatureScheme>(raw).ToArray();
    }

    public static void WriteSignatureSchemes(TlsWriter writer, ReadOnlySpan<SignatureScheme> schemes) =>
        WriteUInt16List(writer, MemoryMarshal.Cast<SignatureScheme, ushort>(schemes));

    /// <summary>
    /// ProtocolNameList protocol_name_list&lt;2..2^16-1&gt; of ProtocolName opaque&lt;1..2^8-1&gt;
    /// (RFC 7301 §3.1: "Empty strings MUST NOT be included").
    /// </summary>
    public static byte[][] ReadProtocolNameList(ref TlsReader data)
    {
        TlsReader list = data.ReadVectorReader16(minLength: 2);
        var names = new List<byte[]>(2);
        while (!list.IsEmpty)
        {
            names.Add(list.ReadVector8(minLength: 1).ToArray());
        }

        return names.ToArray();
    }

    public static void WriteProtocolNameList(TlsWriter writer, IReadOnlyList<byte[]> names)
    {
        int token = writer.BeginVector(2);
        foreach (byte[] name in names)
        {
            if (name.Length is 0 or > 255)
            {
                throw new ArgumentException("ALPN protocol names are 1..255 bytes (RFC 7301 §3.1)", nameof(names));
            }

            writer.WriteVector8(name);
        }

        writer.EndVector(token);
    }

    /// <summary>
    /// RFC 6066 §3 ServerNameList server_name_list&lt;1..2^16-1&gt;. Returns the host_name (type 0) or null when
    /// the list holds only other name types, which are skipped. "The ServerNameList MUST NOT contain more than
    /// one name of the same name_type" (illegal_parameter). The HostName is ASCII "without a trailing dot";
    /// anything else is decode_error, so certificate selection only ever sees a plain DNS-style name.
    /// </summary>
    public static string? ReadServerNameList(ref TlsReader data)
    {
        TlsReader list = data.ReadVectorReader16(minLength: 1);
        string? hostName = null;
        Span<bool> seenTypes = stackalloc bool[256];
        while (!list.IsEmpty)
        {
            byte nameType = list.ReadUInt8();
            // Every name type defined so far, and the only shape an unknown one can take for us to skip it,
            // is opaque<1..2^16-1> (RFC 6066 §3).
            ReadOnlySpan<byte> name = list.ReadVector16(minLength: 1);
            if (seenTypes[nameType])
            {
                TlsProtocolException.ThrowIllegalParameter($"server_name: more than one name of type {nameType}");
            }

            seenTypes[nameType] = true;
            if (nameType != 0)
            {
                continue;
            }

            foreach (byte b in name)
            {
                if (b is <= 0x20 or >= 0x7F)
                {
                    TlsProtocolException.ThrowDecodeError("server_name: host_name is not printable ASCII");
                }
            }

            if (name[^1] == (byte)'.')
            {
                TlsProtocolException.ThrowDecodeError("server_name: host_name has a trailing dot");
            }

            hostName = System.Text.Encoding.ASCII.GetString(name);
        }

        return hostName;
    }

    public static void WriteServerNameList(TlsWriter writer, string hostName)
    {
        if (hostName.Length == 0 || hostName.Any(c => c is <= ' ' or >= (char)0x7F) || hostName[^1] == '.')
        {
            throw new ArgumentException("host_name must be non-empty printable ASCII without a trailing dot (RFC 6066 §3)", nameof(hostName));
        }

        int list = writer.BeginVector(2);
        writer.WriteUInt8(0); // host_name
        int name = writer.BeginVector(2);
        int count = System.Text.Encoding.ASCII.GetByteCount(hostName);
        System.Text.Encoding.ASCII.GetBytes(hostName, writer.GetSpan(count));
        writer.Advance(count);
        writer.EndVector(name);
        writer.EndVector(list);
    }

    /// <summary>
    /// Rejects extension_data left over after the extension's structure (decode_error). The message text is
    /// only built on failure: formatting the type name on every extension would cost more than parsing it.
    /// </summary>
    public static void ExpectEnd(ref TlsReader data, ExtensionType type)
    {
        if (!data.IsEmpty)
        {
            TlsProtocolException.ThrowDecodeError($"{data.Remaining} trailing byte(s) in extension {type}");
        }
    }

    /// <summary>RFC 8446 §4.2.10 / RFC 7627 §5.1 etc.: extensions whose extension_data MUST be empty.</summary>
    public static void ExpectEmpty(ref TlsReader data, ExtensionType type)
    {
        if (!data.IsEmpty)
        {
            TlsProtocolException.ThrowDecodeError($"{type}: extension_data must be empty");
        }
    }

    /// <summary>KeyShareEntry: NamedGroup group; opaque key_exchange&lt;1..2^16-1&gt; (RFC 8446 §4.2.8).</summary>
    public static KeyShareEntry ReadKeyShareEntry(ref TlsReader data)
    {
        ushort group = data.ReadUInt16();
        byte[] keyExchange = data.ReadVector16(minLength: 1).ToArray();
        return new KeyShareEntry(group, keyExchange);
    }

    public static void WriteKeyShareEntry(TlsWriter writer, KeyShareEntry entry)
    {
        writer.WriteUInt16(entry.Group);
        writer.WriteVector16(entry.KeyExchange);
    }

    /// <summary>RFC 8449 §4: uint16 RecordSizeLimit; "MUST NOT be less than 64" else illegal_parameter.</summary>
    public static ushort ReadRecordSizeLimit(ref TlsReader data)
    {
        ushort limit = data.ReadUInt16();
        data.ExpectEnd("record_size_limit");
        if (limit < 64)
        {
            TlsProtocolException.ThrowIllegalParameter($"record_size_limit {limit} below 64");
        }

        return limit;
    }
}

/// <summary>
/// KeyShareEntry (RFC 8446 §4.2.8). <see cref="Group"/> stays a raw ushort so unknown and GREASE groups
/// survive parsing; compare with <c>(ushort)NamedGroup.X25519</c> or use <see cref="Is"/>.
/// </summary>
public sealed record KeyShareEntry(ushort Group, byte[] KeyExchange)
{
    public bool Is(Brisk.Crypto.KeyExchange.NamedGroup group) => Group == (ushort)group;
}
