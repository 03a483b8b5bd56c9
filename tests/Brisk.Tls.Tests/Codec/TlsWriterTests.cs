using Brisk.Tls.Codec;

namespace Brisk.Tls.Tests.Codec;

public class TlsWriterTests
{
    [Fact]
    public void Writes_big_endian_integers()
    {
        using var writer = new TlsWriter();
        writer.WriteUInt8(0x01);
        writer.WriteUInt16(0x0203);
        writer.WriteUInt24(0x040506);
        writer.WriteUInt32(0x0708090A);
        Assert.Equal([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A], writer.WrittenSpan.ToArray());
        Assert.Equal(10, writer.Length);
    }

    [Fact]
    public void Nested_vectors_get_their_lengths_patched()
    {
        using var writer = new TlsWriter();
        int outer = writer.BeginVector(3);
        int middle = writer.BeginVector(2);
        writer.WriteVector8([0xAA, 0xBB]);
        writer.EndVector(middle);
        writer.WriteUInt8(0xCC);
        writer.EndVector(outer);
        Assert.Equal([0x00, 0x00, 0x06, 0x00, 0x03, 0x02, 0xAA, 0xBB, 0xCC], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void EndVector_refuses_content_longer_than_the_prefix_allows()
    {
        using var writer = new TlsWriter();
        int token = writer.BeginVector(1);
        writer.WriteBytes(new byte[256]);
        Assert.Throws<InvalidOperationException>(() => writer.EndVector(token));
    }

    [Fact]
    public void Grows_past_its_initial_capacity_keeping_content()
    {
        using var writer = new TlsWriter(16);
        byte[] data = Enumerable.Range(0, 5000).Select(i => (byte)i).ToArray();
        int token = writer.BeginVector(2);
        writer.WriteBytes(data);
        writer.EndVector(token);
        Assert.Equal(5002, writer.Length);
        Assert.Equal(data, writer.WrittenSpan[2..].ToArray());
        Assert.Equal(0x13, writer.WrittenSpan[0]);
        Assert.Equal(0x88, writer.WrittenSpan[1]);
    }

    [Fact]
    public void Truncate_and_Reset_drop_content()
    {
        using var writer = new TlsWriter();
        writer.WriteUInt32(0xDEADBEEF);
        writer.Truncate(1);
        Assert.Equal([0xDE], writer.WrittenSpan.ToArray());
        writer.Reset();
        Assert.Equal(0, writer.Length);
        writer.WriteUInt8(7);
        Assert.Equal([7], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Works_as_an_IBufferWriter()
    {
        using var writer = new TlsWriter(16);
        Span<byte> span = writer.GetSpan(100);
        Assert.True(span.Length >= 100);
        span[..3].Fill(9);
        writer.Advance(3);
        Assert.Equal([9, 9, 9], writer.WrittenSpan.ToArray());
    }

    [Fact]
    public void Writing_after_dispose_throws()
    {
        var writer = new TlsWriter(16);
        writer.Dispose();
        writer.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => writer.WriteBytes(new byte[64]));
    }
}
