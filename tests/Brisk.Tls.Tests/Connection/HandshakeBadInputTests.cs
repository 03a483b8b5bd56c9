using System.Text;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// Bad ClientHellos and handshake messages out of order, each answered with the exact plaintext alert
/// record (the server's write keys are not on before its own ChangeCipherSpec).
/// </summary>
public sealed class HandshakeBadInputTests
{
    [Theory]
    [InlineData(ProtocolVersion.Tls11)]
    [InlineData(ProtocolVersion.Tls10)]
    [InlineData(ProtocolVersion.Ssl30)]
    public async Task Client_hello_offering_only_old_versions_gets_protocol_version(ushort version)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { LegacyVersion = version };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.ProtocolVersion);
    }

    [Fact]
    public async Task Supported_versions_without_tls12_gets_protocol_version()
    {
        // RFC 8446 §4.2.1: with supported_versions present, legacy_version is ignored.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { SupportedVersions = [ProtocolVersion.Tls11, ProtocolVersion.Tls10] };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.ProtocolVersion);
    }

    [Fact]
    public async Task Only_cbc_rc4_export_and_anonymous_suites_get_handshake_failure()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server)
        {
            Suites =
            [
                CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, CipherSuite.TLS_RSA_WITH_AES_256_CBC_SHA,
                (CipherSuite)0x0005, // TLS_RSA_WITH_RC4_128_SHA
                (CipherSuite)0x0003, // TLS_RSA_EXPORT_WITH_RC4_40_MD5
                (CipherSuite)0x0034, // TLS_DH_anon_WITH_AES_128_CBC_SHA
                (CipherSuite)0xC018, // TLS_ECDH_anon_WITH_AES_128_CBC_SHA
                (CipherSuite)0x0000, // TLS_NULL_WITH_NULL_NULL
                CipherSuite.TLS_EMPTY_RENEGOTIATION_INFO_SCSV,
            ],
        };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Ecdhe_only_client_without_a_common_group_gets_handshake_failure()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server)
        {
            Suites = [CipherSuite.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256],
            Groups = [0x0019, 0x001E], // secp521r1, x448
        };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Client_hello_without_null_compression_gets_illegal_parameter()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { CompressionMethods = [1] }; // DEFLATE only
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Non_empty_renegotiation_info_on_an_initial_handshake_gets_handshake_failure()
    {
        // RFC 5746 §3.6: the server MUST abort with handshake_failure.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { RenegotiationInfo = new byte[12] };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Alpn_offer_without_overlap_gets_no_application_protocol()
    {
        // RFC 7301 §3.2.
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(applicationProtocols: ["http/1.1"]));
        using var client = new Tls12TestClient(server) { AlpnProtocols = [Encoding.ASCII.GetBytes("h2"), Encoding.ASCII.GetBytes("spdy/3")] };
        await client.SendClientHelloAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.NoApplicationProtocol);
    }

    [Fact]
    public async Task Malformed_client_hello_gets_decode_error()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var hello = client.TakeClientHello();
        // Cut the body short and fix up the handshake length so only the content is inconsistent.
        var truncated = hello[..^3];
        int bodyLength = truncated.Length - HandshakeHeader.Length;
        truncated[1] = (byte)(bodyLength >> 16);
        truncated[2] = (byte)(bodyLength >> 8);
        truncated[3] = (byte)bodyLength;
        await client.SendRecordAsync(ContentType.Handshake, truncated);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.DecodeError);
    }

    [Fact]
    public async Task Client_key_exchange_before_client_hello_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendRecordAsync(ContentType.Handshake, [(byte)HandshakeType.ClientKeyExchange, 0, 0, 2, 1, 0]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Finished_before_client_key_exchange_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendRecordAsync(ContentType.Handshake, [(byte)HandshakeType.Finished, 0, 0, 12, .. new byte[12]]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Change_cipher_spec_before_client_key_exchange_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendRecordAsync(ContentType.ChangeCipherSpec, [1]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Plaintext_finished_after_client_key_exchange_without_change_cipher_spec_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendHandshakeAsync(client.CreateFinished());
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Second_client_hello_during_the_handshake_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendRecordAsync(ContentType.Handshake, Tls12TestClient.Encode(client.CreateClientHello()));
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Two_client_hellos_in_one_record_get_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var hello = client.TakeClientHello();
        await client.SendRecordAsync(ContentType.Handshake, [.. hello, .. hello]);
        await client.ReadServerFlightAsync();
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Change_cipher_spec_inside_a_fragmented_handshake_message_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        var keyExchange = client.CreateClientKeyExchange();
        await client.SendRecordAsync(ContentType.Handshake, keyExchange.AsSpan(0, 3));
        await client.SendRecordAsync(ContentType.ChangeCipherSpec, [1]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Alert_inside_a_fragmented_handshake_message_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        var hello = client.TakeClientHello();
        await client.SendRecordAsync(ContentType.Handshake, hello.AsSpan(0, 10));
        await client.SendRecordAsync(ContentType.Alert, [1, (byte)AlertDescription.UserCanceled]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Change_cipher_spec_with_a_wrong_body_gets_decode_error()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendRecordAsync(ContentType.ChangeCipherSpec, [1, 1]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.DecodeError);
    }

    [Fact]
    public async Task Application_data_between_change_cipher_spec_and_finished_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        await client.SendApplicationDataAsync("too early"u8);
        // The server's own keys are not on yet: its alert is plaintext.
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Plaintext_application_data_after_the_server_flight_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendRecordAsync(ContentType.ApplicationData, "GET /"u8);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Wrong_client_finished_gets_decrypt_error()
    {
        // RFC 5246 §7.4.9: a Finished that does not verify is fatal with decrypt_error.
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync(client.CreateFinished(corrupt: true));
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.DecryptError);
    }

    [Fact]
    public async Task Finished_with_a_wrong_length_gets_decode_error()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        await client.SendHandshakeAsync([(byte)HandshakeType.Finished, 0, 0, 11, .. new byte[11]]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.DecodeError);
    }

    public static TheoryData<string> TamperPlaces() => new() { "explicit-nonce", "ciphertext", "tag", "type", "truncated" };

    [Theory]
    [MemberData(nameof(TamperPlaces))]
    public async Task Tampered_encrypted_finished_record_gets_bad_record_mac(string place)
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server) { Suites = [CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256] };
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await client.SendChangeCipherSpecAsync();
        var record = client.BuildRecord(ContentType.Handshake, client.CreateFinished());
        switch (place)
        {
            case "explicit-nonce": record[RecordFraming.HeaderLength] ^= 1; break;
            case "ciphertext": record[RecordFraming.HeaderLength + 8] ^= 1; break;
            case "tag": record[^1] ^= 0x80; break;
            // The type is authenticated through the additional data (RFC 5246 §6.2.3.3).
            case "type": record[0] = (byte)ContentType.Alert; break;
            // Shorter than explicit nonce + tag: cannot even be opened.
            case "truncated": record = [.. record[..3], 0, 10, .. record[5..15]]; break;
        }
        await client.SendRawAsync(record);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.BadRecordMac);
    }

    [Fact]
    public async Task Client_certificate_that_was_not_requested_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        Assert.False(client.CertificateRequested);
        await client.SendHandshakeAsync(client.EmptyCertificate());
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Unparsable_client_certificate_gets_bad_certificate()
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(clientAuthentication: ClientAuthenticationMode.Optional));
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        Assert.True(client.CertificateRequested);
        using var writer = new Brisk.Tls.Codec.TlsWriter();
        new CertificateTls12 { CertificateList = [[0x30, 0x03, 0x02, 0x01, 0x01]] }.Write(writer);
        await client.SendHandshakeAsync(writer.ToArray());
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.BadCertificate);
    }

    [Fact]
    public async Task Missing_client_certificate_when_required_gets_handshake_failure()
    {
        // RFC 5246 §7.4.6: a server that requires client authentication may answer with handshake_failure.
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(clientAuthentication: ClientAuthenticationMode.Require));
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.EmptyCertificate());
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Client_key_exchange_instead_of_the_requested_certificate_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start(TestCredentials.Options(clientAuthentication: ClientAuthenticationMode.Optional));
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendHandshakeAsync(client.CreateClientKeyExchange());
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Fatal_alert_from_the_client_ends_the_handshake_without_an_answer()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        await client.SendRecordAsync(ContentType.Alert, [2, (byte)AlertDescription.BadCertificate]);
        await AlertAssert.HandshakeFailedSilentlyAsync(server, alertReceived: AlertDescription.BadCertificate);
    }

    [Fact]
    public async Task Warning_alerts_are_tolerated_but_not_without_limit()
    {
        await using var server = InMemoryTlsServer.Start();
        using var client = new Tls12TestClient(server);
        await client.SendClientHelloAsync();
        await client.ReadServerFlightAsync();
        for (int i = 0; i < 5; i++)
            await client.SendRecordAsync(ContentType.Alert, [1, (byte)AlertDescription.UnrecognizedName]);
        await AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }
}
