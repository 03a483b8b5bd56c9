using Brisk.Tls.Codec;
using System.Buffers;
using System.Security.Cryptography;

namespace Brisk.Tls.Handshake;

/// <summary>
/// The handshake messages of one handshake, in order, as sent on the wire (headers included). Kept whole
/// rather than as a running hash because TLS 1.2 CertificateVerify signs the messages themselves with a
/// hash the client picks (RFC 5246 §7.4.8), and a handshake is a few KB: hashing it again costs a few
/// microseconds. Owns a rented buffer; <see cref="Dispose"/> clears and returns it.
/// </summary>
internal sealed class HandshakeTranscript : IDisposable
{
    private byte[] _buffer = TlsBuffers.Pool.Rent(4096);
    private int _length;

    public int Length => _length;

    public ReadOnlySpan<byte> Messages => _buffer.AsSpan(0, _length);

    public void Append(ReadOnlySpan<byte> message)
    {
        if (_length + message.Length > _buffer.Length)
        {
            var larger = TlsBuffers.Pool.Rent(Math.Max(_buffer.Length * 2, _length + message.Length));
            _buffer.AsSpan(0, _length).CopyTo(larger);
            TlsBuffers.Pool.Return(_buffer, clearArray: true);
            _buffer = larger;
        }
        message.CopyTo(_buffer.AsSpan(_length));
        _length += message.Length;
    }

    /// <summary>Hash of every message so far.</summary>
    public int Hash(HashAlgorithmName algorithm, Span<byte> destination) => Hash(algorithm, _length, destination);

    /// <summary>Hash of the first <paramref name="length"/> bytes of the transcript (a prefix ending at a message boundary).</summary>
    public int Hash(HashAlgorithmName algorithm, int length, Span<byte> destination)
    {
        return Credentials.SignatureSchemes.Hash(algorithm, _buffer.AsSpan(0, length), destination);
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null!);
        if (buffer is not null)
            TlsBuffers.Pool.Return(buffer, clearArray: true);
        _length = 0;
    }
}
