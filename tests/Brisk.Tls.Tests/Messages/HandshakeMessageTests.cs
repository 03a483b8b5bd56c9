using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Codec;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using static Brisk.Tls.Tests.Messages.Wire;

namespace Brisk.Tls.Tests.Messages;

/// <summary>Round trip, prefix and trailing-byte checks for every message other than the hellos, plus Rejects_* cases.</summary>
public class HandshakeMessageTests
{
    private sealed record Case(HandshakeType Type, Action<TlsWriter> Write, Func<byte[], Action<TlsWriter>> ParseThenWrite);

    private static readonly byte[] Der1 = Enumerable.Range(0, 300).Select(i => (byte)i).ToArray();
    private static readonly byte[] Der2 = [0x30, 0x03, 0x02, 0x01, 0x05];

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["Certificate12"] = new(HandshakeType.Certificate,
            new CertificateTls12 { CertificateList = [Der1, Der2] }.Write,
            b => CertificateTls12.Parse(b).Write),
        ["Certificate12Empty"] = new(HandshakeType.Certificate,
            new CertificateTls12 { CertificateList = [] }.Write,
            b => CertificateTls12.Parse(b).Write),
        ["Certificate13"] = new(HandshakeType.Certificate,
            new CertificateTls13
            {
                CertificateRequestContext = [1, 2],
                CertificateList =
                [
                    new CertificateEntry(Der1, [new TlsExtension(ExtensionType.StatusRequest, new byte[] { 1, 0, 0, 1, 0xAA })]),
                    new CertificateEntry(Der2),
                ],
            }.Write,
            b => CertificateTls13.Parse(b).Write),
        ["ServerKeyExchange"] = new(HandshakeType.ServerKeyExchange,
            new EcdheServerKeyExchange { NamedGroup = (ushort)NamedGroup.Secp256r1, PublicKey = [0x04, .. new byte[64]], SignatureScheme = SignatureScheme.EcdsaSecp256r1Sha256, Signature = [0x30, 0x06, 1, 2, 3, 4, 5, 6] }.Write,
            b => EcdheServerKeyExchange.Parse(b).Write),
        ["CertificateRequest12"] = new(HandshakeType.CertificateRequest,
            new CertificateRequestTls12
            {
                CertificateTypes = [ClientCertificateType.RsaSign, ClientCertificateType.EcdsaSign],
                SupportedSignatureAlgorithms = [SignatureScheme.RsaPkcs1Sha256, SignatureScheme.EcdsaSecp256r1Sha256],
                CertificateAuthorities = [Der2, [0x30, 0x00]],
            }.Write,
            b => CertificateRequestTls12.Parse(b).Write),
        ["CertificateRequest13"] = new(HandshakeType.CertificateRequest,
            new CertificateRequestTls13
            {
                CertificateRequestContext = [],
                SignatureAlgorithms = [SignatureScheme.RsaPssRsaeSha256, SignatureScheme.Ed25519],
                SignatureAlgorithmsCert = [SignatureScheme.RsaPkcs1Sha256],
                CertificateAuthorities = [Der2],
            }.Write,
            b => CertificateRequestTls13.Parse(b).Write),
        ["ServerHelloDone"] = new(HandshakeType.ServerHelloDone, ServerHelloDone.Instance.Write, b => ServerHelloDone.Parse(b).Write),
        ["EndOfEarlyData"] = new(HandshakeType.EndOfEarlyData, EndOfEarlyData.Instance.Write, b => EndOfEarlyData.Parse(b).Write),
        ["ClientKeyExchangeRsa"] = new(HandshakeType.ClientKeyExchange,
            new ClientKeyExchange { Algorithm = Brisk.Tls.Messages.KeyExchangeAlgorithm.Rsa, ExchangeKeys = Der1[..256] }.Write,
            b => ClientKeyExchange.ParseRsa(b).Write),
        ["ClientKeyExchangeEcdhe"] = new(HandshakeType.ClientKeyExchange,
            new ClientKeyExchange { Algorithm = Brisk.Tls.Messages.KeyExchangeAlgorithm.Ecdhe, ExchangeKeys = Der1[..32] }.Write,
            b => ClientKeyExchange.ParseEcdhe(b).Write),
        ["CertificateVerify"] = new(HandshakeType.CertificateVerify,
            new CertificateVerify { SignatureScheme = SignatureScheme.RsaPssRsaeSha256, Signature = Der1[..256] }.Write,
            b => CertificateVerify.Parse(b).Write),
        ["Finished12"] = new(HandshakeType.Finished,
            new Finished { VerifyData = Der1[..12] }.Write,
            b => Finished.Parse(b, 12).Write),
        ["Finished13"] = new(HandshakeType.Finished,
            new Finished { VerifyData = Der1[..48] }.Write,
            b => Finished.Parse(b, 48).Write),
        ["EncryptedExtensions"] = new(HandshakeType.EncryptedExtensions,
            new EncryptedExtensions { ServerNameAcknowledged = true, AlpnProtocol = "h2"u8.ToArray(), SupportedGroups = [0x1D, 0x17], EarlyData = true, RecordSizeLimit = 16385 }.Write,
            b => EncryptedExtensions.Parse(b).Write),
        ["EncryptedExtensionsEmpty"] = new(HandshakeType.EncryptedExtensions,
            new EncryptedExtensions().Write,
            b => EncryptedExtensions.Parse(b).Write),
        ["NewSessionTicket12"] = new(HandshakeType.NewSessionTicket,
            new NewSessionTicketTls12 { TicketLifetimeHint = 7200, Ticket = Der1[..100] }.Write,
            b => NewSessionTicketTls12.Parse(b).Write),
        ["NewSessionTicket13"] = new(HandshakeType.NewSessionTicket,
            new NewSessionTicketTls13 { TicketLifetime = 604800, TicketAgeAdd = 0xDEADBEEF, TicketNonce = [0, 1], Ticket = Der1[..80], MaxEarlyDataSize = 16384 }.Write,
            b => NewSessionTicketTls13.Parse(b).Write),
        ["KeyUpdate"] = new(HandshakeType.KeyUpdate,
            new KeyUpdate { RequestUpdate = KeyUpdateRequest.UpdateRequested }.Write,
            b => KeyUpdate.Parse(b).Write),
    };

    public static TheoryData<string> CaseNames() => new(Cases.Keys);

    private static BodyParser ParserFor(Case c) => body => c.ParseThenWrite(body.ToArray());

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Round_trip_reproduces_the_encoding(string name)
    {
        Case c = Cases[name];
        byte[] message = Encode(c.Write);
        byte[] body = Body(message, c.Type);
        Assert.Equal(Convert.ToHexString(message), Convert.ToHexString(Encode(c.ParseThenWrite(body))));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Every_proper_prefix_is_rejected(string name)
    {
        Case c = Cases[name];
        AssertEveryProperPrefixRejected(Body(Encode(c.Write), c.Type), ParserFor(c));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Rejects_trailing_bytes(string name)
    {
        Case c = Cases[name];
        AssertTrailingBytesRejected(Body(Encode(c.Write), c.Type), ParserFor(c));
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Mutated_encodings_fail_only_with_TlsProtocolException(string name)
    {
        Case c = Cases[name];
        byte[] body = Body(Encode(c.Write), c.Type);
        BodyParser parse = ParserFor(c);
        var random = new Random(name.Length * 7919);
        for (int i = 0; i < 1000; i++)
        {
            byte[] mutated = RealClientHelloTests.Mutate(body, random);
            var exception = Record.Exception(() => parse(mutated));
            Assert.True(exception is null or TlsProtocolException, $"mutation {i}: {exception}");
        }
    }

    [Fact]
    public void Parsed_fields_match_what_was_written()
    {
        var ticket = NewSessionTicketTls13.Parse(Body(Encode(Cases["NewSessionTicket13"].Write), HandshakeType.NewSessionTicket));
        Assert.Equal(604800u, ticket.TicketLifetime);
        Assert.Equal(0xDEADBEEF, ticket.TicketAgeAdd);
        Assert.Equal([0, 1], ticket.TicketNonce);
        Assert.Equal(16384u, ticket.MaxEarlyDataSize);

        var certificate = CertificateTls13.Parse(Body(Encode(Cases["Certificate13"].Write), HandshakeType.Certificate));
        Assert.Equal([1, 2], certificate.CertificateRequestContext);
        Assert.Equal(Der1, certificate.CertificateList[0].CertData);
        Assert.Equal(ExtensionType.StatusRequest, Assert.Single(certificate.CertificateList[0].Extensions).Type);
        Assert.Empty(certificate.CertificateList[1].Extensions);

        var extensions = EncryptedExtensions.Parse(Body(Encode(Cases["EncryptedExtensions"].Write), HandshakeType.EncryptedExtensions));
        Assert.True(extensions.ServerNameAcknowledged);
        Assert.Equal("h2"u8.ToArray(), extensions.AlpnProtocol);
        Assert.Equal([0x1D, 0x17], extensions.SupportedGroups!);
        Assert.True(extensions.EarlyData);
        Assert.Equal((ushort)16385, extensions.RecordSizeLimit);
        Assert.Equal(5, extensions.Extensions.Count);

        var request = CertificateRequestTls13.Parse(Body(Encode(Cases["CertificateRequest13"].Write), HandshakeType.CertificateRequest));
        Assert.Equal([SignatureScheme.RsaPssRsaeSha256, SignatureScheme.Ed25519], request.SignatureAlgorithms);
        Assert.Equal([Der2], request.CertificateAuthorities!);

        var keyExchange = ClientKeyExchange.ParseRsa(Body(Encode(Cases["ClientKeyExchangeRsa"].Write), HandshakeType.ClientKeyExchange));
        Assert.Equal(Brisk.Tls.Messages.KeyExchangeAlgorithm.Rsa, keyExchange.Algorithm);
        Assert.Equal(Der1[..256], keyExchange.ExchangeKeys);
    }

    [Fact]
    public void Server_key_exchange_signed_data_is_randoms_then_params()
    {
        byte[] clientRandom = Enumerable.Repeat((byte)0xC1, 32).ToArray();
        byte[] serverRandom = Enumerable.Repeat((byte)0x5E, 32).ToArray();
        byte[] point = Enumerable.Repeat((byte)0x99, 32).ToArray();
        byte[] signed = Encode(w => EcdheServerKeyExchange.WriteSignedData(w, clientRandom, serverRandom, (ushort)NamedGroup.X25519, point));
        Assert.Equal([.. clientRandom, .. serverRandom, 0x03, 0x00, 0x1D, 0x20, .. point], signed);
    }

    // ---- Rejects_* ----

    [Fact]
    public void Rejects_certificate_with_an_empty_entry()
    {
        Rejects(b => CertificateTls12.Parse(b), [0x00, 0x00, 0x03, 0x00, 0x00, 0x00], AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_certificate_list_length_past_the_body()
    {
        Rejects(b => CertificateTls12.Parse(b), [0x00, 0x00, 0x09, 0x00, 0x00, 0x01, 0xAA], AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_tls13_certificate_entry_with_duplicate_extensions()
    {
        byte[] body = Encode(w =>
        {
            w.WriteVector8([]);
            int list = w.BeginVector(3);
            w.WriteVector24(Der2);
            WriteExtensionsBlock(w, Extension(ExtensionType.StatusRequest, 1), Extension(ExtensionType.StatusRequest, 2));
            w.EndVector(list);
        });
        Rejects(b => CertificateTls13.Parse(b), body, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_server_key_exchange_with_explicit_curve()
    {
        byte[] body = [0x01, 0x00, 0x17, 0x01, 0x04, 0x04, 0x03, 0x00, 0x00];
        Rejects(b => EcdheServerKeyExchange.Parse(b), body, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_server_key_exchange_with_empty_point()
    {
        byte[] body = [0x03, 0x00, 0x1D, 0x00, 0x04, 0x03, 0x00, 0x00];
        Rejects(b => EcdheServerKeyExchange.Parse(b), body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_certificate_request_without_certificate_types()
    {
        byte[] body = [0x00, 0x00, 0x02, 0x04, 0x01, 0x00, 0x00];
        Rejects(b => CertificateRequestTls12.Parse(b), body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_certificate_request_with_empty_distinguished_name()
    {
        byte[] body = [0x01, 0x01, 0x00, 0x02, 0x04, 0x01, 0x00, 0x02, 0x00, 0x00];
        Rejects(b => CertificateRequestTls12.Parse(b), body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_tls13_certificate_request_without_signature_algorithms()
    {
        byte[] body = Encode(w =>
        {
            w.WriteVector8([]);
            WriteExtensionsBlock(w, Extension(ExtensionType.SignatureAlgorithmsCert, 0x00, 0x02, 0x04, 0x01));
        });
        Rejects(b => CertificateRequestTls13.Parse(b), body, AlertDescription.MissingExtension);
    }

    [Fact]
    public void Rejects_tls13_certificate_request_with_duplicate_extensions()
    {
        byte[] algorithms = Extension(ExtensionType.SignatureAlgorithms, 0x00, 0x02, 0x08, 0x04);
        byte[] body = Encode(w =>
        {
            w.WriteVector8([]);
            WriteExtensionsBlock(w, algorithms, algorithms);
        });
        Rejects(b => CertificateRequestTls13.Parse(b), body, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_non_empty_server_hello_done()
    {
        Rejects(b => ServerHelloDone.Parse(b), [0x00], AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_ecdhe_client_key_exchange_with_empty_point()
    {
        Rejects(b => ClientKeyExchange.ParseEcdhe(b), [0x00], AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_rsa_client_key_exchange_without_length_prefix()
    {
        // SSL 3.0 style (no uint16 length) ciphertext: the length read covers garbage.
        Rejects(b => ClientKeyExchange.ParseRsa(b), Der1[..256], AlertDescription.DecodeError);
    }

    [Theory]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(0)]
    public void Rejects_finished_of_the_wrong_length(int length)
    {
        Rejects(b => Finished.Parse(b, 12), new byte[length], AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_non_empty_server_name_acknowledgement()
    {
        byte[] body = Encode(w => WriteExtensionsBlock(w, Extension(ExtensionType.ServerName, 0x00)));
        Rejects(b => EncryptedExtensions.Parse(b), body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_encrypted_extensions_with_duplicate_extensions()
    {
        byte[] early = Extension(ExtensionType.EarlyData);
        byte[] body = Encode(w => WriteExtensionsBlock(w, early, early));
        Rejects(b => EncryptedExtensions.Parse(b), body, AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Rejects_tls13_ticket_that_is_empty()
    {
        byte[] body = Encode(w =>
        {
            w.WriteUInt32(100);
            w.WriteUInt32(1);
            w.WriteVector8([]);
            w.WriteVector16([]);
            w.WriteVector16([]);
        });
        Rejects(b => NewSessionTicketTls13.Parse(b), body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Rejects_tls13_ticket_with_short_early_data_extension()
    {
        byte[] body = Encode(w =>
        {
            w.WriteUInt32(100);
            w.WriteUInt32(1);
            w.WriteVector8([]);
            w.WriteVector16([1]);
            WriteExtensionsBlock(w, Extension(ExtensionType.EarlyData, 0x00, 0x00));
        });
        Rejects(b => NewSessionTicketTls13.Parse(b), body, AlertDescription.DecodeError);
    }

    [Fact]
    public void Tls13_ticket_writer_refuses_lifetimes_over_seven_days()
    {
        var ticket = new NewSessionTicketTls13 { TicketLifetime = 604801, TicketAgeAdd = 0, TicketNonce = [], Ticket = [1] };
        using var writer = new TlsWriter();
        Assert.Throws<InvalidOperationException>(() => ticket.Write(writer));
    }

    [Theory]
    [InlineData(2)]
    [InlineData(255)]
    public void Rejects_unknown_key_update_request(byte value)
    {
        Rejects(b => KeyUpdate.Parse(b), [value], AlertDescription.IllegalParameter);
    }

    [Fact]
    public void Handshake_header_needs_four_bytes()
    {
        Assert.False(HandshakeHeader.TryRead([0x01, 0x00, 0x00], out _, out _));
        Assert.True(HandshakeHeader.TryRead([0x14, 0x01, 0x02, 0x03], out HandshakeType type, out int length));
        Assert.Equal(HandshakeType.Finished, type);
        Assert.Equal(0x010203, length);
    }

    // ---- Alert (record content, not a handshake message) ----

    [Fact]
    public void Alert_round_trips()
    {
        Alert alert = Alert.Fatal(AlertDescription.NoApplicationProtocol);
        byte[] bytes = Encode(alert.Write);
        Assert.Equal([2, 120], bytes);
        Assert.Equal(alert, Alert.Parse(bytes));
        Span<byte> span = stackalloc byte[2];
        Alert.CloseNotify.Write(span);
        Assert.Equal([1, 0], span.ToArray());
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 2 })]
    [InlineData(new byte[] { 2, 40, 0 })]
    public void Rejects_alert_that_is_not_two_bytes(byte[] content)
    {
        Rejects(b => Alert.Parse(b), content, AlertDescription.DecodeError);
    }

    [Fact]
    public void Alert_carries_unknown_values_for_the_caller_to_treat_as_fatal()
    {
        Alert alert = Alert.Parse([7, 250]);
        Assert.Equal((AlertLevel)7, alert.Level);
        Assert.Equal((AlertDescription)250, alert.Description);
    }

    [Fact]
    public void Alert_descriptions_have_their_rfc_code_points()
    {
        Assert.Equal(100, (byte)AlertDescription.NoRenegotiation);
        Assert.Equal(112, (byte)AlertDescription.UnrecognizedName);
        Assert.Equal(116, (byte)AlertDescription.CertificateRequired);
        Assert.Equal(120, (byte)AlertDescription.NoApplicationProtocol);
        Assert.Equal(50, (byte)AlertDescription.DecodeError);
        Assert.Equal(47, (byte)AlertDescription.IllegalParameter);
        Assert.Equal(254, (byte)HandshakeType.MessageHash);
    }
}
