using System.Buffers.Binary;
using System.Reflection;
using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Records;

/// <summary>
/// RecordProtection: round trips for every nonce scheme (in place and not), sequence numbers, tampering,
/// and known answers computed independently with System.Security.Cryptography and the RFC constructions
/// written out here.
/// </summary>
public sealed class RecordProtectionTests
{
    public static TheoryData<RecordNonceScheme, AeadAlgorithm> Schemes() => new()
    {
        { RecordNonceScheme.Tls12ExplicitNonce, AeadAlgorithm.Aes128Gcm },
        { RecordNonceScheme.Tls12ExplicitNonce, AeadAlgorithm.Aes256Gcm },
        { RecordNonceScheme.Tls12XorNonce, AeadAlgorithm.ChaCha20Poly1305 },
        { RecordNonceScheme.Tls13, AeadAlgorithm.Aes128Gcm },
        { RecordNonceScheme.Tls13, AeadAlgorithm.Aes256Gcm },
        { RecordNonceScheme.Tls13, AeadAlgorithm.ChaCha20Poly1305 },
    };

    private sealed record Keys(AeadAlgorithm Algorithm, RecordNonceScheme Scheme, byte[] Key, byte[] Iv)
    {
        public static Keys Random(RecordNonceScheme scheme, AeadAlgorithm algorithm) => new(
            algorithm, scheme, RandomNumberGenerator.GetBytes(algorithm.KeySize()),
            RandomNumberGenerator.GetBytes(scheme == RecordNonceScheme.Tls12ExplicitNonce ? 4 : 12));

        public RecordProtection Create() => new(SystemAeadProvider.Instance.Create(Algorithm, Key), Iv, Scheme);
    }

    private static byte[] Seal(RecordProtection protection, ContentType type, ReadOnlySpan<byte> plaintext)
    {
        var record = new byte[RecordFraming.HeaderLength + plaintext.Length + protection.Overhead];
        int written = protection.Seal(type, plaintext, record);
        Assert.Equal(record.Length, written);
        return record;
    }

    private static RecordHeader HeaderOf(byte[] record) =>
        RecordFraming.ParseHeader(record.AsSpan(0, RecordFraming.HeaderLength), 0xFFFF);

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Seal_then_open_round_trips_and_sequence_numbers_advance(RecordNonceScheme scheme, AeadAlgorithm algorithm)
    {
        var keys = Keys.Random(scheme, algorithm);
        using var writer = keys.Create();
        using var reader = keys.Create();
        foreach (var (type, size, sequence) in new[] { (ContentType.Handshake, 16, 0UL), (ContentType.ApplicationData, 0, 1UL), (ContentType.Alert, 2, 2UL), (ContentType.ApplicationData, 1 << 14, 3UL) })
        {
            Assert.Equal(sequence, writer.SequenceNumber);
            var plaintext = RandomNumberGenerator.GetBytes(size);
            var record = Seal(writer, type, plaintext);
            Assert.Equal(sequence + 1, writer.SequenceNumber);

            var header = HeaderOf(record);
            // TLS 1.3 hides the type behind application_data (RFC 8446 §5.2); TLS 1.2 shows it.
            Assert.Equal(scheme == RecordNonceScheme.Tls13 ? ContentType.ApplicationData : type, header.Type);
            Assert.Equal(ProtocolVersion.Tls12, header.Version);
            Assert.Equal(size + writer.Overhead, header.Length);

            var output = new byte[record.Length];
            Assert.True(reader.TryOpen(header, record.AsSpan(RecordFraming.HeaderLength), output, out var innerType, out int length));
            Assert.Equal(type, innerType);
            Assert.Equal(plaintext, output[..length]);
            Assert.Equal(sequence + 1, reader.SequenceNumber);
        }
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void In_place_seal_and_open_match_the_out_of_place_result(RecordNonceScheme scheme, AeadAlgorithm algorithm)
    {
        var keys = Keys.Random(scheme, algorithm);
        using var outOfPlace = keys.Create();
        using var inPlace = keys.Create();
        using var reader = keys.Create();
        var plaintext = RandomNumberGenerator.GetBytes(1000);

        var expected = Seal(outOfPlace, ContentType.ApplicationData, plaintext);

        // Build the plaintext where the record body goes, as RecordWriter does in the pipe's memory.
        var record = new byte[expected.Length];
        var slot = record.AsSpan(inPlace.PlaintextOffset, plaintext.Length);
        plaintext.CopyTo(slot);
        Assert.Equal(record.Length, inPlace.Seal(ContentType.ApplicationData, slot, record));
        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(record));

        // Open in place: the plaintext lands at PlaintextOffset in the record buffer.
        var body = record.AsSpan(RecordFraming.HeaderLength);
        var destination = record.AsSpan(reader.PlaintextOffset);
        Assert.True(reader.TryOpen(HeaderOf(expected), body, destination, out var type, out int length));
        Assert.Equal(ContentType.ApplicationData, type);
        Assert.Equal(plaintext, destination[..length].ToArray());
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Any_flipped_bit_is_rejected(RecordNonceScheme scheme, AeadAlgorithm algorithm)
    {
        var keys = Keys.Random(scheme, algorithm);
        using var writer = keys.Create();
        var record = Seal(writer, ContentType.ApplicationData, RandomNumberGenerator.GetBytes(64));
        // Every byte of the body (explicit nonce, ciphertext, tag), one at a time, with a fresh reader.
        for (int i = RecordFraming.HeaderLength; i < record.Length; i++)
        {
            using var reader = keys.Create();
            var tampered = (byte[])record.Clone();
            tampered[i] ^= 0x01;
            var output = new byte[record.Length];
            Assert.False(reader.TryOpen(HeaderOf(tampered), tampered.AsSpan(RecordFraming.HeaderLength), output, out _, out _), $"byte {i}");
            Assert.All(output, b => Assert.Equal(0, b)); // no unauthenticated plaintext left behind
        }
        // The header is authenticated too: TLS 1.2 through the additional data, TLS 1.3 as the additional data.
        using (var reader = keys.Create())
        {
            var header = HeaderOf(record) with { Type = ContentType.Handshake };
            Assert.False(reader.TryOpen(header, record.AsSpan(RecordFraming.HeaderLength), new byte[record.Length], out _, out _));
        }
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Record_opened_at_the_wrong_sequence_number_is_rejected(RecordNonceScheme scheme, AeadAlgorithm algorithm)
    {
        var keys = Keys.Random(scheme, algorithm);
        using var writer = keys.Create();
        Seal(writer, ContentType.ApplicationData, [1]);
        var second = Seal(writer, ContentType.ApplicationData, [2]);
        using var reader = keys.Create(); // still at sequence 0
        Assert.False(reader.TryOpen(HeaderOf(second), second.AsSpan(RecordFraming.HeaderLength), new byte[second.Length], out _, out _));
    }

    [Theory]
    [MemberData(nameof(Schemes))]
    public void Body_shorter_than_the_overhead_is_rejected(RecordNonceScheme scheme, AeadAlgorithm algorithm)
    {
        using var reader = Keys.Random(scheme, algorithm).Create();
        var body = new byte[reader.Overhead - 1];
        var header = new RecordHeader(ContentType.ApplicationData, ProtocolVersion.Tls12, body.Length);
        Assert.False(reader.TryOpen(header, body, new byte[64], out _, out _));
    }

    [Fact]
    public void Plaintext_over_two_to_the_fourteen_is_refused()
    {
        using var writer = Keys.Random(RecordNonceScheme.Tls12ExplicitNonce, AeadAlgorithm.Aes128Gcm).Create();
        var plaintext = new byte[RecordFraming.MaxPlaintextLength + 1];
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Seal(ContentType.ApplicationData, plaintext, new byte[plaintext.Length + 64]));
    }

    [Fact]
    public void Tls12_gcm_explicit_nonce_is_the_sequence_number()
    {
        using var writer = Keys.Random(RecordNonceScheme.Tls12ExplicitNonce, AeadAlgorithm.Aes128Gcm).Create();
        for (ulong sequence = 0; sequence < 5; sequence++)
        {
            var record = Seal(writer, ContentType.ApplicationData, [0x42]);
            Assert.Equal(sequence, BinaryPrimitives.ReadUInt64BigEndian(record.AsSpan(RecordFraming.HeaderLength, 8)));
        }
    }

    [Fact]
    public void Overheads_are_as_the_rfcs_define()
    {
        using var gcm12 = Keys.Random(RecordNonceScheme.Tls12ExplicitNonce, AeadAlgorithm.Aes128Gcm).Create();
        using var chacha12 = Keys.Random(RecordNonceScheme.Tls12XorNonce, AeadAlgorithm.ChaCha20Poly1305).Create();
        using var tls13 = Keys.Random(RecordNonceScheme.Tls13, AeadAlgorithm.Aes128Gcm).Create();
        Assert.Equal(8 + 16, gcm12.Overhead);   // RFC 5288 §3: explicit nonce + tag
        Assert.Equal(16, chacha12.Overhead);    // RFC 7905 §2: tag only
        Assert.Equal(1 + 16, tls13.Overhead);   // RFC 8446 §5.2: inner type + tag
        Assert.Equal(RecordFraming.HeaderLength + 8, gcm12.PlaintextOffset);
        Assert.Equal(RecordFraming.HeaderLength, chacha12.PlaintextOffset);
    }

    [Fact]
    public void Sequence_number_never_wraps()
    {
        // RFC 5246 §6.1: sequence numbers must not wrap. 2^64 records cannot be sent in a test, so start near the end.
        using var writer = Keys.Random(RecordNonceScheme.Tls12XorNonce, AeadAlgorithm.ChaCha20Poly1305).Create();
        typeof(RecordProtection).GetField("_sequence", BindingFlags.NonPublic | BindingFlags.Instance)!.SetValue(writer, ulong.MaxValue - 1);
        Seal(writer, ContentType.ApplicationData, [1]);
        Assert.Equal(ulong.MaxValue, writer.SequenceNumber);
        var ex = Assert.Throws<TlsProtocolException>(() => Seal(writer, ContentType.ApplicationData, [1]));
        Assert.Equal(AlertDescription.InternalError, ex.Alert);
    }

    // ---- Known answers, computed independently --------------------------------------------------

    private static readonly byte[] KatKey128 = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] KatKey256 = Convert.FromHexString("101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f");
    private static readonly byte[] KatSalt = Convert.FromHexString("a0a1a2a3");
    private static readonly byte[] KatIv12 = Convert.FromHexString("b0b1b2b3b4b5b6b7b8b9babb");
    private static readonly byte[] KatPlaintext = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"u8.ToArray();

    /// <summary>Advances a fresh protection to <paramref name="sequence"/> by sealing throwaway records.</summary>
    private static void AdvanceTo(RecordProtection protection, ulong sequence)
    {
        while (protection.SequenceNumber < sequence)
            Seal(protection, ContentType.ApplicationData, [0]);
    }

    [Fact]
    public void Tls12_aes128_gcm_record_matches_an_independent_computation()
    {
        const ulong sequence = 3;
        using var protection = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes128Gcm, KatKey128), KatSalt, RecordNonceScheme.Tls12ExplicitNonce);
        AdvanceTo(protection, sequence);
        var actual = Seal(protection, ContentType.ApplicationData, KatPlaintext);

        // RFC 5288 §3: nonce = salt(4) || nonce_explicit(8); Brisk's explicit part is the sequence number.
        var nonce = new byte[12];
        KatSalt.CopyTo(nonce, 0);
        BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), sequence);
        // RFC 5246 §6.2.3.3: additional_data = seq_num(8) || type(1) || version(2) || length(2) of the plaintext.
        byte[] aad = [0, 0, 0, 0, 0, 0, 0, (byte)sequence, 0x17, 0x03, 0x03, 0x00, (byte)KatPlaintext.Length];
        var ciphertext = new byte[KatPlaintext.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(KatKey128, 16))
            aes.Encrypt(nonce, KatPlaintext, ciphertext, tag, aad);
        // TLSCiphertext: type, version, length = 8 + ciphertext + 16; then nonce_explicit || ciphertext || tag.
        int length = 8 + KatPlaintext.Length + 16;
        byte[] expected = [0x17, 0x03, 0x03, (byte)(length >> 8), (byte)length, .. nonce[4..], .. ciphertext, .. tag];

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));

        using var reader = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes128Gcm, KatKey128), KatSalt, RecordNonceScheme.Tls12ExplicitNonce);
        AdvanceTo(reader, sequence);
        var output = new byte[expected.Length];
        Assert.True(reader.TryOpen(HeaderOf(expected), expected.AsSpan(5), output, out var type, out int plaintextLength));
        Assert.Equal(ContentType.ApplicationData, type);
        Assert.Equal(KatPlaintext, output[..plaintextLength]);
    }

    [Fact]
    public void Tls12_aes128_gcm_record_at_sequence_zero_has_a_fixed_known_answer()
    {
        // A client Finished-sized handshake record pinned as bytes, so the construction written out above and
        // the code under test cannot drift together. Computed outside .NET with Python's `cryptography`
        // (OpenSSL AESGCM): AESGCM(key).encrypt(salt || seq, plaintext, seq || 16 0303 || 0010).
        using var protection = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes128Gcm, KatKey128), KatSalt, RecordNonceScheme.Tls12ExplicitNonce);
        var actual = Seal(protection, ContentType.Handshake, Convert.FromHexString("1400000c000102030405060708090a0b"));
        Assert.Equal(KnownTls12Gcm, Convert.ToHexString(actual));
    }

    private const string KnownTls12Gcm = "160303002800000000000000009E5DCE91478E366C57C32C2479C371AB82143E062462E6FE65BAFA55BA3B6F1B";

    [Fact]
    public void Tls12_chacha20_record_matches_an_independent_computation()
    {
        ulong sequence = 258;
        using var protection = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.ChaCha20Poly1305, KatKey256), KatIv12, RecordNonceScheme.Tls12XorNonce);
        AdvanceTo(protection, sequence);
        var actual = Seal(protection, ContentType.ApplicationData, KatPlaintext);

        // RFC 7905 §2: nonce = IV XOR (0^32 || seq_num as 64 bits); nothing explicit in the record.
        var nonce = (byte[])KatIv12.Clone();
        nonce[10] ^= (byte)(sequence >> 8);
        nonce[11] ^= (byte)sequence;
        byte[] aad = [0, 0, 0, 0, 0, 0, (byte)(sequence >> 8), (byte)sequence, 0x17, 0x03, 0x03, 0x00, (byte)KatPlaintext.Length];
        var ciphertext = new byte[KatPlaintext.Length];
        var tag = new byte[16];
        using (var chacha = new ChaCha20Poly1305(KatKey256))
            chacha.Encrypt(nonce, KatPlaintext, ciphertext, tag, aad);
        int length = KatPlaintext.Length + 16;
        byte[] expected = [0x17, 0x03, 0x03, (byte)(length >> 8), (byte)length, .. ciphertext, .. tag];

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(actual));
    }

    [Fact]
    public void Tls13_aes256_gcm_record_matches_an_independent_computation_and_padding_is_stripped()
    {
        const ulong sequence = 1;
        using var protection = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes256Gcm, KatKey256), KatIv12, RecordNonceScheme.Tls13);
        AdvanceTo(protection, sequence);
        var actual = Seal(protection, ContentType.Handshake, KatPlaintext);

        // RFC 8446 §5.2-5.3: inner = content || type; nonce = IV XOR seq; AAD = the record header.
        var nonce = (byte[])KatIv12.Clone();
        nonce[11] ^= (byte)sequence;
        byte[] inner = [.. KatPlaintext, 0x16];
        int length = inner.Length + 16;
        byte[] header = [0x17, 0x03, 0x03, (byte)(length >> 8), (byte)length];
        var ciphertext = new byte[inner.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(KatKey256, 16))
            aes.Encrypt(nonce, inner, ciphertext, tag, header);
        Assert.Equal(Convert.ToHexString([.. header, .. ciphertext, .. tag]), Convert.ToHexString(actual));

        // A padded inner plaintext (RFC 8446 §5.4) from the peer at the next sequence number: zeros stripped.
        var nonce2 = (byte[])KatIv12.Clone();
        nonce2[11] ^= (byte)(sequence + 1);
        byte[] padded = [.. KatPlaintext, 0x17, 0, 0, 0, 0, 0];
        int paddedLength = padded.Length + 16;
        byte[] header2 = [0x17, 0x03, 0x03, (byte)(paddedLength >> 8), (byte)paddedLength];
        var ciphertext2 = new byte[padded.Length];
        using (var aes = new AesGcm(KatKey256, 16))
            aes.Encrypt(nonce2, padded, ciphertext2, tag, header2);
        using var reader = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes256Gcm, KatKey256), KatIv12, RecordNonceScheme.Tls13);
        AdvanceTo(reader, sequence + 1);
        byte[] body = [.. ciphertext2, .. tag];
        var output = new byte[body.Length];
        Assert.True(reader.TryOpen(HeaderOf([.. header2, .. body]), body, output, out var type, out int plaintextLength));
        Assert.Equal(ContentType.ApplicationData, type);
        Assert.Equal(KatPlaintext, output[..plaintextLength]);
    }

    [Fact]
    public void Tls13_record_of_only_padding_is_reported_with_type_zero()
    {
        // RFC 8446 §5.4: no non-zero byte means no content type: unexpected_message (signalled by type 0).
        var nonce = (byte[])KatIv12.Clone();
        byte[] allZero = new byte[8];
        int length = allZero.Length + 16;
        byte[] header = [0x17, 0x03, 0x03, 0x00, (byte)length];
        var ciphertext = new byte[allZero.Length];
        var tag = new byte[16];
        using (var aes = new AesGcm(KatKey128, 16))
            aes.Encrypt(nonce, allZero, ciphertext, tag, header);
        using var reader = new RecordProtection(SystemAeadProvider.Instance.Create(AeadAlgorithm.Aes128Gcm, KatKey128), KatIv12, RecordNonceScheme.Tls13);
        byte[] body = [.. ciphertext, .. tag];
        Assert.False(reader.TryOpen(HeaderOf([.. header, .. body]), body, new byte[body.Length], out var type, out _));
        Assert.Equal((ContentType)0, type);
    }
}
