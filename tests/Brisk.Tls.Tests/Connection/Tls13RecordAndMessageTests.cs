using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using Brisk.Tls.Records;

namespace Brisk.Tls.Tests.Connection;

/// <summary>
/// More TLS 1.3 deviations (RFC 8446): invalid key shares, raw extension tricks, record framing and inner
/// plaintext rules, message boundaries at key changes, and what a well-behaved client may do (padding,
/// fragmentation, pipelined data, close_notify).
/// </summary>
public sealed class Tls13RecordAndMessageTests
{
    private static TlsServerOptions Options(IReadOnlyList<NamedGroup>? groups = null) => new()
    {
        EnableTls13 = true,
        Certificates = [TestCredentials.Ecdsa, TestCredentials.Rsa],
        KeyExchange = LibCryptoKeyExchangeProvider.Instance,
        RecordCrypto = SystemAeadProvider.Instance,
        Groups = groups ?? [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1],
    };

    private static async Task<(InMemoryTlsServer, Tls13TestClient)> AfterServerFlightAsync()
    {
        var server = InMemoryTlsServer.Start(Options());
        var client = new Tls13TestClient(server);
        await client.SendClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        return (server, client);
    }

    private static async Task<(InMemoryTlsServer, Tls13TestClient)> EstablishedAsync()
    {
        var server = InMemoryTlsServer.Start(Options());
        var client = new Tls13TestClient(server);
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        return (server, client);
    }

    private static async Task EchoesAsync(InMemoryTlsServer server, Tls13TestClient client)
    {
        var data = RandomNumberGenerator.GetBytes(700);
        await client.SendApplicationDataAsync(data);
        Assert.Equal(data, await client.ReadApplicationDataAsync(data.Length));
    }

    // ---- Key shares (RFC 8446 §4.2.8.2) ----------------------------------------------------------------

    [Fact]
    public async Task P256_share_that_is_not_on_the_curve_gets_illegal_parameter()
    {
        var point = new byte[65];
        point[0] = 4;
        point[64] = 1; // (0, 1) is not on P-256
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { KeySharesOverride = [new KeyShareEntry((ushort)NamedGroup.Secp256r1, point)] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task X25519_share_of_the_wrong_length_gets_illegal_parameter()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { KeySharesOverride = [new KeyShareEntry((ushort)NamedGroup.X25519, RandomNumberGenerator.GetBytes(31))] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task X25519_all_zero_share_gets_illegal_parameter()
    {
        // RFC 8446 §7.4.2 / RFC 7748 §6.1: an all-zero shared secret (low-order point) must be rejected.
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { KeySharesOverride = [new KeyShareEntry((ushort)NamedGroup.X25519, new byte[32])] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Unknown_groups_only_get_handshake_failure()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { Groups = [0x001E], KeySharesOverride = [new KeyShareEntry(0x001E, RandomNumberGenerator.GetBytes(56))] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Unknown_group_share_first_is_passed_over()
    {
        // A share for a group the server does not know (x448 here) comes first; the X25519 one is used.
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server)
        {
            Groups = [0x001E, (ushort)NamedGroup.X25519],
            KeyShareGroups = [(ushort)NamedGroup.X25519],
        };
        client.KeySharesOverride = [new KeyShareEntry(0x001E, RandomNumberGenerator.GetBytes(56)), .. client.CreateClientHello().KeyShares!];
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
        Assert.Equal(NamedGroup.X25519, server.Connection.Info.Group);
    }

    // ---- ClientHello negotiation --------------------------------------------------------------------

    [Fact]
    public async Task No_common_tls13_suite_gets_handshake_failure()
    {
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { Suites = [(CipherSuite)0x1304] }; // TLS_AES_128_CCM_SHA256
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Only_pkcs1_signature_algorithms_get_handshake_failure()
    {
        // RFC 8446 §4.2.3: RSASSA-PKCS1-v1_5 is not a TLS 1.3 CertificateVerify scheme, so no certificate fits.
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { SignatureAlgorithms = [SignatureScheme.RsaPkcs1Sha256] };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.HandshakeFailure);
    }

    [Fact]
    public async Task Pre_shared_key_that_is_not_the_last_extension_gets_illegal_parameter()
    {
        // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension; otherwise illegal_parameter.
        byte[] psk =
        [
            0x00, 0x0A, 0x00, 0x04, 1, 2, 3, 4, 0, 0, 0, 0,        // identities: one 4-byte identity, age 0
            0x00, 0x21, 0x20, .. new byte[32],                    // binders: one 32-byte binder
        ];
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server)
        {
            ClientHelloTransform = hello => Tls13TestClient.AppendExtension(
                Tls13TestClient.AppendExtension(Tls13TestClient.AppendExtension(hello, (ushort)ExtensionType.PskKeyExchangeModes, [1, 1]),
                    (ushort)ExtensionType.PreSharedKey, psk),
                0x0015 /* padding */, [0, 0]),
        };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Unknown_extension_is_ignored()
    {
        // RFC 8446 §4.2: unknown extensions are ignored (GREASE, RFC 8701).
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server) { ClientHelloTransform = hello => Tls13TestClient.AppendExtension(hello, 0x3A3A, [1, 2, 3]) };
        await client.HandshakeAsync();
        Assert.True(await server.HandshakeResultAsync());
    }

    [Fact]
    public async Task Second_client_hello_still_offering_early_data_gets_illegal_parameter()
    {
        // RFC 8446 §4.1.2: the second ClientHello must drop early_data.
        await using var server = InMemoryTlsServer.Start(Options(groups: [NamedGroup.Secp384r1]));
        using var client = new Tls13TestClient(server) { EarlyData = true };
        await client.SendClientHelloAsync();
        Assert.False(await client.ReadServerHelloAsync());
        await client.SendSecondClientHelloAsync(earlyData: true);
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Client_change_cipher_spec_between_the_client_hellos_is_ignored()
    {
        // Appendix D.4: a compatibility-mode client sends its change_cipher_spec before the second ClientHello.
        await using var server = InMemoryTlsServer.Start(Options(groups: [NamedGroup.Secp256r1]));
        using var client = new Tls13TestClient(server) { SessionId = RandomNumberGenerator.GetBytes(32) };
        await client.SendClientHelloAsync();
        Assert.False(await client.ReadServerHelloAsync());
        await client.SendRawAsync(Tls13TestClient.PlaintextRecord(ContentType.ChangeCipherSpec, [1], ProtocolVersion.Tls12));
        await client.SendSecondClientHelloAsync();
        Assert.True(await client.ReadServerHelloAsync());
        await client.ReadServerFlightAsync();
        await client.SendClientFlightAsync();
        Assert.True(await server.HandshakeResultAsync());
    }

    [Fact]
    public async Task Malformed_change_cipher_spec_gets_unexpected_message()
    {
        // RFC 8446 §5: a change_cipher_spec other than the single byte 0x01 is unexpected_message.
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRawAsync(Tls13TestClient.PlaintextRecord(ContentType.ChangeCipherSpec, [2], ProtocolVersion.Tls12));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Protected_change_cipher_spec_gets_unexpected_message()
    {
        // RFC 8446 §5: a change_cipher_spec under the handshake keys is unexpected_message.
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRecordAsync(ContentType.ChangeCipherSpec, [1]);
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    // ---- Client flight ---------------------------------------------------------------------------------

    [Fact]
    public async Task Finished_of_the_wrong_length_gets_decode_error()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync([(byte)HandshakeType.Finished, 0, 0, 12, .. new byte[12]]);
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.DecodeError);
    }

    [Fact]
    public async Task Application_data_before_the_client_finished_gets_unexpected_message()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendApplicationDataAsync("early"u8);
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Key_update_before_the_client_finished_gets_unexpected_message()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateKeyUpdate(KeyUpdateRequest.UpdateNotRequested));
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Data_after_finished_in_the_same_record_gets_unexpected_message()
    {
        // RFC 8446 §5.1: a message that changes keys (Finished) must end its record.
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync([.. client.CreateFinished(), .. client.CreateKeyUpdate(KeyUpdateRequest.UpdateNotRequested)]);
        await Tls13AlertAssert.EncryptedFatalAlertAsync(client, AlertDescription.UnexpectedMessage);
        Assert.False(await server.HandshakeResultAsync());
        Assert.Equal(AlertDescription.UnexpectedMessage, server.Connection.TerminatingAlert);
    }

    [Fact]
    public async Task Finished_split_across_two_records_completes()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        var finished = client.CreateFinished();
        await client.SendHandshakeAsync(finished[..5]);
        await client.SendHandshakeAsync(finished[5..]);
        client.SwitchToApplicationWriteKeys();
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task Data_pipelined_right_after_finished_is_delivered()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(client.CreateFinished());
        client.SwitchToApplicationWriteKeys();
        await client.SendApplicationDataAsync("pipelined"u8);
        Assert.True(await server.HandshakeResultAsync());
        server.StartEcho();
        Assert.Equal("pipelined"u8.ToArray(), await client.ReadApplicationDataAsync(9));
    }

    [Fact]
    public async Task Client_alert_during_the_handshake_ends_it_silently()
    {
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRecordAsync(ContentType.Alert, [2, (byte)AlertDescription.BadCertificate]);
        Assert.False(await server.HandshakeResultAsync());
        Assert.Equal(AlertDescription.BadCertificate, server.Connection.TerminatingAlert);
    }

    // ---- Records after the handshake (RFC 8446 §5.2, §5.4, §4.6.3) ----------------------------------------

    [Fact]
    public async Task Padded_record_is_accepted()
    {
        // Seal appends the type byte; content = data || application_data || zeros with "type" 0 yields a padded
        // TLSInnerPlaintext whose last non-zero byte is the real type (§5.4).
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRecordAsync(0, [.. "padded"u8, (byte)ContentType.ApplicationData, .. new byte[100]]);
        Assert.Equal("padded"u8.ToArray(), await client.ReadApplicationDataAsync(6));
    }

    [Fact]
    public async Task Record_of_only_padding_gets_unexpected_message()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRecordAsync(0, new byte[10]);
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Plaintext_over_2_14_bytes_gets_record_overflow()
    {
        // §5.4: TLSInnerPlaintext content may not exceed 2^14 bytes (here 2^14 + 1, inside a legal ciphertext size).
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRawAsync(client.BuildRawApplicationRecord([.. new byte[RecordFraming.MaxPlaintextLength + 1], (byte)ContentType.ApplicationData]));
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.RecordOverflow);
    }

    [Fact]
    public async Task Ciphertext_over_2_14_plus_256_gets_record_overflow()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRawAsync([0x17, 0x03, 0x03, 0x41, 0x01]);
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.RecordOverflow);
    }

    [Fact]
    public async Task Unknown_key_update_value_gets_illegal_parameter()
    {
        // RFC 8446 §4.6.3: request_update other than 0 or 1 is illegal_parameter.
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync([(byte)HandshakeType.KeyUpdate, 0, 0, 1, 2]);
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Post_handshake_client_hello_gets_unexpected_message()
    {
        // TLS 1.3 has no renegotiation (RFC 8446 §4.1.2).
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendHandshakeAsync(Tls13TestClient.Encode(client.CreateClientHello()));
        await Tls13AlertAssert.EncryptedApplicationAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Close_notify_gets_close_notify_back()
    {
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await EchoesAsync(server, client);
        await client.SendRecordAsync(ContentType.Alert, [1, 0]);
        var record = await client.ReadRecordAsync();
        Assert.NotNull(record);
        Assert.Equal(ContentType.Alert, record.Type);
        Assert.Equal("0100", Convert.ToHexString(record.Content));
        await server.Running!.WaitAsync(InMemoryTlsServer.Guard);
        Assert.Null(server.Connection.TerminatingAlert);
    }

    [Fact]
    public async Task Empty_handshake_record_during_the_handshake_gets_unexpected_message()
    {
        // RFC 8446 §5.1: zero-length fragments of handshake messages MUST NOT be sent.
        var (server, client) = await AfterServerFlightAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendRecordAsync(ContentType.Handshake, []);
        await Tls13AlertAssert.EncryptedHandshakeAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }

    [Fact]
    public async Task Empty_application_data_records_are_allowed()
    {
        // RFC 8446 §5.1: zero-length application data fragments MAY be sent (traffic analysis countermeasure).
        var (server, client) = await EstablishedAsync();
        await using var _ = server;
        using var __ = client;
        await client.SendApplicationDataAsync([]);
        await client.SendApplicationDataAsync([]);
        await EchoesAsync(server, client);
    }

    [Fact]
    public async Task Duplicate_extension_is_refused()
    {
        // RFC 8446 §4.2: at most one extension of a type per block.
        await using var server = InMemoryTlsServer.Start(Options());
        using var client = new Tls13TestClient(server)
        {
            ClientHelloTransform = hello => Tls13TestClient.AppendExtension(hello, (ushort)ExtensionType.SupportedGroups, [0x00, 0x02, 0x00, 0x1D]),
        };
        await client.SendClientHelloAsync();
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.IllegalParameter);
    }

    [Fact]
    public async Task Finished_instead_of_the_second_client_hello_gets_unexpected_message()
    {
        await using var server = InMemoryTlsServer.Start(Options(groups: [NamedGroup.Secp384r1]));
        using var client = new Tls13TestClient(server);
        await client.SendClientHelloAsync();
        Assert.False(await client.ReadServerHelloAsync());
        await client.SendHandshakeAsync([(byte)HandshakeType.Finished, 0, 0, 32, .. new byte[32]]);
        await Tls13AlertAssert.PlaintextFatalAlertThenEndAsync(server, client, AlertDescription.UnexpectedMessage);
    }
}
