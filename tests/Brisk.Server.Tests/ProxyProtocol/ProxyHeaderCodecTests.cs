using System.Buffers;
using System.Net;
using System.Text;
using Brisk.Server.ProxyProtocol;

namespace Brisk.Server.Tests.ProxyProtocol;

/// <summary>
/// The PROXY protocol codec (haproxy proxy-protocol.txt): writer → parser round trips, independent byte
/// vectors, every prefix incomplete, every segmentation equivalent, and malformed headers refused.
/// </summary>
public sealed class ProxyHeaderCodecTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("203.0.113.7"), 4242);
    private static readonly IPEndPoint Server4 = new(IPAddress.Parse("192.0.2.10"), 443);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::7"), 50000);
    private static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8:ffff::1"), 8443);

    private static readonly ProxyTlsInfo Tls = new("h2", "api.example.com", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "client.example", ClientCertificateOnConnection: true, ClientCertificateInSession: true);

    private static byte[] WriteV1(IPEndPoint? source, IPEndPoint? destination)
    {
        var buffer = new byte[ProxyHeaderWriter.MaxV1Length];
        return buffer[..ProxyHeaderWriter.WriteV1(buffer, source, destination)];
    }

    private static byte[] WriteV2(IPEndPoint? source, IPEndPoint? destination, ProxyTlsInfo? tls)
    {
        var buffer = new byte[ProxyHeaderWriter.GetV2Length(source, destination, tls)];
        int written = ProxyHeaderWriter.WriteV2(buffer, source, destination, tls);
        Assert.Equal(buffer.Length, written);
        return buffer;
    }

    private static ProxyHeaderStatus Parse(byte[] data, out ProxyHeader header, out long consumed, out string? error)
    {
        var sequence = new ReadOnlySequence<byte>(data);
        var status = ProxyHeaderParser.TryParse(sequence, out header, out var end, out error);
        consumed = sequence.Slice(0, end).Length;
        return status;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void V1_round_trip(bool ipv6)
    {
        var (source, destination) = ipv6 ? (Client6, Server6) : (Client4, Server4);
        byte[] header = WriteV1(source, destination);
        Assert.Equal(ipv6 ? "PROXY TCP6 2001:db8::7 2001:db8:ffff::1 50000 8443\r\n" : "PROXY TCP4 203.0.113.7 192.0.2.10 4242 443\r\n", Encoding.ASCII.GetString(header));
        byte[] withData = [.. header, .. "\x16\x03\x01"u8];
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(withData, out var parsed, out long consumed, out _));
        Assert.Equal(header.Length, consumed);
        Assert.Equal(1, parsed.Version);
        Assert.Equal(source, parsed.Source);
        Assert.Equal(destination, parsed.Destination);
    }

    [Fact]
    public void V1_unknown_addresses_and_mixed_families()
    {
        Assert.Equal("PROXY UNKNOWN\r\n", Encoding.ASCII.GetString(WriteV1(null, Server4)));
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(WriteV1(null, null), out var parsed, out _, out _));
        Assert.Null(parsed.Source);
        // A dual-mode socket sees IPv4 clients as ::ffff:a.b.c.d; the header names them as IPv4.
        var mapped = new IPEndPoint(Client4.Address.MapToIPv6(), Client4.Port);
        Assert.Equal("PROXY TCP4 203.0.113.7 192.0.2.10 4242 443\r\n", Encoding.ASCII.GetString(WriteV1(mapped, Server4)));
        // One IPv4 and one IPv6 endpoint: both go as IPv6.
        Assert.StartsWith("PROXY TCP6 ::ffff:203.0.113.7 2001:db8:ffff::1 ", Encoding.ASCII.GetString(WriteV1(Client4, Server6)));
    }

    [Theory]
    [InlineData("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n", "192.168.0.1", 56324, "192.168.0.11", 443)]
    [InlineData("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535)]
    [InlineData("PROXY TCP4 0.0.0.0 255.255.255.255 0 1\r\n", "0.0.0.0", 0, "255.255.255.255", 1)]
    public void V1_vectors_from_the_specification(string line, string source, int sourcePort, string destination, int destinationPort)
    {
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(Encoding.ASCII.GetBytes(line + "GET /"), out var parsed, out long consumed, out _));
        Assert.Equal(line.Length, consumed);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(source), sourcePort), parsed.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse(destination), destinationPort), parsed.Destination);
    }

    [Theory]
    [InlineData("PROXY UNKNOWN\r\n")]
    [InlineData("PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n")] // 107 bytes, the longest
    public void V1_unknown_keeps_the_socket_addresses(string line)
    {
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(Encoding.ASCII.GetBytes(line), out var parsed, out long consumed, out _));
        Assert.Equal(line.Length, consumed);
        Assert.Null(parsed.Source);
        Assert.Null(parsed.Destination);
    }

    [Theory]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n")]            // LF without CR
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n")]        // stray CR
    [InlineData("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n")]         // leading zero (octal confusion)
    [InlineData("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4.5 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 65536\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n")]
    [InlineData("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n")]        // two spaces
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n")]       // extra field
    [InlineData("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n")]           // missing field
    [InlineData("PROXY TCP4 ::1 ::1 1 2\r\n")]                 // family mismatch
    [InlineData("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n")]         // zone index is not canonical
    [InlineData("PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY UNKNOWNX\r\n")]
    [InlineData("PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("PROXY\r\n")]
    [InlineData("PROXX TCP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n")]
    [InlineData("GET / HTTP/1.1\r\n")]
    [InlineData("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")] // a ClientHello without the header
    public void V1_malformed_is_invalid(string text)
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(Encoding.Latin1.GetBytes(text), out _, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void V1_without_crlf_in_107_bytes_is_invalid_and_shorter_is_incomplete()
    {
        string longLine = "PROXY UNKNOWN " + new string('a', 100);
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(Encoding.ASCII.GetBytes(longLine[..107]), out _, out _, out _));
        Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(Encoding.ASCII.GetBytes(longLine[..106]), out _, out _, out _));
        // A complete line one byte too long (CRLF at 107..108) is refused too.
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(Encoding.ASCII.GetBytes(longLine[..106] + "\r\n"), out _, out _, out _));
    }

    [Fact]
    public void V1_every_prefix_is_incomplete_and_every_split_parses()
    {
        byte[] header = WriteV1(Client6, Server6);
        for (int length = 1; length < header.Length; length++)
            Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(header[..length], out _, out _, out _));
        for (int cut = 1; cut < header.Length; cut++)
        {
            var sequence = Segmented(header, cut, Math.Min(cut + 3, header.Length - 1));
            Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderParser.TryParse(sequence, out var parsed, out var end, out _));
            Assert.Equal(header.Length, sequence.Slice(0, end).Length);
            Assert.Equal(Client6, parsed.Source);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void V2_round_trip_with_tls_tlvs(bool ipv6)
    {
        var (source, destination) = ipv6 ? (Client6, Server6) : (Client4, Server4);
        byte[] header = WriteV2(source, destination, Tls);
        Assert.Equal(0x21, header[12]);                         // version 2, PROXY
        Assert.Equal(ipv6 ? 0x21 : 0x11, header[13]);           // TCP over IPv6 / IPv4
        Assert.Equal(header.Length - 16, header[14] << 8 | header[15]);
        Assert.Equal(ProxyHeaderStatus.Complete, Parse([.. header, 0x16, 0x03], out var parsed, out long consumed, out _));
        Assert.Equal(header.Length, consumed);
        Assert.Equal(2, parsed.Version);
        Assert.False(parsed.IsLocal);
        Assert.Equal(source, parsed.Source);
        Assert.Equal(destination, parsed.Destination);

        var tlvs = ReadTlvs(parsed.Tlvs);
        Assert.Equal("h2", Encoding.ASCII.GetString(tlvs[ProxyTlvType.Alpn]));
        Assert.Equal("api.example.com", Encoding.ASCII.GetString(tlvs[ProxyTlvType.Authority]));
        byte[] ssl = tlvs[ProxyTlvType.Ssl];
        Assert.Equal(ProxyTlvType.ClientSsl | ProxyTlvType.ClientCertificateConnection | ProxyTlvType.ClientCertificateSession, ssl[0]);
        Assert.Equal(new byte[4], ssl[1..5]); // verify = 0: the certificate was verified
        var sub = ReadTlvs(new ReadOnlySequence<byte>(ssl[5..]));
        Assert.Equal("TLSv1.3", Encoding.ASCII.GetString(sub[ProxyTlvType.SslVersion]));
        Assert.Equal("TLS_AES_128_GCM_SHA256", Encoding.ASCII.GetString(sub[ProxyTlvType.SslCipher]));
        Assert.Equal("client.example", Encoding.UTF8.GetString(sub[ProxyTlvType.SslCommonName]));
    }

    [Fact]
    public void V2_without_client_certificate_has_only_the_ssl_flag_and_nonzero_verify()
    {
        var tls = Tls with { ClientCommonName = null, ClientCertificateOnConnection = false, ClientCertificateInSession = false, ApplicationProtocol = null, ServerName = null };
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(WriteV2(Client4, Server4, tls), out var parsed, out _, out _));
        var tlvs = ReadTlvs(parsed.Tlvs);
        Assert.False(tlvs.ContainsKey(ProxyTlvType.Alpn));
        Assert.False(tlvs.ContainsKey(ProxyTlvType.Authority));
        Assert.Equal(ProxyTlvType.ClientSsl, tlvs[ProxyTlvType.Ssl][0]);
        Assert.NotEqual(new byte[4], tlvs[ProxyTlvType.Ssl][1..5]);
        Assert.False(ReadTlvs(new ReadOnlySequence<byte>(tlvs[ProxyTlvType.Ssl][5..])).ContainsKey(ProxyTlvType.SslCommonName));
    }

    [Fact]
    public void V2_unknown_addresses_are_unspec()
    {
        byte[] header = WriteV2(null, Server4, null);
        Assert.Equal(16, header.Length);
        Assert.Equal(0x00, header[13]);
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(header, out var parsed, out _, out _));
        Assert.Null(parsed.Source);
        Assert.False(parsed.IsLocal);
    }

    [Fact]
    public void V2_vector_as_haproxy_sends_it()
    {
        // TCP over IPv4 172.19.0.1:42578 -> 172.19.0.3:80 (captured from haproxy, followed by the request).
        byte[] bytes = Convert.FromHexString("0D0A0D0A000D0A515549540A" + "2111000C" + "AC130001AC130003A6520050" + "474554");
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(bytes, out var parsed, out long consumed, out _));
        Assert.Equal(28, consumed);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("172.19.0.1"), 42578), parsed.Source);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("172.19.0.3"), 80), parsed.Destination);
        Assert.True(parsed.Tlvs.IsEmpty);
    }

    [Theory]
    [InlineData("2000" + "0000", 16)]                                        // LOCAL, UNSPEC, no address
    [InlineData("2011" + "000C" + "AC130001AC130003A6520050", 28)]           // LOCAL with an address: ignored
    [InlineData("2011" + "0004" + "AC130001", 20)]                           // LOCAL: a short block is not an error
    [InlineData("2100" + "0003" + "040000", 19)]                             // PROXY UNSPEC with a NOOP TLV
    [InlineData("2131" + "00D8" + "", 232)]                                  // PROXY over AF_UNIX: keep the socket's
    [InlineData("2112" + "000C" + "AC130001AC130003A6520050", 28)]           // UDP: not a TCP client, keep the socket's
    public void V2_local_unspec_unix_and_dgram_keep_the_socket_addresses(string afterSignature, int length)
    {
        byte[] bytes = Convert.FromHexString("0D0A0D0A000D0A515549540A" + afterSignature);
        if (bytes.Length < length)
            bytes = [.. bytes, .. new byte[length - bytes.Length]];
        Assert.Equal(ProxyHeaderStatus.Complete, Parse(bytes, out var parsed, out long consumed, out var error));
        Assert.Null(error);
        Assert.Equal(length, consumed);
        Assert.Null(parsed.Source);
        Assert.Equal(afterSignature[1] == '0', parsed.IsLocal);
    }

    [Theory]
    [InlineData("1111000C" + "AC130001AC130003A6520050")]  // version 1 in the binary form
    [InlineData("3111000C" + "AC130001AC130003A6520050")]  // version 3
    [InlineData("2211000C" + "AC130001AC130003A6520050")]  // command 2
    [InlineData("2141000C" + "AC130001AC130003A6520050")]  // family 4
    [InlineData("2113000C" + "AC130001AC130003A6520050")]  // transport 3
    [InlineData("2111000B" + "AC130001AC130003A65200")]    // PROXY with an address block too short
    [InlineData("21210020" + "00")]                         // IPv6 needs 36 bytes: refused before the rest arrives
    [InlineData("21210020" + "0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("2111000F" + "AC130001AC130003A6520050" + "010005")]      // TLV longer than the header
    [InlineData("2111000E" + "AC130001AC130003A6520050" + "0100")]        // truncated TLV header
    [InlineData("21111001")]                                              // 4097 bytes: over the limit, refused at once
    [InlineData("2111FFFF")]
    public void V2_malformed_is_invalid(string afterSignature)
    {
        byte[] bytes = Convert.FromHexString("0D0A0D0A000D0A515549540A" + afterSignature);
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse(bytes, out _, out _, out var error));
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void V2_bad_signature_is_refused_at_the_first_wrong_byte()
    {
        byte[] header = WriteV2(Client4, Server4, Tls);
        for (int i = 0; i < 12; i++)
        {
            byte[] corrupt = (byte[])header.Clone();
            corrupt[i] ^= 0x40;
            // Even before the 16 fixed bytes have arrived.
            Assert.Equal(ProxyHeaderStatus.Invalid, Parse(corrupt[..(i + 1)], out _, out _, out _));
            Assert.Equal(ProxyHeaderStatus.Invalid, Parse(corrupt, out _, out _, out _));
        }
    }

    [Fact]
    public void V2_every_prefix_is_incomplete_and_every_split_parses()
    {
        byte[] header = WriteV2(Client6, Server6, Tls);
        for (int length = 1; length < header.Length; length++)
            Assert.Equal(ProxyHeaderStatus.Incomplete, Parse(header[..length], out _, out _, out _));
        for (int cut = 1; cut < header.Length - 1; cut++)
        {
            var sequence = Segmented([.. header, 0x16], cut, cut + 1);
            Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderParser.TryParse(sequence, out var parsed, out var end, out _));
            Assert.Equal(header.Length, sequence.Slice(0, end).Length);
            Assert.Equal(Client6, parsed.Source);
            Assert.Equal("api.example.com", Encoding.ASCII.GetString(ReadTlvs(parsed.Tlvs)[ProxyTlvType.Authority]));
        }
    }

    [Fact]
    public void Empty_input_is_incomplete_and_junk_is_invalid()
    {
        Assert.Equal(ProxyHeaderStatus.Incomplete, Parse([], out _, out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse([0x00], out _, out _, out _));
        Assert.Equal(ProxyHeaderStatus.Invalid, Parse("\r\n\r\nHELLO"u8.ToArray(), out _, out _, out _));
    }

    private static Dictionary<byte, byte[]> ReadTlvs(ReadOnlySequence<byte> block)
    {
        var result = new Dictionary<byte, byte[]>();
        var reader = new ProxyTlvReader(block);
        while (reader.TryRead(out var tlv, out _))
            result[tlv.Type] = tlv.Value.ToArray();
        return result;
    }

    /// <summary>The bytes as a sequence of segments cut at the given offsets, as a socket may deliver them.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] data, params int[] cuts)
    {
        var bounds = cuts.Where(c => c > 0 && c < data.Length).Distinct().Order().Append(data.Length).ToList();
        var first = new Segment(data.AsMemory(0, bounds[0]), 0);
        var last = first;
        int start = bounds[0];
        foreach (int bound in bounds.Skip(1))
        {
            last = last.Append(data.AsMemory(start, bound - start));
            start = bound;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary>PP2_TYPE_CRC32C (proxy-protocol.txt §2.2.3): the CRC against its standard check value, written and verified.</summary>
public sealed class ProxyCrc32cTests
{
    [Fact]
    public void Crc32c_check_value()
    {
        // The CRC-32C (Castagnoli) check value: CRC of the nine ASCII digits "123456789" (RFC 3720 §B.4 family, iSCSI).
        Assert.Equal(0xE3069283u, ProxyCrc32c.Compute("123456789"u8));
        Assert.Equal(0xE3069283u, ProxyCrc32c.Compute(new System.Buffers.ReadOnlySequence<byte>("123456789"u8.ToArray())));
        // RFC 3720 §B.4: 32 bytes of zeros.
        Assert.Equal(0x8A9136AAu, ProxyCrc32c.Compute(new byte[32]));
    }

    [Fact]
    public void Written_checksum_verifies_and_any_flipped_bit_is_refused()
    {
        var source = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("203.0.113.7"), 4242);
        var target = new System.Net.IPEndPoint(System.Net.IPAddress.Parse("192.0.2.10"), 443);
        var tls = new ProxyTlsInfo("h2", "api.example.com", "TLSv1.3", "TLS_AES_128_GCM_SHA256", null, false, false);
        var header = new byte[ProxyHeaderWriter.GetV2Length(source, target, tls, crc32c: true)];
        Assert.Equal(header.Length, ProxyHeaderWriter.WriteV2(header, source, target, tls, crc32c: true));
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeaderParser.TryParse(new System.Buffers.ReadOnlySequence<byte>(header), out var parsed, out _, out _));
        Assert.Equal(source, parsed.Source);
        // Flip a bit in the addresses, a TLV and the checksum itself: each is caught (length and signature bytes left alone).
        foreach (int index in new[] { 17, 31, header.Length - 1 })
        {
            var corrupt = (byte[])header.Clone();
            corrupt[index] ^= 0x01;
            Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.TryParse(new System.Buffers.ReadOnlySequence<byte>(corrupt), out _, out _, out var error));
            Assert.Contains("CRC32C", error);
        }
    }

    [Fact]
    public void Malformed_checksum_tlv_is_refused()
    {
        // PROXY UNSPEC with a 3-byte CRC32C TLV.
        byte[] bytes = Convert.FromHexString("0D0A0D0A000D0A515549540A" + "2100" + "0006" + "030003000000");
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeaderParser.TryParse(new System.Buffers.ReadOnlySequence<byte>(bytes), out _, out _, out var error));
        Assert.Contains("CRC32C", error);
    }
}
