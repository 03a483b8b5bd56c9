using System.Security.Cryptography;
using System.Text;
using Brisk.Tls.Records;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// Bad and unusual record framing before the handshake completes: the exact alert bytes the server
/// writes, and that HandshakeAsync ends with false rather than an exception.
/// </summary>
public sealed class RecordLayerBadInputTests
{
    [Fact]
    public async Task Truncated_record_then_eof_ends_the_handshake_without_an_alert()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var hello = client.TakeClientHello();
        // A record header announcing the whole ClientHello, then only part of it, then FIN.
        var record = client.BuildRecord(ContentType.Handshake, hello);
        await client.SendRawAsync(record[..(record.Length / 2)]);
        await client.CompleteAsync();
        // Nobody is left to read an alert: the server just stops (RFC 5246 §7.2.1 truncation).
        await AlertAssert.HandshakeFailedSilentlyAsync(server);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task Partial_record_header_then_eof_ends_the_handshake_without_an_alert(int headerBytes)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync(new byte[] { 0x16, 0x03, 0x03, 0x00, 0x40 }[..headerBytes]);
        await client.CompleteAsync();
        await AlertAssert.HandshakeFailedSilentlyAsync(server);
    }

    [Fact]
    public async Task Eof_after_the_client_hello_ends_the_handshake_after_the_server_flight()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.CompleteAsync();
        await AlertAssert.HandshakeFailedSilentlyAsync(server);
    }

    [Theory]
    [InlineData(0x4001)] // 2^14 + 1: one more than a plaintext record may carry (RFC 5246 §6.2.1)
    [InlineData(0xFFFF)]
    public async Task Oversized_plaintext_record_gets_record_overflow_as_soon_as_the_header_arrives(int length)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        // Only the header: the alert must not wait for the announced bytes.
        await client.SendRawAsync([0x16, 0x03, 0x03, (byte)(length >> 8), (byte)length]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.RecordOverflow);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0x13)]
    [InlineData(0x18)] // heartbeat (RFC 6520): not supported, so unknown here
    [InlineData(0x19)]
    [InlineData(0x80)] // SSL 2.0 style ClientHello
    [InlineData(0xFF)]
    public async Task Unknown_content_type_gets_unexpected_message_from_the_first_byte(byte type)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync([type]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Plaintext_http_request_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Theory]
    [InlineData("00000000")]
    [InlineData("0d0a")]
    [InlineData("deadbeefcafebabe")]
    public async Task Garbage_before_the_client_hello_gets_unexpected_message(string garbageHex)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var record = client.BuildRecord(ContentType.Handshake, client.TakeClientHello());
        await client.SendRawAsync([.. Convert.FromHexString(garbageHex), .. record]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Garbage_that_frames_as_a_handshake_record_is_rejected()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        // A well-framed record whose handshake header claims a 14 MB message: refused on the header.
        await client.SendRawAsync([0x16, 0x03, 0x03, 0x00, 0x04, 0x01, 0xde, 0xad, 0xbe]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Record_version_that_is_not_tls_gets_protocol_version()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync([0x16, 0x02, 0x00, 0x00, 0x05]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.ProtocolVersion);
    }

    [Fact]
    public async Task Zero_length_handshake_record_gets_unexpected_message()
    {
        // RFC 5246 §6.2.1: zero-length fragments of handshake, alert or ChangeCipherSpec must not be sent.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRawAsync([0x16, 0x03, 0x03, 0x00, 0x00]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Application_data_before_the_client_hello_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRecordAsync(ContentType.ApplicationData, "hello"u8);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Change_cipher_spec_before_the_client_hello_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRecordAsync(ContentType.ChangeCipherSpec, [1]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Client_hello_in_one_byte_records_completes_the_handshake()
    {
        // RFC 5246 §6.2.1: a message may be fragmented across any number of records.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        foreach (byte b in client.TakeClientHello())
            await client.SendRecordAsync(ContentType.Handshake, [b]);
        await CompleteAfterHelloAsync(server, client);
    }

    [Fact]
    public async Task Client_hello_record_arriving_one_byte_per_write_completes_the_handshake()
    {
        // TCP may deliver a record in any number of pieces: the framing must wait, not fail.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        foreach (byte b in client.BuildRecord(ContentType.Handshake, client.TakeClientHello()))
            await client.SendRawAsync([b]);
        await CompleteAfterHelloAsync(server, client);
    }

    [Fact]
    public async Task Client_hello_split_unevenly_across_records_and_writes_completes_the_handshake()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var hello = client.TakeClientHello();
        // Three records of uneven sizes, all sent in one write.
        var records = new List<byte>();
        records.AddRange(client.BuildRecord(ContentType.Handshake, hello.AsSpan(0, 3)));
        records.AddRange(client.BuildRecord(ContentType.Handshake, hello.AsSpan(3, 50)));
        records.AddRange(client.BuildRecord(ContentType.Handshake, hello.AsSpan(53)));
        await client.SendRawAsync([.. records]);
        await CompleteAfterHelloAsync(server, client);
    }

    [Fact]
    public async Task Client_hello_larger_than_one_record_completes_the_handshake()
    {
        // A 40 KB ClientHello spans three records of at most 2^14 bytes (RFC 5246 §6.2.1).
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { SessionTicket = RandomNumberGenerator.GetBytes(40_000) };
        var hello = client.TakeClientHello();
        Assert.True(hello.Length > 2 * RecordFraming.MaxPlaintextLength);
        for (int offset = 0; offset < hello.Length; offset += RecordFraming.MaxPlaintextLength)
            await client.SendRecordAsync(ContentType.Handshake, hello.AsSpan(offset, Math.Min(RecordFraming.MaxPlaintextLength, hello.Length - offset)));
        await CompleteAfterHelloAsync(server, client);
    }

    [Theory]
    [InlineData(0x0300)]
    [InlineData(0x0301)]
    public async Task Client_hello_in_a_record_with_an_older_version_completes_the_handshake(ushort recordVersion)
    {
        // RFC 5246 Appendix E.1: clients commonly put {03,01} (or {03,00}) in the ClientHello's record header.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var record = client.BuildRecord(ContentType.Handshake, client.TakeClientHello());
        record[1] = (byte)(recordVersion >> 8);
        record[2] = (byte)recordVersion;
        await client.SendRawAsync(record);
        await CompleteAfterHelloAsync(server, client);
    }

    [Fact]
    public async Task Whole_client_flight_in_one_write_completes_the_handshake()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        var keyExchange = client.BuildRecord(ContentType.Handshake, client.CreateClientKeyExchange());
        var changeCipherSpec = client.BuildRecord(ContentType.ChangeCipherSpec, [1]);
        client.SwitchWriteKeys();
        var finished = client.BuildRecord(ContentType.Handshake, client.CreateFinished());
        var firstData = client.BuildRecord(ContentType.ApplicationData, "early"u8);
        // ClientKeyExchange, ChangeCipherSpec, Finished and application data in one transport write.
        await client.SendRawAsync([.. keyExchange, .. changeCipherSpec, .. finished, .. firstData]);
        await client.ReadServerFinishedAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        Assert.Equal("early"u8.ToArray(), await client.ReadApplicationDataAsync(5));
    }

    [Fact]
    public async Task Several_handshake_messages_in_one_record_complete_the_handshake()
    {
        // With a CertificateRequest the client sends Certificate and ClientKeyExchange; both go in one record.
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(clientAuthentication: ClientAuthenticationMode.Optional));
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        Assert.True(client.CertificateRequested);
        var certificate = client.EmptyCertificate();
        var keyExchange = client.CreateClientKeyExchange();
        await client.SendRecordAsync(ContentType.Handshake, [.. certificate, .. keyExchange]);
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished());
        await client.ReadServerFinishedAsync();
        Assert.True(await server.HandshakeResultAsync());
    }

    private static async Task CompleteAfterHelloAsync(InMemoryTlsServer server, Tls12TestClient client)
    {
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished());
        await client.ReadServerFinishedAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        await client.SendApplicationDataAsync("ping"u8);
        Assert.Equal("ping"u8.ToArray(), await client.ReadApplicationDataAsync(4));
    }
}
