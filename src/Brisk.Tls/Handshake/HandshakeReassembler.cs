using System.Buffers;
using System.Buffers.Binary;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Handshake;

/// <summary>
/// Rebuilds handshake messages from handshake record payloads: one message split over many records, or
/// many messages in one record (RFC 5246 §6.2.1, RFC 8446 §5.1). Handshake bytes are copied here (they
/// are small and must outlive the transport buffer for the transcript); application data never is.
/// </summary>
internal sealed class HandshakeReassembler : IDisposable
{
    public const int HeaderLength = 4;

    private readonly int _maxMessageLength;
    private byte[] _buffer = TlsBuffers.Pool.Rent(2048);
    private int _start;
    private int _end;

    public HandshakeReassembler(int maxMessageLength) => _maxMessageLength = maxMessageLength;

    /// <summary>True while bytes of an incomplete message are buffered: no other record type may arrive then.</summary>
    public bool HasPendingBytes => _end > _start;

    public void Append(in ReadOnlySequence<byte> fragment)
    {
        // RFC 5246 §6.2.1 / RFC 8446 §5.1: zero-length handshake fragments are not allowed.
        if (fragment.IsEmpty)
            throw new TlsProtocolException(AlertDescription.UnexpectedMessage, "empty handshake record");
        int length = (int)fragment.Length;
        EnsureSpace(length);
        fragment.CopyTo(_buffer.AsSpan(_end));
        _end += length;
    }

    /// <summary>
    /// Returns the next complete message (header included). The memory stays valid until the next
    /// <see cref="Append"/>, so a handshake step may await (a private-key operation) while holding it.
    /// </summary>
    public bool TryReadMessage(out HandshakeType type, out ReadOnlyMemory<byte> message)
    {
        type = default;
        message = default;
        int available = _end - _start;
        if (available < HeaderLength)
            return false;
        var pending = _buffer.AsSpan(_start, available);
        int bodyLength = (pending[1] << 16) | (pending[2] << 8) | pending[3];
        if (bodyLength > _maxMessageLength)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, $"handshake message of {bodyLength} bytes exceeds {_maxMessageLength}");
        if (available < HeaderLength + bodyLength)
            return false;
        type = (HandshakeType)pending[0];
        message = _buffer.AsMemory(_start, HeaderLength + bodyLength);
        _start += HeaderLength + bodyLength;
        if (_start == _end)
            _start = _end = 0;
        return true;
    }

    private void EnsureSpace(int more)
    {
        if (_end + more <= _buffer.Length)
            return;
        int pending = _end - _start;
        if (pending + more > _maxMessageLength + HeaderLength + RecordsSlack)
            throw new TlsProtocolException(AlertDescription.IllegalParameter, "handshake data exceeds the message size limit");
        // Compact (and grow if needed). Messages already handed out were consumed by the caller before Append.
        var target = pending + more <= _buffer.Length ? _buffer : TlsBuffers.Pool.Rent(Math.Max(_buffer.Length * 2, pending + more));
        _buffer.AsSpan(_start, pending).CopyTo(target);
        if (!ReferenceEquals(target, _buffer))
        {
            TlsBuffers.Pool.Return(_buffer, clearArray: true);
            _buffer = target;
        }
        _start = 0;
        _end = pending;
    }

    // A record may carry the tail of one message and the start of the next.
    private const int RecordsSlack = 1 << 15;

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null!);
        if (buffer is not null)
            TlsBuffers.Pool.Return(buffer, clearArray: true);
    }
}
