using System.Buffers;
using System.Buffers.Binary;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Records;

/// <summary>
/// Finds TLS records where they lie in the transport's <see cref="ReadOnlySequence{T}"/> (RFC 5246 §6.2,
/// RFC 8446 §5.1). Nothing is copied: the payload is a slice of the input.
/// </summary>
public static class RecordFraming
{
    public const int HeaderLength = 5;

    /// <summary>TLSPlaintext.length and TLSInnerPlaintext content limit: 2^14 (RFC 5246 §6.2.1, RFC 8446 §5.1).</summary>
    public const int MaxPlaintextLength = 1 << 14;

    /// <summary>TLSCiphertext.length limit in TLS 1.2: 2^14 + 2048 (RFC 5246 §6.2.3).</summary>
    public const int MaxTls12CiphertextLength = MaxPlaintextLength + 2048;

    /// <summary>TLSCiphertext.length limit in TLS 1.3: 2^14 + 256 (RFC 8446 §5.2).</summary>
    public const int MaxTls13CiphertextLength = MaxPlaintextLength + 256;

    /// <summary>
    /// Reads the record at the start of <paramref name="buffer"/>. Returns false when the record is not
    /// complete yet (the caller consumes nothing and examines everything). Throws
    /// <see cref="TlsProtocolException"/> as soon as the header shows the record can never be valid, so an
    /// oversized length is refused before its bytes arrive.
    /// </summary>
    /// <param name="maxPayloadLength">The largest payload accepted in the current state (plaintext or ciphertext limit).</param>
    public static bool TryReadRecord(in ReadOnlySequence<byte> buffer, int maxPayloadLength, out RecordHeader header, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        header = default;
        if (buffer.Length < HeaderLength)
        {
            // Reject a bad content type as soon as the first byte is here (garbage, plaintext HTTP).
            if (!buffer.IsEmpty)
                ValidateContentType(buffer.FirstSpan[0]);
            return false;
        }

        Span<byte> headerBytes = stackalloc byte[HeaderLength];
        if (buffer.FirstSpan.Length >= HeaderLength)
            buffer.FirstSpan[..HeaderLength].CopyTo(headerBytes);
        else
            buffer.Slice(0, HeaderLength).CopyTo(headerBytes);

        header = ParseHeader(headerBytes, maxPayloadLength);
        long total = HeaderLength + header.Length;
        if (buffer.Length < total)
            return false;
        payload = buffer.Slice(HeaderLength, header.Length);
        return true;
    }

    public static RecordHeader ParseHeader(ReadOnlySpan<byte> headerBytes, int maxPayloadLength)
    {
        var type = ValidateContentType(headerBytes[0]);
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(headerBytes[1..]);
        // Every TLS version has major version 3; anything else is not a TLS record (RFC 5246 Appendix E).
        if (version >> 8 != 3)
            throw new TlsProtocolException(AlertDescription.ProtocolVersion, $"record version 0x{version:x4} is not TLS");
        int length = BinaryPrimitives.ReadUInt16BigEndian(headerBytes[3..]);
        if (length > maxPayloadLength)
            throw new TlsProtocolException(AlertDescription.RecordOverflow, $"record of {length} bytes exceeds {maxPayloadLength}");
        return new RecordHeader(type, version, length);
    }

    private static ContentType ValidateContentType(byte value) => value switch
    {
        (byte)ContentType.ChangeCipherSpec or (byte)ContentType.Alert or (byte)ContentType.Handshake or (byte)ContentType.ApplicationData
            => (ContentType)value,
        // RFC 8446 §5: an unexpected record type terminates the connection with unexpected_message.
        _ => throw new TlsProtocolException(AlertDescription.UnexpectedMessage, $"unknown record content type {value}"),
    };

    public static void WriteHeader(Span<byte> destination, ContentType type, ushort version, int length)
    {
        destination[0] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(destination[1..], version);
        BinaryPrimitives.WriteUInt16BigEndian(destination[3..], checked((ushort)length));
    }
}

public readonly record struct RecordHeader(ContentType Type, ushort Version, int Length);
