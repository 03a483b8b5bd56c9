using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Brisk.Tls.Codec;

/// <summary>
/// A bounds-checked big-endian cursor over TLS presentation-language data (RFC 8446 §3). It borrows
/// the span it reads: anything that must outlive the input has to be copied by the caller.
/// Every failed read throws <see cref="TlsProtocolException"/> with decode_error, so a parser never
/// indexes past its input and never sees a length it did not check.
/// </summary>
public ref struct TlsReader
{
    private readonly ReadOnlySpan<byte> _buffer;
    private readonly int _baseOffset;
    private int _position;

    public TlsReader(ReadOnlySpan<byte> buffer)
        : this(buffer, 0)
    {
    }

    private TlsReader(ReadOnlySpan<byte> buffer, int baseOffset)
    {
        _buffer = buffer;
        _baseOffset = baseOffset;
        _position = 0;
    }

    /// <summary>Bytes consumed from this reader's own span.</summary>
    public readonly int Position => _position;

    /// <summary>
    /// Offset of the next byte relative to the outermost reader this one was carved from. The
    /// ClientHello parser uses it to locate the PSK binders inside the message body (RFC 8446 §4.2.11.2).
    /// </summary>
    public readonly int AbsolutePosition => _baseOffset + _position;

    public readonly int Remaining => _buffer.Length - _position;

    public readonly bool IsEmpty => _position == _buffer.Length;

    /// <summary>The bytes not yet read, without consuming them.</summary>
    public readonly ReadOnlySpan<byte> RemainingSpan => _buffer[_position..];

    /// <summary>Rejects trailing bytes: every structure must be consumed exactly (decode_error).</summary>
    public readonly void ExpectEnd(string what = "structure")
    {
        if (_position != _buffer.Length)
        {
            TlsProtocolException.ThrowDecodeError($"{_buffer.Length - _position} trailing byte(s) after {what}");
        }
    }

    public byte ReadUInt8()
    {
        EnsureAvailable(1);
        return _buffer[_position++];
    }

    public ushort ReadUInt16()
    {
        EnsureAvailable(2);
        ushort value = BinaryPrimitives.ReadUInt16BigEndian(_buffer[_position..]);
        _position += 2;
        return value;
    }

    public int ReadUInt24()
    {
        EnsureAvailable(3);
        int value = (_buffer[_position] << 16) | (_buffer[_position + 1] << 8) | _buffer[_position + 2];
        _position += 3;
        return value;
    }

    public uint ReadUInt32()
    {
        EnsureAvailable(4);
        uint value = BinaryPrimitives.ReadUInt32BigEndian(_buffer[_position..]);
        _position += 4;
        return value;
    }

    public ReadOnlySpan<byte> ReadBytes(int count)
    {
        EnsureAvailable(count);
        ReadOnlySpan<byte> value = _buffer.Slice(_position, count);
        _position += count;
        return value;
    }

    /// <summary>Reads opaque data&lt;minLength..2^8-1&gt;; a length outside the RFC's bounds is decode_error.</summary>
    public ReadOnlySpan<byte> ReadVector8(int minLength = 0, int maxLength = byte.MaxValue) =>
        ReadBytesChecked(ReadUInt8(), minLength, maxLength);

    /// <summary>Reads opaque data&lt;minLength..2^16-1&gt;.</summary>
    public ReadOnlySpan<byte> ReadVector16(int minLength = 0, int maxLength = ushort.MaxValue) =>
        ReadBytesChecked(ReadUInt16(), minLength, maxLength);

    /// <summary>Reads opaque data&lt;minLength..2^24-1&gt;.</summary>
    public ReadOnlySpan<byte> ReadVector24(int minLength = 0, int maxLength = 0xFFFFFF) =>
        ReadBytesChecked(ReadUInt24(), minLength, maxLength);

    /// <summary>Reads a uint8-length-prefixed vector and returns a reader over its contents.</summary>
    public TlsReader ReadVectorReader8(int minLength = 0, int maxLength = byte.MaxValue)
    {
        int start = AbsolutePosition + 1;
        return new TlsReader(ReadVector8(minLength, maxLength), start);
    }

    public TlsReader ReadVectorReader16(int minLength = 0, int maxLength = ushort.MaxValue)
    {
        int start = AbsolutePosition + 2;
        return new TlsReader(ReadVector16(minLength, maxLength), start);
    }

    public TlsReader ReadVectorReader24(int minLength = 0, int maxLength = 0xFFFFFF)
    {
        int start = AbsolutePosition + 3;
        return new TlsReader(ReadVector24(minLength, maxLength), start);
    }

    private ReadOnlySpan<byte> ReadBytesChecked(int length, int minLength, int maxLength)
    {
        if (length < minLength || length > maxLength)
        {
            TlsProtocolException.ThrowDecodeError($"vector length {length} outside <{minLength}..{maxLength}>");
        }

        return ReadBytes(length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private readonly void EnsureAvailable(int count)
    {
        // (uint) cast also rejects negative counts.
        if ((uint)count > (uint)(_buffer.Length - _position))
        {
            TlsProtocolException.ThrowDecodeError($"truncated: needed {count} byte(s), {_buffer.Length - _position} left");
        }
    }
}
