using System.Buffers.Binary;
using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Records;

/// <summary>How the per-record nonce and additional data are built.</summary>
public enum RecordNonceScheme
{
    /// <summary>TLS 1.2 AES-GCM (RFC 5288 §3): 4-byte implicit salt || 8-byte explicit nonce carried in the record.</summary>
    Tls12ExplicitNonce,

    /// <summary>TLS 1.2 ChaCha20-Poly1305 (RFC 7905 §2): 12-byte IV XOR the padded sequence number, nothing carried.</summary>
    Tls12XorNonce,

    /// <summary>TLS 1.3 (RFC 8446 §5.2, §5.3): IV XOR sequence number, inner content type, header as AAD.</summary>
    Tls13,
}

/// <summary>
/// The protection of one direction of a connection: one AEAD key, its IV and the sequence number. The
/// record layer owns the sequence number and its limit (RFC 5246 §6.1: it must not wrap; RFC 8446 §5.5).
/// Not thread-safe: one reader or one writer owns it. Dispose erases the key (the AEAD) and the IV.
/// </summary>
public sealed class RecordProtection : IDisposable
{
    public const int TagLength = AeadAlgorithmInfo.TagSize;
    private const int ExplicitNonceLength = 8;

    private readonly IAead _aead;
    private readonly byte[] _iv;
    private readonly RecordNonceScheme _scheme;
    private ulong _sequence;

    public RecordProtection(IAead aead, ReadOnlySpan<byte> iv, RecordNonceScheme scheme)
    {
        int expectedIv = scheme == RecordNonceScheme.Tls12ExplicitNonce ? 4 : 12;
        if (iv.Length != expectedIv)
            throw new ArgumentException($"{scheme} needs a {expectedIv}-byte IV.", nameof(iv));
        _aead = aead;
        _iv = iv.ToArray();
        _scheme = scheme;
    }

    public RecordNonceScheme Scheme => _scheme;

    public ulong SequenceNumber => _sequence;

    /// <summary>Bytes a sealed record adds to its plaintext (explicit nonce, inner content type, tag), header excluded.</summary>
    public int Overhead => _scheme switch
    {
        RecordNonceScheme.Tls12ExplicitNonce => ExplicitNonceLength + TagLength,
        RecordNonceScheme.Tls13 => 1 + TagLength,
        _ => TagLength,
    };

    /// <summary>
    /// Seals one record (header included) into <paramref name="destination"/>, which must hold
    /// <c>HeaderLength + plaintext.Length + Overhead</c> bytes. <paramref name="plaintext"/> may be the
    /// slice of <paramref name="destination"/> where the record body goes (<see cref="PlaintextOffset"/>),
    /// so callers can build the plaintext in place in the pipe's memory. Returns the bytes written.
    /// </summary>
    public int Seal(ContentType type, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        if (plaintext.Length > RecordFraming.MaxPlaintextLength)
            throw new ArgumentOutOfRangeException(nameof(plaintext), "record plaintext over 2^14 bytes");
        ulong sequence = NextSequence();
        int bodyLength = plaintext.Length + Overhead;
        Span<byte> nonce = stackalloc byte[12];
        switch (_scheme)
        {
            case RecordNonceScheme.Tls12ExplicitNonce:
            {
                RecordFraming.WriteHeader(destination, type, ProtocolVersion.Tls12, bodyLength);
                _iv.CopyTo(nonce);
                BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], sequence);
                var explicitNonce = destination.Slice(RecordFraming.HeaderLength, ExplicitNonceLength);
                var ciphertext = destination.Slice(RecordFraming.HeaderLength + ExplicitNonceLength, plaintext.Length);
                // The explicit part is the sequence number (RFC 5288 §3 allows it; it never repeats). It
                // is written after the plaintext is consumed in case the caller built the plaintext in place.
                Span<byte> aad = stackalloc byte[13];
                WriteTls12AdditionalData(aad, sequence, type, plaintext.Length);
                _aead.Seal(nonce, plaintext, ciphertext, destination.Slice(RecordFraming.HeaderLength + ExplicitNonceLength + plaintext.Length, TagLength), aad);
                nonce[4..].CopyTo(explicitNonce);
                break;
            }
            case RecordNonceScheme.Tls12XorNonce:
            {
                RecordFraming.WriteHeader(destination, type, ProtocolVersion.Tls12, bodyLength);
                BuildXorNonce(nonce, sequence);
                Span<byte> aad = stackalloc byte[13];
                WriteTls12AdditionalData(aad, sequence, type, plaintext.Length);
                _aead.Seal(nonce, plaintext, destination.Slice(RecordFraming.HeaderLength, plaintext.Length),
                    destination.Slice(RecordFraming.HeaderLength + plaintext.Length, TagLength), aad);
                break;
            }
            default:
            {
                // TLSInnerPlaintext = content || type (no padding); outer type application_data, version 0x0303.
                var body = destination.Slice(RecordFraming.HeaderLength, plaintext.Length + 1);
                plaintext.CopyTo(body);
                body[^1] = (byte)type;
                RecordFraming.WriteHeader(destination, ContentType.ApplicationData, ProtocolVersion.Tls12, bodyLength);
                BuildXorNonce(nonce, sequence);
                _aead.Seal(nonce, body, body, destination.Slice(RecordFraming.HeaderLength + body.Length, TagLength),
                    destination[..RecordFraming.HeaderLength]);
                break;
            }
        }
        return RecordFraming.HeaderLength + bodyLength;
    }

    /// <summary>Where <see cref="Seal"/> puts the ciphertext of the plaintext, relative to the record start.</summary>
    public int PlaintextOffset => RecordFraming.HeaderLength + (_scheme == RecordNonceScheme.Tls12ExplicitNonce ? ExplicitNonceLength : 0);

    /// <summary>
    /// Opens one record. <paramref name="payload"/> is the record body (after the 5-byte header);
    /// <paramref name="plaintextDestination"/> receives the plaintext and may be the same memory as the
    /// ciphertext part of the payload (in-place decryption in the pipe's buffer) or other memory (e.g. the
    /// application pipe). Returns false on authentication failure (the caller sends bad_record_mac) or a
    /// malformed TLS 1.3 inner plaintext (all padding: unexpected_message, signalled by
    /// <paramref name="innerType"/> = 0).
    /// </summary>
    public bool TryOpen(in RecordHeader header, ReadOnlySpan<byte> payload, Span<byte> plaintextDestination, out ContentType innerType, out int plaintextLength)
    {
        innerType = header.Type;
        plaintextLength = 0;
        if (payload.Length < Overhead)
            return false;
        Span<byte> nonce = stackalloc byte[12];
        switch (_scheme)
        {
            case RecordNonceScheme.Tls12ExplicitNonce:
            {
                int length = payload.Length - ExplicitNonceLength - TagLength;
                _iv.CopyTo(nonce);
                payload[..ExplicitNonceLength].CopyTo(nonce[4..]);
                ulong sequence = NextSequence();
                Span<byte> aad = stackalloc byte[13];
                WriteTls12AdditionalData(aad, sequence, header.Type, length);
                if (!_aead.Open(nonce, payload.Slice(ExplicitNonceLength, length), payload[^TagLength..], plaintextDestination[..length], aad))
                    return false;
                plaintextLength = length;
                return true;
            }
            case RecordNonceScheme.Tls12XorNonce:
            {
                int length = payload.Length - TagLength;
                ulong sequence = NextSequence();
                BuildXorNonce(nonce, sequence);
                Span<byte> aad = stackalloc byte[13];
                WriteTls12AdditionalData(aad, sequence, header.Type, length);
                if (!_aead.Open(nonce, payload[..length], payload[^TagLength..], plaintextDestination[..length], aad))
                    return false;
                plaintextLength = length;
                return true;
            }
            default:
            {
                int length = payload.Length - TagLength;
                ulong sequence = NextSequence();
                BuildXorNonce(nonce, sequence);
                Span<byte> aad = stackalloc byte[RecordFraming.HeaderLength];
                RecordFraming.WriteHeader(aad, header.Type, header.Version, header.Length);
                var inner = plaintextDestination[..length];
                if (!_aead.Open(nonce, payload[..length], payload[^TagLength..], inner, aad))
                    return false;
                // RFC 8446 §5.4: strip zero padding from the end; the last non-zero byte is the content type.
                int end = inner.LastIndexOfAnyExcept((byte)0);
                if (end < 0)
                {
                    innerType = 0;
                    return false;
                }
                innerType = (ContentType)inner[end];
                plaintextLength = end;
                return true;
            }
        }
    }

    /// <summary>
    /// Forgets a failed <see cref="TryOpen"/>: used only while skipping declined 0-RTT records, which were
    /// never under these keys, so the sequence number must not count them (RFC 8446 §4.2.10).
    /// </summary>
    internal void UndoFailedOpen() => _sequence--;

    private ulong NextSequence()
    {
        // RFC 5246 §6.1: sequence numbers must not wrap; RFC 8446 §5.3 likewise. The connection renegotiates
        // nothing, so reaching the limit ends it (in practice unreachable: 2^64 records).
        if (_sequence == ulong.MaxValue)
            throw new Codec.TlsProtocolException(AlertDescription.InternalError, "record sequence number exhausted");
        return _sequence++;
    }

    private void BuildXorNonce(Span<byte> nonce, ulong sequence)
    {
        _iv.CopyTo(nonce);
        ulong tail = BinaryPrimitives.ReadUInt64BigEndian(nonce[4..]) ^ sequence;
        BinaryPrimitives.WriteUInt64BigEndian(nonce[4..], tail);
    }

    /// <summary>RFC 5246 §6.2.3.3: additional_data = seq_num + TLSCompressed.type + version + length.</summary>
    private static void WriteTls12AdditionalData(Span<byte> aad, ulong sequence, ContentType type, int plaintextLength)
    {
        BinaryPrimitives.WriteUInt64BigEndian(aad, sequence);
        aad[8] = (byte)type;
        BinaryPrimitives.WriteUInt16BigEndian(aad[9..], ProtocolVersion.Tls12);
        BinaryPrimitives.WriteUInt16BigEndian(aad[11..], (ushort)plaintextLength);
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_iv);
        _aead.Dispose();
    }
}
