using System.Buffers;
using System.Buffers.Binary;

namespace Brisk.Tls.Codec;

/// <summary>
/// Big-endian writer for TLS structures over a growable buffer rented from <see cref="ArrayPool{T}.Shared"/>.
/// Ownership: the writer owns the rented array until <see cref="Dispose"/>, which zeroes the written
/// bytes (handshake data can include key shares and PSK binders) and returns it. Spans handed out by
/// <see cref="WrittenSpan"/> or <see cref="GetSpan"/> are invalid after the next write, Reset or Dispose.
/// Length-prefixed vectors are written with <see cref="BeginVector"/>/<see cref="EndVector"/> so no length
/// is ever computed by hand.
/// </summary>
public sealed class TlsWriter : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer;
    private int _length;
    private bool _disposed;

    public TlsWriter(int initialCapacity = 512)
    {
        _buffer = TlsBuffers.Pool.Rent(Math.Max(initialCapacity, 16));
    }

    public int Length => _length;

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);

    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);

    /// <summary>Copies the written bytes into a new array owned by the caller.</summary>
    public byte[] ToArray() => WrittenSpan.ToArray();

    /// <summary>Forgets everything written (zeroing it) but keeps the buffer for reuse.</summary>
    public void Reset()
    {
        _buffer.AsSpan(0, _length).Clear();
        _length = 0;
    }

    /// <summary>Drops (and zeroes) everything after the first <paramref name="length"/> bytes.</summary>
    public void Truncate(int length)
    {
        if ((uint)length > (uint)_length)
        {
            throw new ArgumentOutOfRangeException(nameof(length));
        }

        _buffer.AsSpan(length, _length - length).Clear();
        _length = length;
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        byte[] buffer = _buffer;

        buffer.AsSpan(0, _length).Clear();
        _buffer = [];
        _length = 0;
        TlsBuffers.Pool.Return(buffer);
    }

    public void WriteUInt8(byte value)
    {
        Ensure(1);
        _buffer[_length++] = value;
    }

    public void WriteUInt16(ushort value)
    {
        Ensure(2);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer.AsSpan(_length), value);
        _length += 2;
    }

    public void WriteUInt24(int value)
    {
        if ((uint)value > 0xFFFFFF)
        {
            throw new ArgumentOutOfRangeException(nameof(value), "uint24 out of range");
        }

        Ensure(3);
        _buffer[_length] = (byte)(value >> 16);
        _buffer[_length + 1] = (byte)(value >> 8);
        _buffer[_length + 2] = (byte)value;
        _length += 3;
    }

    public void WriteUInt32(uint value)
    {
        Ensure(4);
        BinaryPrimitives.WriteUInt32BigEndian(_buffer.AsSpan(_length), value);
        _length += 4;
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        Ensure(value.Length);
        value.CopyTo(_buffer.AsSpan(_length));
        _length += value.Length;
    }

    /// <summary>Writes opaque value&lt;0..2^8-1&gt;.</summary>
    public void WriteVector8(ReadOnlySpan<byte> value)
    {
        int token = BeginVector(1);
        WriteBytes(value);
        EndVector(token);
    }

    /// <summary>Writes opaque value&lt;0..2^16-1&gt;.</summary>
    public void WriteVector16(ReadOnlySpan<byte> value)
    {
        int token = BeginVector(2);
        WriteBytes(value);
        EndVector(token);
    }

    /// <summary>Writes opaque value&lt;0..2^24-1&gt;.</summary>
    public void WriteVector24(ReadOnlySpan<byte> value)
    {
        int token = BeginVector(3);
        WriteBytes(value);
        EndVector(token);
    }

    /// <summary>
    /// Reserves a <paramref name="lengthBytes"/>-byte (1, 2 or 3) length prefix and returns a token for
    /// <see cref="EndVector"/>, which patches in the length of everything written in between. Vectors nest.
    /// </summary>
    public int BeginVector(int lengthBytes)
    {
        if (lengthBytes is < 1 or > 3)
        {
            throw new ArgumentOutOfRangeException(nameof(lengthBytes));
        }

        Ensure(lengthBytes);
        int token = (_length << 2) | lengthBytes;
        _buffer.AsSpan(_length, lengthBytes).Clear();
        _length += lengthBytes;
        return token;
    }

    /// <summary>Patches the length reserved by <see cref="BeginVector"/>; throws if it does not fit the prefix.</summary>
    public void EndVector(int token)
    {
        int lengthBytes = token & 3;
        int start = token >> 2;
        int contentLength = _length - start - lengthBytes;
        if (lengthBytes == 0 || contentLength < 0)
        {
            throw new InvalidOperationException("EndVector with a token that does not belong to this writer state");
        }

        int max = (1 << (8 * lengthBytes)) - 1;
        if (contentLength > max)
        {
            throw new InvalidOperationException($"vector of {contentLength} bytes does not fit a {lengthBytes}-byte length");
        }

        for (int i = lengthBytes - 1; i >= 0; i--)
        {
            _buffer[start + i] = (byte)contentLength;
            contentLength >>= 8;
        }
    }

    // IBufferWriter<byte>, so span-based encoders (e.g. key shares) can write in place.
    public void Advance(int count)
    {
        if ((uint)count > (uint)(_buffer.Length - _length))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _length += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _buffer.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(Math.Max(sizeHint, 1));
        return _buffer.AsSpan(_length);
    }

    private void Ensure(int count)
    {
        if (_buffer.Length - _length >= count)
        {
            return;
        }

        ObjectDisposedException.ThrowIf(_disposed, this);
        Grow(count);
    }

    private void Grow(int count)
    {
        int newSize = Math.Max(_buffer.Length * 2, _length + count);
        byte[] newBuffer = TlsBuffers.Pool.Rent(newSize);
        _buffer.AsSpan(0, _length).CopyTo(newBuffer);
        byte[] old = _buffer;
        _buffer = newBuffer;
        if (old.Length != 0)
        {
            old.AsSpan(0, _length).Clear();
            TlsBuffers.Pool.Return(old);
        }
    }
}
