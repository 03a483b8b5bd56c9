using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Brisk.Server.ProxyProtocol;

/// <summary>The TLS facts a v2 header carries to the backend (proxy-protocol.txt §2.2.1, §2.2.2, §2.2.6).</summary>
public sealed record ProxyTlsInfo(
    string? ApplicationProtocol,
    string? ServerName,
    string Version,
    string Cipher,
    string? ClientCommonName,
    bool ClientCertificateOnConnection,
    bool ClientCertificateInSession);

/// <summary>
/// Writes PROXY protocol headers (v1 text, v2 binary with TLS TLVs) into a caller-owned span. The caller
/// sizes it with <see cref="MaxV1Length"/> or <see cref="GetV2Length"/>. No CRC32C TLV is written (optional, §2.2.3).
/// </summary>
public static class ProxyHeaderWriter
{
    public const int MaxV1Length = ProxyHeaderParser.MaxV1Length;

    /// <summary>
    /// v1 (§2.1): "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n", or "PROXY UNKNOWN\r\n" when an address is unknown.
    /// Returns the bytes written.
    /// </summary>
    public static int WriteV1(Span<byte> destination, IPEndPoint? source, IPEndPoint? target)
    {
        if (!TryNormalize(source, target, out var src, out var dst))
            return Encoding.ASCII.GetBytes("PROXY UNKNOWN\r\n", destination);
        string protocol = src.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6";
        // IPAddress.ToString gives the canonical forms §2.1 asks for (dotted decimal, compressed IPv6 without zone).
        string line = $"PROXY {protocol} {src.Address} {dst.Address} {src.Port} {dst.Port}\r\n";
        return Encoding.ASCII.GetBytes(line, destination);
    }

    /// <summary>The exact size of the v2 header <see cref="WriteV2"/> writes for these arguments.</summary>
    public static int GetV2Length(IPEndPoint? source, IPEndPoint? target, ProxyTlsInfo? tls, bool crc32c = false)
    {
        int addressLength = TryNormalize(source, target, out var src, out _) ? (src.AddressFamily == AddressFamily.InterNetwork ? 12 : 36) : 0;
        return ProxyHeaderParser.V2FixedLength + addressLength + GetTlvLength(tls) + (crc32c ? 7 : 0);
    }

    /// <summary>
    /// v2 (§2.2): signature, version 2 + PROXY, TCP over IPv4/IPv6 (or UNSPEC when an address is unknown),
    /// the addresses, then PP2_TYPE_ALPN, PP2_TYPE_AUTHORITY and PP2_TYPE_SSL with its sub-TLVs, and, when
    /// <paramref name="crc32c"/>, PP2_TYPE_CRC32C over the whole header (§2.2.3). Returns the bytes written.
    /// </summary>
    public static int WriteV2(Span<byte> destination, IPEndPoint? source, IPEndPoint? target, ProxyTlsInfo? tls, bool crc32c = false)
    {
        int total = GetV2Length(source, target, tls, crc32c);
        if (total - ProxyHeaderParser.V2FixedLength > ushort.MaxValue)
            throw new ArgumentException("PROXY v2 header exceeds 65535 bytes", nameof(tls));
        var span = destination[..total];
        ProxyHeaderParser.V2Signature.CopyTo(span);
        span[12] = 0x21; // version 2, command PROXY
        int offset = 16;
        if (TryNormalize(source, target, out var src, out var dst))
        {
            bool v4 = src.AddressFamily == AddressFamily.InterNetwork;
            span[13] = v4 ? (byte)0x11 : (byte)0x21; // TCP over IPv4 / IPv6
            int size = v4 ? 4 : 16;
            src.Address.TryWriteBytes(span[offset..], out _);
            dst.Address.TryWriteBytes(span[(offset + size)..], out _);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2 * size)..], (ushort)src.Port);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2 * size + 2)..], (ushort)dst.Port);
            offset += 2 * size + 4;
        }
        else
        {
            span[13] = 0x00; // UNSPEC: the receiver keeps the connection's own addresses
        }
        BinaryPrimitives.WriteUInt16BigEndian(span[14..], (ushort)(total - ProxyHeaderParser.V2FixedLength));
        if (tls is not null)
        {
            if (tls.ApplicationProtocol is { Length: > 0 } alpn)
                offset += WriteTlv(span[offset..], ProxyTlvType.Alpn, alpn);
            if (tls.ServerName is { Length: > 0 } sni)
                offset += WriteTlv(span[offset..], ProxyTlvType.Authority, sni);
            // PP2_TYPE_SSL: client flags (1), verify (4), then the sub-TLVs.
            int sslLength = GetSslValueLength(tls);
            span[offset] = ProxyTlvType.Ssl;
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 1)..], (ushort)sslLength);
            offset += 3;
            byte client = ProxyTlvType.ClientSsl;
            if (tls.ClientCertificateOnConnection) client |= ProxyTlvType.ClientCertificateConnection;
            if (tls.ClientCertificateInSession) client |= ProxyTlvType.ClientCertificateSession;
            span[offset] = client;
            // verify: 0 when the client presented a certificate and it was verified (Brisk only accepts verified ones).
            BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 1)..], HasClientCertificate(tls) ? 0u : 1u);
            offset += 5;
            offset += WriteTlv(span[offset..], ProxyTlvType.SslVersion, tls.Version);
            offset += WriteTlv(span[offset..], ProxyTlvType.SslCipher, tls.Cipher);
            if (tls.ClientCommonName is { Length: > 0 } cn)
                offset += WriteTlv(span[offset..], ProxyTlvType.SslCommonName, cn);
        }
        if (crc32c)
        {
            // The checksum is computed with its own field zeroed, then written in network byte order.
            span[offset] = ProxyTlvType.Crc32c;
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 1)..], 4);
            span.Slice(offset + 3, 4).Clear();
            BinaryPrimitives.WriteUInt32BigEndian(span[(offset + 3)..], ProxyCrc32c.Compute(span[..total]));
            offset += 7;
        }
        return offset;
    }

    private static bool HasClientCertificate(ProxyTlsInfo tls) => tls.ClientCertificateOnConnection || tls.ClientCertificateInSession;

    private static int GetTlvLength(ProxyTlsInfo? tls)
    {
        if (tls is null)
            return 0;
        int length = 0;
        if (tls.ApplicationProtocol is { Length: > 0 } alpn)
            length += 3 + Encoding.UTF8.GetByteCount(alpn);
        if (tls.ServerName is { Length: > 0 } sni)
            length += 3 + Encoding.UTF8.GetByteCount(sni);
        return length + 3 + GetSslValueLength(tls);
    }

    private static int GetSslValueLength(ProxyTlsInfo tls)
    {
        int length = 5 + 3 + Encoding.ASCII.GetByteCount(tls.Version) + 3 + Encoding.ASCII.GetByteCount(tls.Cipher);
        if (tls.ClientCommonName is { Length: > 0 } cn)
            length += 3 + Encoding.UTF8.GetByteCount(cn);
        return length;
    }

    private static int WriteTlv(Span<byte> destination, byte type, string value)
    {
        int length = Encoding.UTF8.GetBytes(value, destination[3..]);
        destination[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], (ushort)length);
        return 3 + length;
    }

    /// <summary>
    /// Both addresses in one family, as the header needs: IPv4-mapped IPv6 (a dual-mode socket's view of an IPv4
    /// peer) becomes IPv4; if one side is still IPv6, the other is mapped to IPv6. False when either is unknown.
    /// </summary>
    private static bool TryNormalize(IPEndPoint? source, IPEndPoint? target, out IPEndPoint src, out IPEndPoint dst)
    {
        src = dst = null!;
        if (source is null || target is null)
            return false;
        var a = source.Address.IsIPv4MappedToIPv6 ? source.Address.MapToIPv4() : source.Address;
        var b = target.Address.IsIPv4MappedToIPv6 ? target.Address.MapToIPv4() : target.Address;
        if (a.AddressFamily != b.AddressFamily)
        {
            a = a.MapToIPv6();
            b = b.MapToIPv6();
        }
        if (a.AddressFamily == AddressFamily.InterNetworkV6)
        {
            // The header has no room for a zone index.
            a = new IPAddress(a.GetAddressBytes());
            b = new IPAddress(b.GetAddressBytes());
        }
        src = new IPEndPoint(a, source.Port);
        dst = new IPEndPoint(b, target.Port);
        return true;
    }
}
