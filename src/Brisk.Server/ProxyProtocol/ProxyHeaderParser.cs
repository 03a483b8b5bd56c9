using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Brisk.Server.ProxyProtocol;

/// <summary>
/// Parses a PROXY protocol header (haproxy proxy-protocol.txt, v1 §2.1 and v2 §2.2) at the start of a
/// connection, straight from the transport pipe's buffer with a SequenceReader. The parser never consumes:
/// it reports where the header ends, and the caller advances its pipe. Every length is bounded, so a peer
/// cannot make it wait for (or hold) more than <see cref="MaxV1Length"/> or 16 + <see cref="MaxV2AddressAndTlvLength"/> bytes.
/// </summary>
public static class ProxyHeaderParser
{
    /// <summary>§2.1: the longest v1 line, CRLF included ("PROXY UNKNOWN" with two full IPv6 addresses).</summary>
    public const int MaxV1Length = 107;

    /// <summary>
    /// The longest v2 address-and-TLV block accepted. The wire field allows 65535; real proxies send the
    /// addresses (at most 216 bytes for AF_UNIX) and a few short TLVs, so 4 KiB is generous yet bounded.
    /// </summary>
    public const int MaxV2AddressAndTlvLength = 4096;

    public const int V2FixedLength = 16;

    /// <summary>§2.2: the v2 signature; it contains a NUL and CR LF pairs so no text protocol starts like it.</summary>
    public static ReadOnlySpan<byte> V2Signature => [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>
    /// Parses the header at the start of <paramref name="buffer"/>. On <see cref="ProxyHeaderStatus.Complete"/>,
    /// <paramref name="end"/> is the position just after it; on <see cref="ProxyHeaderStatus.Invalid"/>,
    /// <paramref name="error"/> says why (for a Debug log).
    /// </summary>
    public static ProxyHeaderStatus TryParse(in ReadOnlySequence<byte> buffer, out ProxyHeader header, out SequencePosition end, out string? error)
    {
        header = default;
        end = buffer.Start;
        error = null;
        if (buffer.IsEmpty)
            return ProxyHeaderStatus.Incomplete;
        byte first = buffer.FirstSpan[0];
        if (first == V2Signature[0])
            return TryParseV2(buffer, out header, out end, out error);
        if (first == V1Prefix[0])
            return TryParseV1(buffer, out header, out end, out error);
        error = "not a PROXY protocol header";
        return ProxyHeaderStatus.Invalid;
    }

    private static ProxyHeaderStatus TryParseV1(in ReadOnlySequence<byte> buffer, out ProxyHeader header, out SequencePosition end, out string? error)
    {
        header = default;
        end = buffer.Start;
        error = null;
        // Look for the CRLF only where a valid line can have it, however much the peer sent.
        var reader = new SequenceReader<byte>(buffer.Length > MaxV1Length ? buffer.Slice(0, MaxV1Length) : buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> lineSequence, "\r\n"u8, advancePastDelimiter: true))
        {
            // §2.1: no CRLF in the first 107 bytes is invalid; before that, what we have must still look like a header.
            if (buffer.Length >= MaxV1Length)
            {
                error = "v1: no CRLF within 107 bytes";
                return ProxyHeaderStatus.Invalid;
            }
            Span<byte> partial = stackalloc byte[MaxV1Length];
            buffer.CopyTo(partial);
            partial = partial[..(int)buffer.Length];
            int prefix = Math.Min(partial.Length, V1Prefix.Length);
            if (!partial[..prefix].SequenceEqual(V1Prefix[..prefix]))
            {
                error = "v1: does not start with \"PROXY \"";
                return ProxyHeaderStatus.Invalid;
            }
            // A lone LF (or any control byte but a final CR) can never become a valid line.
            int lastAllowedCr = partial.Length - 1;
            for (int i = 0; i < partial.Length; i++)
            {
                if (partial[i] is < 0x20 or > 0x7E && !(partial[i] == (byte)'\r' && i == lastAllowedCr))
                {
                    error = "v1: control character in the header line";
                    return ProxyHeaderStatus.Invalid;
                }
            }
            return ProxyHeaderStatus.Incomplete;
        }
        if (lineSequence.Length + 2 > MaxV1Length)
        {
            error = "v1: line longer than 107 bytes";
            return ProxyHeaderStatus.Invalid;
        }
        // The line is at most 105 bytes: parse it from the stack, not from a heap copy.
        Span<byte> line = stackalloc byte[MaxV1Length];
        lineSequence.CopyTo(line);
        line = line[..(int)lineSequence.Length];
        if (!TryParseV1Line(line, out var source, out var destination, out error))
            return ProxyHeaderStatus.Invalid;
        header = new ProxyHeader(1, isLocal: false, source, destination, ReadOnlySequence<byte>.Empty);
        end = buffer.GetPosition(lineSequence.Length + 2);
        return ProxyHeaderStatus.Complete;
    }

    /// <summary>§2.1: "PROXY TCP4|TCP6 SRC DST SPORT DPORT" or "PROXY UNKNOWN[ anything]" (CRLF already removed).</summary>
    private static bool TryParseV1Line(ReadOnlySpan<byte> line, out IPEndPoint? source, out IPEndPoint? destination, out string? error)
    {
        source = null;
        destination = null;
        error = null;
        foreach (byte b in line)
        {
            if (b is < 0x20 or > 0x7E)
            {
                error = "v1: control character in the header line";
                return false;
            }
        }
        if (!line.StartsWith(V1Prefix))
        {
            error = "v1: does not start with \"PROXY \"";
            return false;
        }
        var rest = line[V1Prefix.Length..];
        // UNKNOWN: the receiver ignores the rest of the line and keeps the real connection's addresses.
        if (rest.StartsWith("UNKNOWN"u8) && (rest.Length == 7 || rest[7] == (byte)' '))
            return true;
        AddressFamily family;
        if (rest.StartsWith("TCP4 "u8))
            family = AddressFamily.InterNetwork;
        else if (rest.StartsWith("TCP6 "u8))
            family = AddressFamily.InterNetworkV6;
        else
        {
            error = "v1: protocol is not TCP4, TCP6 or UNKNOWN";
            return false;
        }
        rest = rest[5..];
        // Exactly four fields separated by exactly one space.
        Span<Range> fields = stackalloc Range[5];
        if (Split(rest, fields, (byte)' ') != 4)
        {
            error = "v1: expected SRC DST SPORT DPORT separated by single spaces";
            return false;
        }
        if (!TryParseV1Address(rest[fields[0]], family, out var sourceAddress)
            || !TryParseV1Address(rest[fields[1]], family, out var destinationAddress))
        {
            error = $"v1: address is not a canonical {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address";
            return false;
        }
        if (!TryParseV1Port(rest[fields[2]], out int sourcePort) || !TryParseV1Port(rest[fields[3]], out int destinationPort))
        {
            error = "v1: port is not a decimal 0..65535 without leading zeros";
            return false;
        }
        source = new IPEndPoint(sourceAddress, sourcePort);
        destination = new IPEndPoint(destinationAddress, destinationPort);
        return true;
    }

    private static bool TryParseV1Address(ReadOnlySpan<byte> text, AddressFamily family, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.IsEmpty || text.Length > 39)
            return false;
        if (family == AddressFamily.InterNetwork)
        {
            // Four decimal numbers 0..255, one dot between each, no leading zeros (§2.1: no octal confusion).
            Span<byte> octets = stackalloc byte[4];
            Span<Range> parts = stackalloc Range[5];
            if (Split(text, parts, (byte)'.') != 4)
                return false;
            for (int i = 0; i < 4; i++)
            {
                if (!TryParseDecimal(text[parts[i]], 255, out int octet))
                    return false;
                octets[i] = (byte)octet;
            }
            address = new IPAddress(octets);
            return true;
        }
        // IPv6: hex groups and at most one "::"; no zone index, no embedded dotted IPv4 in the canonical form.
        foreach (byte b in text)
        {
            if (!(char.IsAsciiHexDigit((char)b) || b == (byte)':'))
                return false;
        }
        Span<char> chars = stackalloc char[39];
        for (int i = 0; i < text.Length; i++)
            chars[i] = (char)text[i];
        return IPAddress.TryParse(chars[..text.Length], out address!) && address.AddressFamily == AddressFamily.InterNetworkV6;
    }

    /// <summary>
    /// §2.2.3: a receiver that supports PP2_TYPE_CRC32C must check it and treat a mismatch as an invalid
    /// connection. The TLV must be 4 bytes and appear once.
    /// </summary>
    private static bool VerifyCrc32c(ReadOnlySequence<byte> header, ReadOnlySequence<byte> tlvs, out string? error)
    {
        error = null;
        var reader = new ProxyTlvReader(tlvs);
        bool seen = false;
        Span<byte> stored = stackalloc byte[4];
        while (reader.TryRead(out var tlv, out _))
        {
            if (tlv.Type != ProxyTlvType.Crc32c)
                continue;
            if (seen || tlv.Value.Length != 4)
            {
                error = "v2: malformed PP2_TYPE_CRC32C";
                return false;
            }
            seen = true;
            tlv.Value.CopyTo(stored);
            long offset = header.Slice(0, tlv.Value.Start).Length;
            if (ProxyCrc32c.Compute(header, offset) != BinaryPrimitives.ReadUInt32BigEndian(stored))
            {
                error = "v2: CRC32C mismatch";
                return false;
            }
        }
        return true;
    }

    /// <summary>Splits at every <paramref name="separator"/>; returns the field count, or -1 when there are more than <paramref name="fields"/> holds.</summary>
    private static int Split(ReadOnlySpan<byte> text, Span<Range> fields, byte separator)
    {
        int count = 0, start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != separator)
                continue;
            if (count == fields.Length)
                return -1;
            fields[count++] = new Range(start, i);
            start = i + 1;
        }
        return count;
    }

    private static bool TryParseV1Port(ReadOnlySpan<byte> text, out int port) => TryParseDecimal(text, 65535, out port);

    private static bool TryParseDecimal(ReadOnlySpan<byte> text, int max, out int value)
    {
        value = 0;
        if (text.IsEmpty || text.Length > 5 || (text.Length > 1 && text[0] == (byte)'0'))
            return false;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9')
                return false;
            value = value * 10 + (b - '0');
        }
        return value <= max;
    }

    private static ProxyHeaderStatus TryParseV2(in ReadOnlySequence<byte> buffer, out ProxyHeader header, out SequencePosition end, out string? error)
    {
        header = default;
        end = buffer.Start;
        error = null;
        var reader = new SequenceReader<byte>(buffer);
        // Compare the signature as far as we have it, so junk is refused without waiting for 16 bytes.
        int available = (int)Math.Min(buffer.Length, V2Signature.Length);
        Span<byte> signature = stackalloc byte[12];
        buffer.Slice(0, available).CopyTo(signature);
        if (!signature[..available].SequenceEqual(V2Signature[..available]))
        {
            error = "v2: bad signature";
            return ProxyHeaderStatus.Invalid;
        }
        if (buffer.Length < V2FixedLength)
            return ProxyHeaderStatus.Incomplete;
        reader.Advance(V2Signature.Length);
        reader.TryRead(out byte versionCommand);
        reader.TryRead(out byte familyTransport);
        reader.TryReadBigEndian(out short rawLength);
        int length = (ushort)rawLength;

        // §2.2: the version must be 2; commands other than LOCAL (0) and PROXY (1) must be dropped.
        if (versionCommand >> 4 != 2)
        {
            error = $"v2: version {versionCommand >> 4} is not 2";
            return ProxyHeaderStatus.Invalid;
        }
        int command = versionCommand & 0x0F;
        if (command > 1)
        {
            error = $"v2: unknown command {command}";
            return ProxyHeaderStatus.Invalid;
        }
        int family = familyTransport >> 4;
        int transport = familyTransport & 0x0F;
        if (family > 3 || transport > 2)
        {
            error = $"v2: unknown address family/transport 0x{familyTransport:x2}";
            return ProxyHeaderStatus.Invalid;
        }
        if (length > MaxV2AddressAndTlvLength)
        {
            error = $"v2: header length {length} exceeds the {MaxV2AddressAndTlvLength}-byte limit";
            return ProxyHeaderStatus.Invalid;
        }
        int addressLength = family switch { 1 => 12, 2 => 36, 3 => 216, _ => 0 };
        bool isLocal = command == 0;
        // A PROXY command must carry its addresses: refuse a short block now rather than wait for it.
        if (!isLocal && length < addressLength)
        {
            error = $"v2: length {length} is shorter than the {addressLength}-byte address block";
            return ProxyHeaderStatus.Invalid;
        }
        if (reader.Remaining < length)
            return ProxyHeaderStatus.Incomplete;

        var block = reader.UnreadSequence.Slice(0, length);
        end = buffer.GetPosition(V2FixedLength + length);
        if (length < addressLength)
        {
            // LOCAL: the family is ignored (§2.2), so a short block is not an error.
            header = new ProxyHeader(2, isLocal: true, null, null, ReadOnlySequence<byte>.Empty);
            return ProxyHeaderStatus.Complete;
        }
        var tlvs = block.Slice(addressLength);
        if (!ProxyTlvReader.IsWellFormed(tlvs))
        {
            error = "v2: a TLV runs past the end of the header";
            return ProxyHeaderStatus.Invalid;
        }
        if (!VerifyCrc32c(buffer.Slice(0, V2FixedLength + length), tlvs, out error))
            return ProxyHeaderStatus.Invalid;

        IPEndPoint? source = null, destination = null;
        // Only TCP over IPv4/IPv6 names endpoints we can use; LOCAL, UNSPEC, UNIX and DGRAM keep the socket's (§2.2).
        if (!isLocal && transport == 1 && family is 1 or 2)
        {
            int size = family == 1 ? 4 : 16;
            Span<byte> addresses = stackalloc byte[36];
            block.Slice(0, addressLength).CopyTo(addresses);
            var sourceAddress = new IPAddress(addresses[..size]);
            var destinationAddress = new IPAddress(addresses.Slice(size, size));
            int sourcePort = BinaryPrimitives.ReadUInt16BigEndian(addresses[(2 * size)..]);
            int destinationPort = BinaryPrimitives.ReadUInt16BigEndian(addresses[(2 * size + 2)..]);
            source = new IPEndPoint(sourceAddress, sourcePort);
            destination = new IPEndPoint(destinationAddress, destinationPort);
        }
        header = new ProxyHeader(2, isLocal, source, destination, tlvs);
        return ProxyHeaderStatus.Complete;
    }
}
