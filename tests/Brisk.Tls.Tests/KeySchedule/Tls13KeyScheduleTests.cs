using Brisk.Crypto;
using System.Security.Cryptography;
using System.Text;
using Brisk.Crypto.Aead;
using Brisk.Crypto.Hashing;
using Brisk.Tls.KeySchedule;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;
using static Brisk.Tls.Tests.KeySchedule.Tls13Rfc8448Vectors;

namespace Brisk.Tls.Tests.KeySchedule;

/// <summary>The TLS 1.3 key schedule against the RFC 8448 traces (§3 1-RTT, §4 resumption binder, §5 HelloRetryRequest).</summary>
public class Tls13KeyScheduleTests
{
    private const HashKind Sha256 = HashKind.Sha256;

    private static byte[] TranscriptHashOf(params string[] messages)
    {
        using var transcript = new TranscriptHash(Sha256);
        foreach (var message in messages)
            transcript.Append(Hex(message));
        var hash = new byte[32];
        transcript.GetCurrentHash(hash);
        return hash;
    }

    private static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static void AssertBytes(string expectedHex, ReadOnlySpan<byte> actual) => Assert.Equal(ToHex(Hex(expectedHex)), ToHex(actual));

    [Fact]
    public void Rfc8448_simple_handshake_steps_match_the_trace()
    {
        // RFC 8448 §3: extract "early", derive "derived", extract "handshake", derive "derived", extract "master".
        var early = new byte[32];
        Tls13KeyDerivation.EarlySecret(Sha256, ReadOnlySpan<byte>.Empty, early);
        AssertBytes(S3EarlySecret, early);

        var derived = new byte[32];
        Tls13KeyDerivation.DeriveSecret(Sha256, early, Tls13KeyDerivation.DerivedLabel, Tls13KeyDerivation.EmptyHash(Sha256), derived);
        AssertBytes(S3DerivedForHandshake, derived);

        var handshake = new byte[32];
        Tls13KeyDerivation.HandshakeSecret(Sha256, early, Hex(S3SharedSecret), handshake);
        AssertBytes(S3HandshakeSecret, handshake);

        Tls13KeyDerivation.DeriveSecret(Sha256, handshake, Tls13KeyDerivation.DerivedLabel, Tls13KeyDerivation.EmptyHash(Sha256), derived);
        AssertBytes(S3DerivedForMaster, derived);

        var master = new byte[32];
        Tls13KeyDerivation.MasterSecret(Sha256, handshake, master);
        AssertBytes(S3MasterSecret, master);

        var finishedKey = new byte[32];
        Tls13KeyDerivation.FinishedKey(Sha256, Hex(S3ServerHandshakeTrafficSecret), finishedKey);
        AssertBytes(S3ServerFinishedKey, finishedKey);
    }

    [Fact]
    public void Rfc8448_simple_handshake_through_the_phase_types()
    {
        // RFC 8448 §3, driven the way a server drives it; every transcript hash is recomputed from the messages.
        var throughServerHello = TranscriptHashOf(S3ClientHello, S3ServerHello);
        AssertBytes(S3HashThroughServerHello, throughServerHello);

        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        Assert.False(early.HasPsk);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), throughServerHello);
        AssertBytes(S3ClientHandshakeTrafficSecret, handshake.ClientTrafficSecret);
        AssertBytes(S3ServerHandshakeTrafficSecret, handshake.ServerTrafficSecret);

        Span<byte> key = stackalloc byte[16];
        Span<byte> iv = stackalloc byte[12];
        Tls13KeyDerivation.TrafficKeys(Sha256, AeadAlgorithm.Aes128Gcm, handshake.ServerTrafficSecret, key, iv);
        AssertBytes(S3ServerHandshakeKey, key);
        AssertBytes(S3ServerHandshakeIv, iv);
        Tls13KeyDerivation.TrafficKeys(Sha256, AeadAlgorithm.Aes128Gcm, handshake.ClientTrafficSecret, key, iv);
        AssertBytes(S3ClientHandshakeKey, key);
        AssertBytes(S3ClientHandshakeIv, iv);

        var throughCertificateVerify = TranscriptHashOf(S3ClientHello, S3ServerHello, S3EncryptedExtensions, S3Certificate, S3CertificateVerify);
        var serverVerifyData = new byte[32];
        handshake.ComputeServerFinished(throughCertificateVerify, serverVerifyData);
        AssertBytes(S3ServerFinished, [0x14, 0x00, 0x00, 0x20, .. serverVerifyData]);
        Assert.True(handshake.VerifyServerFinished(throughCertificateVerify, serverVerifyData));

        var throughServerFinished = TranscriptHashOf(S3ClientHello, S3ServerHello, S3EncryptedExtensions, S3Certificate, S3CertificateVerify, S3ServerFinished);
        AssertBytes(S3HashThroughServerFinished, throughServerFinished);
        using var application = handshake.ToApplication(throughServerFinished);
        AssertBytes(S3ClientApplicationTrafficSecret, application.ClientTrafficSecret);
        AssertBytes(S3ServerApplicationTrafficSecret, application.ServerTrafficSecret);
        AssertBytes(S3ExporterMasterSecret, application.ExporterMasterSecret);

        Tls13KeyDerivation.TrafficKeys(Sha256, AeadAlgorithm.Aes128Gcm, application.ServerTrafficSecret, key, iv);
        AssertBytes(S3ServerApplicationKey, key);
        AssertBytes(S3ServerApplicationIv, iv);
        Tls13KeyDerivation.TrafficKeys(Sha256, AeadAlgorithm.Aes128Gcm, application.ClientTrafficSecret, key, iv);
        AssertBytes(S3ClientApplicationKey, key);
        AssertBytes(S3ClientApplicationIv, iv);

        // The client Finished covers the transcript through the server Finished (no client certificate here).
        Assert.True(application.IsClientFinishedPending);
        Assert.True(application.VerifyClientFinished(throughServerFinished, Hex(S3ClientFinished).AsSpan(4)));
        Assert.False(application.IsClientFinishedPending);

        var throughClientFinished = TranscriptHashOf(S3ClientHello, S3ServerHello, S3EncryptedExtensions, S3Certificate, S3CertificateVerify, S3ServerFinished, S3ClientFinished);
        AssertBytes(S3HashThroughClientFinished, throughClientFinished);
        var resumptionMaster = new byte[32];
        application.ResumptionMasterSecret(throughClientFinished, resumptionMaster);
        AssertBytes(S3ResumptionMasterSecret, resumptionMaster);

        var psk = new byte[32];
        Tls13KeyDerivation.ResumptionPsk(Sha256, resumptionMaster, Hex(S3TicketNonce), psk);
        AssertBytes(S3ResumptionPsk, psk);
    }

    [Fact]
    public void Rfc8448_client_finished_computed_by_the_application_phase()
    {
        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        using var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        var verifyData = new byte[32];
        application.ComputeClientFinished(Hex(S3HashThroughServerFinished), verifyData);
        AssertBytes(S3ClientFinished, [0x14, 0x00, 0x00, 0x20, .. verifyData]);
    }

    [Fact]
    public void Rfc8448_record_protection_opens_the_clients_records()
    {
        // RFC 8448 §3: the client's Finished record (client handshake keys, sequence 0) and its first application
        // data record (client application keys, sequence 0) open with the protections the phases build.
        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        using var clientHandshakeRead = handshake.CreateClientProtection(SystemAeadProvider.Instance, AeadAlgorithm.Aes128Gcm);
        using var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        using var clientApplicationRead = application.CreateClientProtection(ManagedAeadProvider.Default, AeadAlgorithm.Aes128Gcm);

        Assert.Equal(Hex(S3ClientFinished), Open(clientHandshakeRead, Hex(S3ClientFinishedRecord), ContentType.Handshake));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (byte)i).ToArray(),
            Open(clientApplicationRead, Hex(S3ClientApplicationDataRecord), ContentType.ApplicationData));
    }

    internal static byte[] Open(RecordProtection protection, byte[] record, ContentType expectedType)
    {
        var header = new RecordHeader((ContentType)record[0], (ushort)(record[1] << 8 | record[2]), record[3] << 8 | record[4]);
        var plaintext = new byte[record.Length];
        Assert.True(protection.TryOpen(header, record.AsSpan(5), plaintext, out var innerType, out int length));
        Assert.Equal(expectedType, innerType);
        return plaintext[..length];
    }

    [Fact]
    public void Rfc8448_resumption_binder_over_the_truncated_client_hello()
    {
        // RFC 8448 §4: PSK from §3's ticket; binder over Transcript-Hash(Truncate(ClientHello)).
        var truncated = Hex(S4TruncatedClientHello);
        var binderHash = SHA256.HashData(truncated);
        AssertBytes(S4BinderHash, binderHash);

        using var early = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.Resumption);
        var earlySecret = new byte[32];
        Tls13KeyDerivation.EarlySecret(Sha256, Hex(S3ResumptionPsk), earlySecret);
        AssertBytes(S4EarlySecret, earlySecret);

        var binderKey = new byte[32];
        early.BinderKey(binderKey);
        AssertBytes(S4ResumptionBinderKey, binderKey);

        var binder = new byte[32];
        early.ComputeBinder(binderHash, binder);
        AssertBytes(S4Binder, binder);
        Assert.True(early.VerifyBinder(binderHash, Hex(S4Binder)));

        // The complete ClientHello is the truncated one plus the binders list: 00 21 20 || binder (RFC 8446 §4.2.11).
        byte[] clientHello = [.. truncated, 0x00, 0x21, 0x20, .. binder];
        Assert.Equal(512, clientHello.Length);
        var clientHelloHash = SHA256.HashData(clientHello);
        AssertBytes(S4HashOfClientHello, clientHelloHash);

        var earlyTraffic = new byte[32];
        early.ClientEarlyTrafficSecret(clientHelloHash, earlyTraffic);
        AssertBytes(S4ClientEarlyTrafficSecret, earlyTraffic);
        Span<byte> key = stackalloc byte[16];
        Span<byte> iv = stackalloc byte[12];
        Tls13KeyDerivation.TrafficKeys(Sha256, AeadAlgorithm.Aes128Gcm, earlyTraffic, key, iv);
        AssertBytes(S4ClientEarlyKey, key);
    }

    [Fact]
    public void Rfc8448_resumed_handshake_with_psk_and_ecdhe_through_the_phase_types()
    {
        // RFC 8448 §4, server side: binder, early exporter, then PSK + X25519 into the handshake and application phases.
        byte[] clientHello = [.. Hex(S4TruncatedClientHello), 0x00, 0x21, 0x20, .. Hex(S4Binder)];
        using var early = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.Resumption);
        Assert.True(early.VerifyBinder(SHA256.HashData(Hex(S4TruncatedClientHello)), Hex(S4Binder)));

        var clientHelloHash = SHA256.HashData(clientHello);
        var earlyExporter = new byte[32];
        early.EarlyExporterMasterSecret(clientHelloHash, earlyExporter);
        AssertBytes(S4EarlyExporterMasterSecret, earlyExporter);
        var earlyExport = new byte[16];
        Tls13KeyDerivation.ExportKeyingMaterial(Sha256, earlyExporter, Encoding.ASCII.GetBytes(BotanEarlyExportLabel),
            Encoding.ASCII.GetBytes(BotanEarlyExportContext), earlyExport);
        AssertBytes(BotanEarlyExport, earlyExport);

        using var transcript = new TranscriptHash(Sha256);
        transcript.Append(clientHello);
        transcript.Append(Hex(S4ServerHello));
        var hash = new byte[32];
        transcript.GetCurrentHash(hash);
        AssertBytes(S4HashThroughServerHello, hash);

        using var handshake = early.ToHandshake(Hex(S4SharedSecret), hash);
        AssertBytes(S4ClientHandshakeTrafficSecret, handshake.ClientTrafficSecret);
        AssertBytes(S4ServerHandshakeTrafficSecret, handshake.ServerTrafficSecret);
        using var clientHandshakeRead = handshake.CreateClientProtection(SystemAeadProvider.Instance, AeadAlgorithm.Aes128Gcm);

        // No Certificate/CertificateVerify in a PSK handshake: the server Finished covers ClientHello..EncryptedExtensions.
        transcript.Append(Hex(S4EncryptedExtensions));
        transcript.GetCurrentHash(hash);
        var serverVerifyData = new byte[32];
        handshake.ComputeServerFinished(hash, serverVerifyData);
        AssertBytes(S4ServerFinished, [0x14, 0x00, 0x00, 0x20, .. serverVerifyData]);

        transcript.Append(Hex(S4ServerFinished));
        transcript.GetCurrentHash(hash);
        AssertBytes(S4HashThroughServerFinished, hash);
        using var application = handshake.ToApplication(hash);
        AssertBytes(S4ClientApplicationTrafficSecret, application.ClientTrafficSecret);
        AssertBytes(S4ServerApplicationTrafficSecret, application.ServerTrafficSecret);
        AssertBytes(S4ExporterMasterSecret, application.ExporterMasterSecret);
        var export = new byte[16];
        application.ExportKeyingMaterial(Encoding.ASCII.GetBytes(BotanExportLabel), Encoding.ASCII.GetBytes(BotanExportContext), export);
        AssertBytes(BotanExport, export);

        // The client Finished covers EndOfEarlyData (RFC 8446 §4.4.1) and arrives in the client's first handshake record.
        transcript.Append(Hex(S4EndOfEarlyData));
        transcript.GetCurrentHash(hash);
        var clientFinished = Open(clientHandshakeRead, Hex(S4ClientFinishedRecord), ContentType.Handshake);
        Assert.Equal(Hex(S4ClientFinished), clientFinished);
        Assert.True(application.VerifyClientFinished(hash, clientFinished.AsSpan(4)));
    }

    [Fact]
    public void Rejects_a_binder_with_one_flipped_bit_or_the_wrong_length()
    {
        using var early = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.Resumption);
        var binderHash = Hex(S4BinderHash);
        var binder = Hex(S4Binder);
        for (int i = 0; i < binder.Length; i += 7)
        {
            binder[i] ^= 0x01;
            Assert.False(early.VerifyBinder(binderHash, binder));
            binder[i] ^= 0x01;
        }
        Assert.False(early.VerifyBinder(binderHash, binder.AsSpan(0, 31)));
        Assert.False(early.VerifyBinder(binderHash, [.. binder, 0]));
        Assert.False(early.VerifyBinder(binderHash, ReadOnlySpan<byte>.Empty));
        Assert.True(early.VerifyBinder(binderHash, binder));
    }

    [Fact]
    public void External_and_resumption_binder_keys_differ()
    {
        using var resumption = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.Resumption);
        using var external = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.External);
        var a = new byte[32];
        var b = new byte[32];
        resumption.BinderKey(a);
        external.BinderKey(b);
        Assert.NotEqual(a, b);
        AssertBytes(S4ResumptionBinderKey, a);
        Assert.False(external.VerifyBinder(Hex(S4BinderHash), Hex(S4Binder)));
    }

    [Fact]
    public void Rfc8448_hello_retry_request_transcript_and_handshake_secrets()
    {
        // RFC 8448 §5: ClientHello1 is replaced by message_hash (RFC 8446 §4.4.1).
        var clientHello1Hash = SHA256.HashData(Hex(S5ClientHello1));
        Span<byte> synthetic = stackalloc byte[Tls13Transcript.MessageHashLength(Sha256)];
        Assert.Equal(36, Tls13Transcript.MessageHash(Sha256, clientHello1Hash, synthetic));
        Assert.Equal(new byte[] { 254, 0, 0, 32 }, synthetic[..4].ToArray());
        Assert.Equal(clientHello1Hash, synthetic[4..].ToArray());

        using var transcript = Tls13Transcript.StartAfterHelloRetryRequest(Sha256, clientHello1Hash);
        transcript.Append(Hex(S5HelloRetryRequest));
        transcript.Append(Hex(S5ClientHello2));
        transcript.Append(Hex(S5ServerHello));
        var throughServerHello = new byte[32];
        transcript.GetCurrentHash(throughServerHello);
        AssertBytes(S5HashThroughServerHello, throughServerHello);

        var handshakeSecret = new byte[32];
        var earlySecret = new byte[32];
        Tls13KeyDerivation.EarlySecret(Sha256, ReadOnlySpan<byte>.Empty, earlySecret);
        Tls13KeyDerivation.HandshakeSecret(Sha256, earlySecret, Hex(S5SharedSecret), handshakeSecret);
        AssertBytes(S5HandshakeSecret, handshakeSecret);
        var master = new byte[32];
        Tls13KeyDerivation.MasterSecret(Sha256, handshakeSecret, master);
        AssertBytes(S5MasterSecret, master);

        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        using var handshake = early.ToHandshake(Hex(S5SharedSecret), throughServerHello);
        AssertBytes(S5ClientHandshakeTrafficSecret, handshake.ClientTrafficSecret);
        AssertBytes(S5ServerHandshakeTrafficSecret, handshake.ServerTrafficSecret);
        Span<byte> key = stackalloc byte[16];
        Span<byte> iv = stackalloc byte[12];
        Tls13KeyDerivation.TrafficKeys(Sha256, AeadAlgorithm.Aes128Gcm, handshake.ServerTrafficSecret, key, iv);
        AssertBytes(S5ServerHandshakeKey, key);
    }

    [Fact]
    public void Hello_retry_request_transcript_differs_from_the_plain_concatenation()
    {
        // Guards the substitution itself: hashing ClientHello1 verbatim must not give the RFC value.
        var plain = TranscriptHashOf(S5ClientHello1, S5HelloRetryRequest, S5ClientHello2, S5ServerHello);
        Assert.NotEqual(ToHex(Hex(S5HashThroughServerHello)), ToHex(plain));
    }

    [Fact]
    public void Moving_on_consumes_the_previous_phase()
    {
        var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        Assert.Throws<ObjectDisposedException>(() => early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello)));

        var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        Assert.Throws<ObjectDisposedException>(() => handshake.ClientTrafficSecret.ToArray());
        Assert.Throws<ObjectDisposedException>(() => handshake.ToApplication(Hex(S3HashThroughServerFinished)));
        Assert.Throws<ObjectDisposedException>(() => handshake.CreateServerProtection(SystemAeadProvider.Instance, AeadAlgorithm.Aes128Gcm));

        application.Dispose();
        Assert.Throws<ObjectDisposedException>(() => application.ServerTrafficSecret.ToArray());
        Assert.Throws<ObjectDisposedException>(() => application.NextServerSecret());
    }

    [Fact]
    public void Secrets_are_erased_when_moving_on_and_on_dispose()
    {
        // Reflection on purpose: the buffers are private so that nothing outside can keep a reference.
        var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        var earlyBuffer = PrivateBuffer(early, "_earlySecret");
        Assert.Contains(earlyBuffer(), b => b != 0);
        var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        Assert.All(earlyBuffer(), b => Assert.Equal(0, b));

        var handshakeBuffer = PrivateBuffer(handshake, "_secrets");
        var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        Assert.All(handshakeBuffer(), b => Assert.Equal(0, b));

        var applicationBuffer = PrivateBuffer(application, "_secrets");
        Assert.True(application.VerifyClientFinished(Hex(S3HashThroughServerFinished), Hex(S3ClientFinished).AsSpan(4)));
        application.ResumptionMasterSecret(Hex(S3HashThroughClientFinished), new byte[32]);
        // Master Secret (slot 0) and client finished key (slot 4) are single-use and gone already.
        Assert.All(applicationBuffer().AsSpan(0, 32).ToArray(), b => Assert.Equal(0, b));
        Assert.All(applicationBuffer().AsSpan(128, 32).ToArray(), b => Assert.Equal(0, b));
        Assert.Contains(applicationBuffer(), b => b != 0);
        application.Dispose();
        Assert.All(applicationBuffer(), b => Assert.Equal(0, b));
    }

    /// <summary>
    /// Reads a private <see cref="SecretBlock"/> field now and returns a view that re-reads those bytes on each call:
    /// the copy of the block keeps its address after the owner returns it (SecretMemory never unmaps a slab), so the
    /// test sees whether the bytes were erased where they lay.
    /// </summary>
    private static Func<byte[]> PrivateBuffer(object owner, string field)
    {
        var block = (SecretBlock)owner.GetType().GetField(field, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(owner)!;
        Assert.False(block.IsEmpty);
        return () => block.Span.ToArray();
    }

    [Fact]
    public void Client_finished_key_is_single_use_and_a_wrong_finished_is_rejected()
    {
        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        using var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        var wrong = Hex(S3ClientFinished).AsSpan(4).ToArray();
        wrong[^1] ^= 0x80;
        Assert.False(application.VerifyClientFinished(Hex(S3HashThroughServerFinished), wrong));
        Assert.True(application.IsClientFinishedPending);
        Assert.Throws<InvalidOperationException>(() => application.VerifyClientFinished(Hex(S3HashThroughServerFinished), Hex(S3ClientFinished).AsSpan(4)));
        Assert.Throws<InvalidOperationException>(() => application.ResumptionMasterSecret(Hex(S3HashThroughClientFinished), new byte[32]));
    }

    [Fact]
    public void Resumption_master_secret_is_single_use()
    {
        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        using var handshake = early.ToHandshake(Hex(S3SharedSecret), Hex(S3HashThroughServerHello));
        using var application = handshake.ToApplication(Hex(S3HashThroughServerFinished));
        Assert.True(application.VerifyClientFinished(Hex(S3HashThroughServerFinished), Hex(S3ClientFinished).AsSpan(4)));
        application.ResumptionMasterSecret(Hex(S3HashThroughClientFinished), new byte[32]);
        Assert.Throws<InvalidOperationException>(() => application.ResumptionMasterSecret(Hex(S3HashThroughClientFinished), new byte[32]));
    }

    [Fact]
    public void Binder_and_early_traffic_need_a_psk()
    {
        using var early = Tls13EarlySecrets.WithoutPsk(Sha256);
        Assert.Throws<InvalidOperationException>(() => early.BinderKey(new byte[32]));
        Assert.Throws<InvalidOperationException>(() => early.ClientEarlyTrafficSecret(new byte[32], new byte[32]));
        Assert.Throws<InvalidOperationException>(() => early.ToHandshakeWithoutKeyExchange(new byte[32]));
        Assert.Throws<ArgumentException>(() => early.ToHandshake(ReadOnlySpan<byte>.Empty, new byte[32]));
        Assert.Throws<ArgumentException>(() => Tls13EarlySecrets.FromPsk(Sha256, ReadOnlySpan<byte>.Empty, Tls13PskKind.External));
    }

    [Fact]
    public void Psk_ke_mode_uses_the_zero_value_for_the_key_exchange()
    {
        // RFC 8446 §7.1: a missing (EC)DHE input is Hash.length zero bytes.
        using var early = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.Resumption);
        using var viaPskOnly = early.ToHandshakeWithoutKeyExchange(Hex(S3HashThroughServerHello));
        using var early2 = Tls13EarlySecrets.FromPsk(Sha256, Hex(S3ResumptionPsk), Tls13PskKind.Resumption);
        using var viaZeros = early2.ToHandshake(new byte[32], Hex(S3HashThroughServerHello));
        Assert.Equal(viaZeros.ClientTrafficSecret.ToArray(), viaPskOnly.ClientTrafficSecret.ToArray());
    }
}
