using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Brisk.Crypto.KeyExchange;
using Brisk.Tls.Messages;
using Brisk.Tls.Protocol;
using static Brisk.Tls.Tests.Messages.Wire;

namespace Brisk.Tls.Tests.Messages;

/// <summary>Server flights recorded from openssl s_server (TestData/ServerFlight/README.md).</summary>
public class RealServerFlightTests
{
    private static byte[][] LoadFlight(string name) =>
        File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "TestData", "ServerFlight", name))
            .Where(line => line.Length > 0)
            .Select(Hex)
            .ToArray();

    private static byte[] ClientRandom(string helloName) =>
        ClientHello.Parse(Body(RealClientHelloTests.Load(helloName), HandshakeType.ClientHello)).Random;

    [Fact]
    public void Tls12_ecdsa_flight_parses_and_the_key_exchange_signature_verifies()
    {
        byte[][] flight = LoadFlight("openssl_tls12_ecdsa.hex");
        ServerHello hello = ServerHello.Parse(Body(flight[0], HandshakeType.ServerHello));
        Assert.Equal(CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, hello.CipherSuite);
        Assert.False(hello.IsHelloRetryRequest);
        Assert.Empty(hello.RenegotiationInfo!);
        Assert.True(hello.ExtendedMasterSecret);
        Assert.True(hello.SessionTicket);
        Assert.Equal([0, 1, 2], hello.EcPointFormats!);
        Assert.Null(hello.SupportedVersion);
        Assert.False(hello.Random.AsSpan(24).SequenceEqual(ServerHello.DowngradeSentinelTls12)); // 1.2-only server

        CertificateTls12 certificate = CertificateTls12.Parse(Body(flight[1], HandshakeType.Certificate));
        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(Assert.Single(certificate.CertificateList));
        Assert.Equal("CN=brisk.test", leaf.Subject);

        EcdheServerKeyExchange keyExchange = EcdheServerKeyExchange.Parse(Body(flight[2], HandshakeType.ServerKeyExchange));
        Assert.Equal((ushort)NamedGroup.X25519, keyExchange.NamedGroup);
        Assert.Equal(32, keyExchange.PublicKey.Length);
        Assert.Equal(SignatureScheme.EcdsaSecp256r1Sha256, keyExchange.SignatureScheme);
        byte[] signedData = Encode(w => keyExchange.WriteSignedData(w, ClientRandom("openssl_tls12.hex"), hello.Random));
        using ECDsa key = leaf.GetECDsaPublicKey()!;
        Assert.True(key.VerifyData(signedData, keyExchange.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
        signedData[^1] ^= 1;
        Assert.False(key.VerifyData(signedData, keyExchange.Signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));

        ServerHelloDone.Parse(Body(flight[3], HandshakeType.ServerHelloDone));
    }

    [Fact]
    public void Tls12_rsa_flight_with_alpn_parses_and_the_signature_verifies()
    {
        byte[][] flight = LoadFlight("openssl_tls12_rsa_alpn.hex");
        ServerHello hello = ServerHello.Parse(Body(flight[0], HandshakeType.ServerHello));
        Assert.Equal(CipherSuite.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, hello.CipherSuite);
        Assert.Equal("http/1.1", Encoding.ASCII.GetString(hello.AlpnProtocol!));
        ClientHello clientHello = ClientHello.Parse(Body(RealClientHelloTests.Load("openssl_tls13.hex"), HandshakeType.ClientHello));
        Assert.True(hello.SessionTicket); // OpenSSL resumes TLS 1.2 by ticket and sends an empty session_id
        Assert.Empty(hello.SessionId);

        CertificateTls12 certificate = CertificateTls12.Parse(Body(flight[1], HandshakeType.Certificate));
        using X509Certificate2 leaf = X509CertificateLoader.LoadCertificate(certificate.CertificateList[0]);
        EcdheServerKeyExchange keyExchange = EcdheServerKeyExchange.Parse(Body(flight[2], HandshakeType.ServerKeyExchange));
        Assert.Equal(SignatureScheme.RsaPssRsaeSha256, keyExchange.SignatureScheme);
        byte[] signedData = Encode(w => keyExchange.WriteSignedData(w, clientHello.Random, hello.Random));
        using RSA key = leaf.GetRSAPublicKey()!;
        Assert.True(key.VerifyData(signedData, keyExchange.Signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss));
    }

    [Fact]
    public void Tls13_capable_server_marks_a_tls12_hello_with_the_downgrade_sentinel()
    {
        byte[][] flight = LoadFlight("openssl_tls12_downgrade.hex");
        ServerHello hello = ServerHello.Parse(Body(flight[0], HandshakeType.ServerHello));
        Assert.Equal(ServerHello.DowngradeSentinelTls12.ToArray(), hello.Random[24..]);
    }

    [Fact]
    public void Tls13_server_hello()
    {
        byte[][] flight = LoadFlight("openssl_tls13.hex");
        ServerHello hello = ServerHello.Parse(Body(flight[0], HandshakeType.ServerHello));
        Assert.False(hello.IsHelloRetryRequest);
        Assert.Equal(ProtocolVersion.Tls12, hello.LegacyVersion);
        Assert.Equal(ProtocolVersion.Tls13, hello.SupportedVersion);
        Assert.Equal(CipherSuite.TLS_AES_256_GCM_SHA384, hello.CipherSuite);
        Assert.True(hello.KeyShare!.Is(NamedGroup.X25519));
        Assert.Equal(32, hello.KeyShare.KeyExchange.Length);
        ClientHello clientHello = ClientHello.Parse(Body(RealClientHelloTests.Load("openssl_tls13.hex"), HandshakeType.ClientHello));
        Assert.Equal(clientHello.LegacySessionId, hello.SessionId);
    }

    [Fact]
    public void Tls13_hello_retry_request()
    {
        byte[][] flight = LoadFlight("openssl_tls13_hrr.hex");
        ServerHello hello = ServerHello.Parse(Body(flight[0], HandshakeType.ServerHello));
        Assert.True(hello.IsHelloRetryRequest);
        Assert.Equal((ushort)NamedGroup.Secp384r1, hello.HelloRetryRequestSelectedGroup);
        Assert.Null(hello.KeyShare);
        Assert.Equal(ProtocolVersion.Tls13, hello.SupportedVersion);
    }

    /// <summary>Messages whose field order Brisk writes the same way OpenSSL does must re-encode byte for byte.</summary>
    [Theory]
    [InlineData("openssl_tls12_ecdsa.hex", 1)]
    [InlineData("openssl_tls12_ecdsa.hex", 2)]
    [InlineData("openssl_tls12_ecdsa.hex", 3)]
    [InlineData("openssl_tls12_rsa_alpn.hex", 1)]
    [InlineData("openssl_tls12_rsa_alpn.hex", 2)]
    [InlineData("openssl_tls13.hex", 0)]
    [InlineData("openssl_tls13_hrr.hex", 0)]
    public void Recorded_messages_reencode_byte_for_byte(string flightName, int index)
    {
        byte[] message = LoadFlight(flightName)[index];
        var type = (HandshakeType)message[0];
        byte[] body = Body(message, type);
        Action<Brisk.Tls.Codec.TlsWriter> write = type switch
        {
            HandshakeType.ServerHello => ServerHello.Parse(body).Write,
            HandshakeType.Certificate => CertificateTls12.Parse(body).Write,
            HandshakeType.ServerKeyExchange => EcdheServerKeyExchange.Parse(body).Write,
            HandshakeType.ServerHelloDone => ServerHelloDone.Parse(body).Write,
            _ => throw new InvalidOperationException(type.ToString()),
        };
        Assert.Equal(Convert.ToHexString(message), Convert.ToHexString(Encode(write)));
    }

    [Theory]
    [InlineData("openssl_tls12_ecdsa.hex")]
    [InlineData("openssl_tls12_rsa_alpn.hex")]
    [InlineData("openssl_tls13.hex")]
    [InlineData("openssl_tls13_hrr.hex")]
    public void Every_proper_prefix_of_a_recorded_message_is_rejected(string flightName)
    {
        foreach (byte[] message in LoadFlight(flightName))
        {
            var type = (HandshakeType)message[0];
            byte[] body = Body(message, type);
            switch (type)
            {
                case HandshakeType.ServerHello:
                    ServerHello hello = ServerHello.Parse(body);
                    AssertEveryProperPrefixRejected(body, b => ServerHello.Parse(b), 2 + 32 + 1 + hello.SessionId.Length + 3);
                    break;
                case HandshakeType.Certificate:
                    AssertEveryProperPrefixRejected(body, b => CertificateTls12.Parse(b));
                    break;
                case HandshakeType.ServerKeyExchange:
                    AssertEveryProperPrefixRejected(body, b => EcdheServerKeyExchange.Parse(b));
                    break;
            }
        }
    }

    [Theory]
    [InlineData("openssl_tls12_ecdsa.hex")]
    [InlineData("openssl_tls12_rsa_alpn.hex")]
    [InlineData("openssl_tls13.hex")]
    [InlineData("openssl_tls13_hrr.hex")]
    public void Mutated_recorded_messages_fail_only_with_TlsProtocolException(string flightName)
    {
        var random = new Random(flightName.Length);
        foreach (byte[] message in LoadFlight(flightName))
        {
            var type = (HandshakeType)message[0];
            BodyParser parse = type switch
            {
                HandshakeType.ServerHello => b => ServerHello.Parse(b),
                HandshakeType.Certificate => b => CertificateTls12.Parse(b),
                HandshakeType.ServerKeyExchange => b => EcdheServerKeyExchange.Parse(b),
                _ => b => ServerHelloDone.Parse(b),
            };
            byte[] body = Body(message, type);
            for (int i = 0; i < 1000; i++)
            {
                byte[] mutated = RealClientHelloTests.Mutate(body, random);
                var exception = Record.Exception(() => parse(mutated));
                Assert.True(exception is null or Brisk.Tls.Codec.TlsProtocolException, $"{type} mutation {i}: {exception}");
            }
        }
    }
}
