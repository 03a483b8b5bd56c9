using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Codec;

public class TlsReaderTests
{
    [Fact]
    public void Reads_big_endian_integers_and_bytes()
    {
        byte[] data = [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A, 0x0B];
        var reader = new TlsReader(data);
        Assert.Equal(0x01, reader.ReadUInt8());
        Assert.Equal(0x0203, reader.ReadUInt16());
        Assert.Equal(0x040506, reader.ReadUInt24());
        Assert.Equal(0x0708090Au, reader.ReadUInt32());
        Assert.Equal([0x0B], reader.ReadBytes(1).ToArray());
        Assert.True(reader.IsEmpty);
        reader.ExpectEnd();
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(1, 2)]
    [InlineData(2, 3)]
    [InlineData(3, 4)]
    public void Rejects_integer_reads_past_the_end(int available, int width)
    {
        byte[] data = new byte[available];
        var exception = Assert.Throws<TlsProtocolException>(() =>
        {
            var reader = new TlsReader(data);
            _ = width switch
            {
                1 => reader.ReadUInt8(),
                2 => reader.ReadUInt16(),
                3 => reader.ReadUInt24(),
                _ => (long)reader.ReadUInt32(),
            };
        });
        Assert.Equal(AlertDescription.DecodeError, exception.Alert);
    }

    [Fact]
    public void Rejects_vector_longer_than_the_input()
    {
        byte[] data = [0x00, 0x05, 0x01, 0x02];
        Assert.Throws<TlsProtocolException>(() => new TlsReader(data).ReadVector16());
    }

    [Fact]
    public void Rejects_negative_read_length()
    {
        byte[] data = [1, 2, 3];
        Assert.Throws<TlsProtocolException>(() => new TlsReader(data).ReadBytes(-1));
    }

    [Theory]
    [InlineData(new byte[] { 0x00 }, 1, 255)]          // below minimum
    [InlineData(new byte[] { 0x03, 1, 2, 3 }, 0, 2)]  // above maximum
    public void Rejects_vector_outside_its_bounds(byte[] data, int min, int max)
    {
        var exception = Assert.Throws<TlsProtocolException>(() => new TlsReader(data).ReadVector8(min, max));
        Assert.Equal(AlertDescription.DecodeError, exception.Alert);
    }

    [Fact]
    public void Reads_nested_vectors_of_each_width()
    {
        byte[] data = [0x00, 0x00, 0x07, 0x00, 0x05, 0x02, 0xAA, 0xBB, 0x01, 0xCC];
        var reader = new TlsReader(data);
        TlsReader outer = reader.ReadVectorReader24();
        TlsReader middle = outer.ReadVectorReader16();
        Assert.Equal([0xAA, 0xBB], middle.ReadVector8().ToArray());
        Assert.Equal([0xCC], middle.ReadVector8().ToArray());
        middle.ExpectEnd();
        outer.ExpectEnd();
        reader.ExpectEnd();
    }

    [Fact]
    public void ExpectEnd_rejects_trailing_bytes()
    {
        byte[] data = [0x01, 0x02];
        var exception = Assert.Throws<TlsProtocolException>(() =>
        {
            var reader = new TlsReader(data);
            reader.ReadUInt8();
            reader.ExpectEnd();
        });
        Assert.Equal(AlertDescription.DecodeError, exception.Alert);
    }

    [Fact]
    public void Sub_reader_reports_absolute_position()
    {
        byte[] data = [0xFF, 0x00, 0x02, 0x01, 0x09];
        var reader = new TlsReader(data);
        reader.ReadUInt8();
        TlsReader sub = reader.ReadVectorReader16();
        Assert.Equal(3, sub.AbsolutePosition);
        TlsReader inner = sub.ReadVectorReader8();
        Assert.Equal(4, inner.AbsolutePosition);
        Assert.Equal(0x09, data[inner.AbsolutePosition]);
    }
}
