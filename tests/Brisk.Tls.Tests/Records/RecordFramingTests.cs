using System.Buffers;
using System.Security.Cryptography;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Records;

/// <summary>RecordFraming over single- and multi-segment input: complete records, NeedMore, and the header checks.</summary>
public sealed class RecordFramingTests
{
    private static byte[] Record(byte type, ushort version, byte[] payload) =>
        [type, (byte)(version >> 8), (byte)version, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];

    [Fact]
    public void Reads_a_complete_record_from_one_segment()
    {
        var payload = RandomNumberGenerator.GetBytes(300);
        var buffer = new ReadOnlySequence<byte>(Record(0x16, 0x0303, payload));

        Assert.True(RecordFraming.TryReadRecord(buffer, RecordFraming.MaxPlaintextLength, out var header, out var body));

        Assert.Equal(new RecordHeader(ContentType.Handshake, 0x0303, 300), header);
        Assert.Equal(payload, body.ToArray());
        Assert.Equal(buffer.End, body.End);
    }

    [Fact]
    public void Every_strict_prefix_of_a_record_needs_more()
    {
        var record = Record(0x17, 0x0303, RandomNumberGenerator.GetBytes(40));
        for (int length = 0; length < record.Length; length++)
        {
            var buffer = new ReadOnlySequence<byte>(record, 0, length);
            Assert.False(RecordFraming.TryReadRecord(buffer, RecordFraming.MaxPlaintextLength, out _, out var payload));
            Assert.True(payload.IsEmpty);
        }
    }

    [Fact]
    public void Reads_a_record_cut_into_segments_at_every_position()
    {
        var payload = RandomNumberGenerator.GetBytes(37);
        var record = Record(0x15, 0x0303, payload);
        // Two segments cut at every offset, including inside the header.
        for (int cut = 1; cut < record.Length; cut++)
        {
            var buffer = TestSegment.Split(record, cut);
            Assert.False(buffer.IsSingleSegment);
            Assert.True(RecordFraming.TryReadRecord(buffer, RecordFraming.MaxPlaintextLength, out var header, out var body));
            Assert.Equal(ContentType.Alert, header.Type);
            Assert.Equal(37, header.Length);
            Assert.Equal(payload, body.ToArray());
        }
        // One byte per segment.
        var bytewise = TestSegment.Split(record, Enumerable.Range(1, record.Length - 1).ToArray());
        Assert.True(RecordFraming.TryReadRecord(bytewise, RecordFraming.MaxPlaintextLength, out _, out var pieces));
        Assert.Equal(payload, pieces.ToArray());
    }

    [Fact]
    public void Multi_segment_prefixes_need_more()
    {
        var record = Record(0x16, 0x0301, RandomNumberGenerator.GetBytes(20));
        var whole = TestSegment.Split(record, Enumerable.Range(1, record.Length - 1).ToArray());
        for (int length = 0; length < record.Length; length++)
            Assert.False(RecordFraming.TryReadRecord(whole.Slice(0, length), RecordFraming.MaxPlaintextLength, out _, out _));
    }

    [Fact]
    public void Reads_consecutive_records_and_leaves_the_rest()
    {
        var first = Record(0x16, 0x0303, [1, 2, 3]);
        var second = Record(0x14, 0x0303, [1]);
        var third = Record(0x17, 0x0303, [9, 9, 9, 9]);
        byte[] all = [.. first, .. second, .. third];
        var buffer = TestSegment.Split(all, 4, 9, 12);

        Assert.True(RecordFraming.TryReadRecord(buffer, 100, out var h1, out var p1));
        Assert.Equal(new byte[] { 1, 2, 3 }, p1.ToArray());
        buffer = buffer.Slice(p1.End);
        Assert.True(RecordFraming.TryReadRecord(buffer, 100, out var h2, out var p2));
        Assert.Equal(ContentType.ChangeCipherSpec, h2.Type);
        Assert.Equal(new byte[] { 1 }, p2.ToArray());
        buffer = buffer.Slice(p2.End);
        // The third record minus its last byte: need more.
        Assert.False(RecordFraming.TryReadRecord(buffer.Slice(0, buffer.Length - 1), 100, out _, out _));
        Assert.True(RecordFraming.TryReadRecord(buffer, 100, out var h3, out var p3));
        Assert.Equal(ContentType.ApplicationData, h3.Type);
        Assert.Equal(4, p3.Length);
        Assert.True(buffer.Slice(p3.End).IsEmpty);
        Assert.Equal(ContentType.Handshake, h1.Type);
    }

    [Fact]
    public void Empty_payload_is_framed()
    {
        // Whether an empty record is acceptable is the connection's decision, not the framing's.
        Assert.True(RecordFraming.TryReadRecord(new ReadOnlySequence<byte>(Record(0x17, 0x0303, [])), 100, out var header, out var payload));
        Assert.Equal(0, header.Length);
        Assert.True(payload.IsEmpty);
    }

    [Theory]
    [InlineData(RecordFraming.MaxPlaintextLength)]
    [InlineData(RecordFraming.MaxTls12CiphertextLength)]
    [InlineData(RecordFraming.MaxTls13CiphertextLength)]
    public void Length_at_the_limit_is_accepted_and_one_more_is_record_overflow_from_the_header_alone(int limit)
    {
        byte[] atLimit = [0x17, 0x03, 0x03, (byte)(limit >> 8), (byte)limit];
        Assert.False(RecordFraming.TryReadRecord(new ReadOnlySequence<byte>(atLimit), limit, out var header, out _));
        Assert.Equal(limit, header.Length);

        int over = limit + 1;
        byte[] overLimit = [0x17, 0x03, 0x03, (byte)(over >> 8), (byte)over];
        var ex = Assert.Throws<TlsProtocolException>(() => RecordFraming.TryReadRecord(new ReadOnlySequence<byte>(overLimit), limit, out _, out _));
        Assert.Equal(AlertDescription.RecordOverflow, ex.Alert);
        // Also when the header itself is split across segments.
        ex = Assert.Throws<TlsProtocolException>(() => RecordFraming.TryReadRecord(TestSegment.Split(overLimit, 2, 4), limit, out _, out _));
        Assert.Equal(AlertDescription.RecordOverflow, ex.Alert);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x13)]
    [InlineData(0x18)]
    [InlineData(0x47)] // 'G'
    [InlineData(0xFF)]
    public void Unknown_content_type_is_unexpected_message_from_the_first_byte(byte type)
    {
        var ex = Assert.Throws<TlsProtocolException>(() => RecordFraming.TryReadRecord(new ReadOnlySequence<byte>([type]), 100, out _, out _));
        Assert.Equal(AlertDescription.UnexpectedMessage, ex.Alert);
        ex = Assert.Throws<TlsProtocolException>(() => RecordFraming.TryReadRecord(new ReadOnlySequence<byte>([type, 3, 3, 0, 1, 0]), 100, out _, out _));
        Assert.Equal(AlertDescription.UnexpectedMessage, ex.Alert);
    }

    [Theory]
    [InlineData(0x14)]
    [InlineData(0x15)]
    [InlineData(0x16)]
    [InlineData(0x17)]
    public void Known_content_types_with_a_partial_header_need_more(byte type)
    {
        Assert.False(RecordFraming.TryReadRecord(new ReadOnlySequence<byte>([type, 3]), 100, out _, out _));
    }

    [Theory]
    [InlineData(0x0300)]
    [InlineData(0x0301)] // ClientHello records often carry 0x0301 (RFC 5246 Appendix E.1)
    [InlineData(0x0302)]
    [InlineData(0x0303)]
    [InlineData(0x0304)]
    public void Any_tls_record_version_is_accepted(ushort version)
    {
        Assert.True(RecordFraming.TryReadRecord(new ReadOnlySequence<byte>(Record(0x16, version, [1])), 100, out var header, out _));
        Assert.Equal(version, header.Version);
    }

    [Theory]
    [InlineData(0x0000)]
    [InlineData(0x0200)]
    [InlineData(0x0403)]
    [InlineData(0xFEFD)] // DTLS 1.2
    public void Record_version_with_a_major_other_than_3_is_protocol_version(ushort version)
    {
        var ex = Assert.Throws<TlsProtocolException>(() => RecordFraming.TryReadRecord(new ReadOnlySequence<byte>(Record(0x16, version, [1])), 100, out _, out _));
        Assert.Equal(AlertDescription.ProtocolVersion, ex.Alert);
    }

    [Fact]
    public void Written_header_parses_back()
    {
        Span<byte> header = stackalloc byte[RecordFraming.HeaderLength];
        RecordFraming.WriteHeader(header, ContentType.Alert, ProtocolVersion.Tls12, 0x1234);
        Assert.Equal("1503031234", Convert.ToHexString(header));
        Assert.Equal(new RecordHeader(ContentType.Alert, 0x0303, 0x1234), RecordFraming.ParseHeader(header, 0xFFFF));
    }
}
