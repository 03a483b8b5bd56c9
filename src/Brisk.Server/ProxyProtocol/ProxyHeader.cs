using System.Buffers;
using System.Net;

namespace Brisk.Server.ProxyProtocol;

/// <summary>
/// A parsed PROXY protocol header (haproxy's proxy-protocol.txt, versions 1 and 2).
/// <see cref="Source"/> and <see cref="Destination"/> are null when the header says to keep the socket's own
/// addresses: v2 LOCAL (a health check by the proxy itself), v1 UNKNOWN, v2 AF_UNSPEC / AF_UNIX / non-stream.
/// </summary>
public readonly struct ProxyHeader
{
    public ProxyHeader(int version, bool isLocal, IPEndPoint? source, IPEndPoint? destination, ReadOnlySequence<byte> tlvs)
    {
        Version = version;
        IsLocal = isLocal;
        Source = source;
        Destination = destination;
        Tlvs = tlvs;
    }

    /// <summary>1 (text) or 2 (binary).</summary>
    public int Version { get; }

    /// <summary>v2 LOCAL command: the connection was made by the proxy itself; the socket addresses stand.</summary>
    public bool IsLocal { get; }

    /// <summary>The original client (null: keep the socket peer).</summary>
    public IPEndPoint? Source { get; }

    /// <summary>The address the original client connected to (null: keep the socket's local address).</summary>
    public IPEndPoint? Destination { get; }

    /// <summary>
    /// The v2 TLV block (empty for v1). A slice of the buffer given to the parser: valid only until the caller
    /// advances past it (buffer ownership stays with the caller's pipe). Read it with <see cref="ProxyTlvReader"/>.
    /// </summary>
    public ReadOnlySequence<byte> Tlvs { get; }
}

/// <summary>Outcome of <see cref="ProxyHeaderParser.TryParse"/>.</summary>
public enum ProxyHeaderStatus
{
    /// <summary>Not enough bytes yet to decide; read more (within the handshake timeout).</summary>
    Incomplete,

    /// <summary>A valid header ends at the returned position.</summary>
    Complete,

    /// <summary>Not a valid PROXY header: the connection must be closed.</summary>
    Invalid,
}

/// <summary>The registered TLV types and SSL client flags (proxy-protocol.txt §2.2).</summary>
public static class ProxyTlvType
{
    public const byte Alpn = 0x01;
    public const byte Authority = 0x02;
    public const byte Crc32c = 0x03;
    public const byte Noop = 0x04;
    public const byte UniqueId = 0x05;
    public const byte Ssl = 0x20;
    public const byte SslVersion = 0x21;
    public const byte SslCommonName = 0x22;
    public const byte SslCipher = 0x23;
    public const byte SslSignatureAlgorithm = 0x24;
    public const byte SslKeyAlgorithm = 0x25;
    public const byte NetworkNamespace = 0x30;

    /// <summary>PP2_CLIENT_SSL: the client connected over TLS.</summary>
    public const byte ClientSsl = 0x01;

    /// <summary>PP2_CLIENT_CERT_CONN: the client presented a certificate on this connection.</summary>
    public const byte ClientCertificateConnection = 0x02;

    /// <summary>PP2_CLIENT_CERT_SESS: the client presented a certificate at least once in this TLS session.</summary>
    public const byte ClientCertificateSession = 0x04;
}

/// <summary>One TLV: its type and value (a slice of the reader's sequence, no copy).</summary>
public readonly record struct ProxyTlv(byte Type, ReadOnlySequence<byte> Value);

/// <summary>
/// Walks a TLV block (the v2 header's TLVs or the sub-TLVs of PP2_TYPE_SSL after its 5-byte prefix):
/// type (1 byte), length (2 bytes, big-endian), value.
/// </summary>
public ref struct ProxyTlvReader
{
    private SequenceReader<byte> _reader;

    public ProxyTlvReader(ReadOnlySequence<byte> tlvs) => _reader = new SequenceReader<byte>(tlvs);

    /// <summary>False at the end of the block; throws nothing. <paramref name="malformed"/> is true when a TLV runs past the block.</summary>
    public bool TryRead(out ProxyTlv tlv, out bool malformed)
    {
        tlv = default;
        malformed = false;
        if (_reader.End)
            return false;
        if (!_reader.TryRead(out byte type) || !_reader.TryReadBigEndian(out short rawLength) || _reader.Remaining < (ushort)rawLength)
        {
            malformed = true;
            return false;
        }
        var value = _reader.UnreadSequence.Slice(0, (ushort)rawLength);
        _reader.Advance((ushort)rawLength);
        tlv = new ProxyTlv(type, value);
        return true;
    }

    /// <summary>True when the whole block is a well-formed sequence of TLVs.</summary>
    public static bool IsWellFormed(ReadOnlySequence<byte> tlvs)
    {
        var reader = new ProxyTlvReader(tlvs);
        bool malformed;
        while (reader.TryRead(out _, out malformed)) { }
        return !malformed;
    }
}
