using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// After the handshake: renegotiation refused with a warning, close_notify answered, and bad records
/// answered with an alert protected by the server's write keys (decrypted here with the keys the test
/// client derived), after which the record pumps finish without an exception.
/// </summary>
public sealed class EstablishedConnectionTests
{
    public static TheoryData<CipherSuite> Suites() => new()
    {
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    };

    private static async Task<(InMemoryTlsServer Server, Tls12TestClient Client)> EstablishAsync(CipherSuite suite)
    {
        var server = InMemoryTlsServer.Start();
        var client = new Tls12TestClient(server) { Suites = [suite] };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        return (server, client);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Renegotiation_client_hello_gets_a_no_renegotiation_warning_and_the_connection_keeps_working(CipherSuite suite)
    {
        var (server, client) = await EstablishAsync(suite);
        await using var _ = server;
        using var __ = client;

        await client.SendRecordAsync(ContentType.Handshake, Tls12TestClient.Encode(client.CreateClientHello()));
        // RFC 5746 §4.4 / RFC 5246 §7.2.2: warning(1) no_renegotiation(100), encrypted.
        await AlertAssert.EncryptedAlertAsync(client, AlertLevel.Warning, AlertDescription.NoRenegotiation);

        await client.SendApplicationDataAsync("still here"u8);
        Assert.Equal("still here"u8.ToArray(), await client.ReadApplicationDataAsync(10));
        Assert.Null(server.Connection.TerminatingAlert);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Close_notify_from_the_client_is_answered_with_close_notify(CipherSuite suite)
    {
        var (server, client) = await EstablishAsync(suite);
        await using var _ = server;
        using var __ = client;

        await client.SendApplicationDataAsync("bye"u8);
        Assert.Equal("bye"u8.ToArray(), await client.ReadApplicationDataAsync(3));
        await client.SendRecordAsync(ContentType.Alert, [(byte)AlertLevel.Warning, (byte)AlertDescription.CloseNotify]);

        // RFC 5246 §7.2.1: the other party responds with its own close_notify and closes.
        await AlertAssert.EncryptedAlertAsync(client, AlertLevel.Warning, AlertDescription.CloseNotify);
        Assert.True(await client.IsAtEndAsync());
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
    }

    [Fact]
    public async Task Application_data_and_close_notify_in_one_write_are_both_honoured()
    {
        // The data before close_notify is not truncated: the application gets it, echoes it, then ends.
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var _ = server;
        using var __ = client;

        var data = client.BuildRecord(ContentType.ApplicationData, "last words"u8);
        var closeNotify = client.BuildRecord(ContentType.Alert, [(byte)AlertLevel.Warning, (byte)AlertDescription.CloseNotify]);
        await client.SendRawAsync([.. data, .. closeNotify]);

        Assert.Equal("last words"u8.ToArray(), await client.ReadApplicationDataAsync(10));
        await AlertAssert.EncryptedAlertAsync(client, AlertLevel.Warning, AlertDescription.CloseNotify);
        Assert.True(await client.IsAtEndAsync());
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Tampered_application_data_record_gets_an_encrypted_bad_record_mac(CipherSuite suite)
    {
        var (server, client) = await EstablishAsync(suite);
        await using var _ = server;
        using var __ = client;

        var record = client.BuildRecord(ContentType.ApplicationData, "hello"u8);
        record[^3] ^= 0x10;
        await client.SendRawAsync(record);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Replayed_application_data_record_gets_bad_record_mac()
    {
        // The sequence number is in the additional data (RFC 5246 §6.2.3.3): a replay fails authentication.
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
        await using var _ = server;
        using var __ = client;

        var record = client.BuildRecord(ContentType.ApplicationData, "once"u8);
        await client.SendRawAsync(record);
        Assert.Equal("once"u8.ToArray(), await client.ReadApplicationDataAsync(4));
        await client.SendRawAsync(record);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Oversized_ciphertext_record_gets_an_encrypted_record_overflow()
    {
        // RFC 5246 §6.2.3: TLSCiphertext.length must not exceed 2^14 + 2048; refused on the header.
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var _ = server;
        using var __ = client;

        int length = RecordFraming.MaxTls12CiphertextLength + 1;
        await client.SendRawAsync([0x17, 0x03, 0x03, (byte)(length >> 8), (byte)length]);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.RecordOverflow);
    }

    [Fact]
    public async Task Decrypted_record_over_two_to_the_fourteen_gets_an_encrypted_record_overflow()
    {
        // Legal ciphertext length, but the plaintext inside exceeds 2^14 (RFC 5246 §6.2.3).
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var _ = server;
        using var __ = client;

        var plaintext = new byte[RecordFraming.MaxPlaintextLength + 1];
        // RecordProtection refuses to seal more than 2^14, so seal 2^14 + 1 bytes by hand with the client's
        // next sequence number (1: the Finished was 0).
        var record = SealTls12GcmByHand(client.ClientWriteKey, client.ClientWriteIv, sequence: 1, ContentType.ApplicationData, plaintext);
        await client.SendRawAsync(record);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.RecordOverflow);
    }

    [Theory]
    [InlineData(ContentType.ChangeCipherSpec)]
    [InlineData((ContentType)0x18)]
    public async Task Unexpected_record_type_after_the_handshake_gets_an_encrypted_unexpected_message(ContentType type)
    {
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var _ = server;
        using var __ = client;

        if ((byte)type is 20 or 21 or 22 or 23)
            await client.SendRecordAsync(type, [1]);
        else
            await client.SendRawAsync([(byte)type, 0x03, 0x03, 0x00, 0x01, 0x01]);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Post_handshake_message_other_than_client_hello_gets_an_encrypted_unexpected_message()
    {
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256);
        await using var _ = server;
        using var __ = client;

        await client.SendRecordAsync(ContentType.Handshake, [(byte)HandshakeType.Finished, 0, 0, 12, .. new byte[12]]);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Eof_without_close_notify_ends_the_pumps_without_an_exception()
    {
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var _ = server;
        using var __ = client;

        await client.CompleteAsync();
        // The application sees end of input and finishes; the server then sends close_notify.
        await AlertAssert.EncryptedAlertAsync(client, AlertLevel.Warning, AlertDescription.CloseNotify);
        Assert.True(await client.IsAtEndAsync());
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
    }

    [Fact]
    public async Task Empty_application_data_record_is_accepted()
    {
        // RFC 5246 §6.2.1: zero-length application data fragments may be sent (traffic-analysis countermeasure).
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384);
        await using var _ = server;
        using var __ = client;

        await client.SendApplicationDataAsync([]);
        await client.SendApplicationDataAsync("after empty"u8);
        Assert.Equal("after empty"u8.ToArray(), await client.ReadApplicationDataAsync(11));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Alert_of_the_wrong_length_gets_an_encrypted_decode_error(int length)
    {
        var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
        await using var _ = server;
        using var __ = client;

        await client.SendRecordAsync(ContentType.Alert, new byte[length]);
        await AlertAssert.EncryptedFatalAlertThenEndAsync(server, client, AlertDescription.DecodeError);
    }

    [Fact]
    public async Task Handshake_bytes_after_the_client_finished_in_the_same_record_get_an_encrypted_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] };
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync([.. client.CreateFinished(), (byte)HandshakeType.ClientHello, 0]);
        await client.ReadServerFinishedAsync();
        // The server's keys are on by now: its alert is encrypted.
        await AlertAssert.EncryptedAlertAsync(client, AlertLevel.Fatal, AlertDescription.UnexpectedMessage);
        Assert.True(await client.IsAtEndAsync());
        Assert.False(await server.HandshakeResultAsync());
    }

    [Theory]
    [MemberData(nameof(Suites))]
    public async Task Records_straddling_tiny_transport_segments_are_handled(CipherSuite suite)
    {
        // 16-byte pipe segments: every record, handshake and application, spans several segments, so the
        // copy-to-rented-buffer paths of both the handshake and the application pump are exercised.
        var tiny = new System.IO.Pipelines.PipeOptions(pool: System.Buffers.MemoryPool<byte>.Shared, minimumSegmentSize: 16, useSynchronizationContext: false);
        var probe = new System.IO.Pipelines.Pipe(tiny);
        await probe.Writer.WriteAsync(new byte[100]);
        Assert.True(probe.Reader.TryRead(out var probed));
        Assert.False(probed.Buffer.IsSingleSegment); // the premise of this test
        await using var server = InMemoryTlsServer.Start(transportOptions: tiny);
        using var client = new Tls12TestClient(server) { Suites = [suite] };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(20_000);
        await client.SendApplicationDataAsync(data.AsSpan(0, 1 << 14));
        await client.SendApplicationDataAsync(data.AsSpan(1 << 14));
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
    }

    [Fact]
    public async Task Nothing_follows_a_fatal_alert_even_while_the_application_is_writing()
    {
        // RFC 5246 §7.2.2: after a fatal alert the connection is closed. The receive pump sends the alert
        // while the send pump is busy echoing; no application record may slip out after the alert.
        for (int round = 0; round < 5; round++)
        {
            var (server, client) = await EstablishAsync(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
            await using var _ = server;
            using var __ = client;

            var burst = new List<byte>();
            for (int i = 0; i < 64; i++)
                burst.AddRange(client.BuildRecord(ContentType.ApplicationData, new byte[2000]));
            var bad = client.BuildRecord(ContentType.ApplicationData, "x"u8);
            bad[^1] ^= 1;
            await client.SendRawAsync([.. burst, .. bad]);

            var records = new List<ReceivedRecord>();
            while (await client.ReadRecordAsync() is { } record)
                records.Add(record);
            Assert.NotEmpty(records);
            var last = records[^1];
            Assert.Equal(ContentType.Alert, last.Type);
            Assert.Equal(Convert.ToHexString([2, (byte)AlertDescription.BadRecordMac]), Convert.ToHexString(last.Content));
            Assert.Single(records, r => r.Type == ContentType.Alert);
            Assert.True(records.Take(records.Count - 1).All(r => r.Type == ContentType.ApplicationData));
            await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
        }
    }

    /// <summary>RFC 5246 §6.2.3.3 / RFC 5288 §3 written out with System.Security.Cryptography.AesGcm.</summary>
    private static byte[] SealTls12GcmByHand(byte[] key, byte[] salt, ulong sequence, ContentType type, byte[] plaintext)
    {
        var nonce = new byte[12];
        salt.CopyTo(nonce, 0);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(nonce.AsSpan(4), sequence);
        var aad = new byte[13];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(aad, sequence);
        aad[8] = (byte)type;
        aad[9] = 3;
        aad[10] = 3;
        aad[11] = (byte)(plaintext.Length >> 8);
        aad[12] = (byte)plaintext.Length;
        int bodyLength = 8 + plaintext.Length + 16;
        var record = new byte[5 + bodyLength];
        record[0] = (byte)type;
        record[1] = 3;
        record[2] = 3;
        record[3] = (byte)(bodyLength >> 8);
        record[4] = (byte)bodyLength;
        nonce.AsSpan(4).CopyTo(record.AsSpan(5));
        using var aes = new System.Security.Cryptography.AesGcm(key, 16);
        aes.Encrypt(nonce, plaintext, record.AsSpan(13, plaintext.Length), record.AsSpan(13 + plaintext.Length, 16), aad);
        return record;
    }
}
