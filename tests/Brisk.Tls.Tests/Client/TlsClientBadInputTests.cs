using System.Buffers;
using System.Security.Cryptography;
using Brisk.Tls.Client;
using Brisk.Tls.Codec;
using Brisk.Tls.Tests.Connection;

namespace Brisk.Tls.Tests.Client;

/// <summary>Whatever a server sends, the client fails with a protocol error (and an alert to send), never anything else.</summary>
public class TlsClientBadInputTests
{
    private static void AssertOnlyProtocolErrors(TlsClientConnection client, byte[] input)
    {
        var output = new ArrayBufferWriter<byte>();
        try
        {
            client.Process(input, output);
        }
        catch (TlsProtocolException)
        {
            Assert.True(output.WrittenCount > 0, "a protocol error leaves a fatal alert to send");
        }
        catch (TlsAlertReceivedException)
        {
        }
    }

    [Fact]
    public void Random_bytes_instead_of_a_server_flight()
    {
        var options = new TlsClientOptions();
        for (int i = 0; i < 200; i++)
        {
            using var client = new TlsClientConnection(options);
            client.Start(new ArrayBufferWriter<byte>());
            var garbage = RandomNumberGenerator.GetBytes(RandomNumberGenerator.GetInt32(1, 600));
            if (i % 2 == 0 && garbage.Length > 5)
            {
                // Mostly well-framed handshake records, so the parsers behind the framing get exercised too.
                garbage[0] = 22;
                garbage[1] = 3;
                garbage[2] = 3;
                garbage[3] = (byte)((garbage.Length - 5) >> 8);
                garbage[4] = (byte)(garbage.Length - 5);
                garbage[5] = 2; // ServerHello
            }
            AssertOnlyProtocolErrors(client, garbage);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Each_byte_of_a_real_server_flight_mutated(bool tls13)
    {
        for (int i = 0; i < 40; i++)
        {
            await using var server = InMemoryTlsServer.Start(TestCredentials.Options(enableTls13: tls13));
            using var client = new TlsClientConnection(new TlsClientOptions { EnableTls12 = !tls13, EnableTls13 = tls13 });
            var output = new ArrayBufferWriter<byte>();
            client.Start(output);
            await server.ToServer.WriteAsync(output.WrittenMemory);
            var result = await server.FromServer.ReadAsync();
            var flight = result.Buffer.ToArray();
            server.FromServer.AdvanceTo(result.Buffer.End);
            // TLS 1.3: the plaintext ServerHello (bytes that parse) mostly; TLS 1.2: anywhere in the plaintext flight.
            int limit = tls13 ? Math.Min(flight.Length, 5 + 4 + 90) : flight.Length;
            int at = RandomNumberGenerator.GetInt32(0, limit);
            flight[at] ^= (byte)RandomNumberGenerator.GetInt32(1, 256);
            AssertOnlyProtocolErrors(client, flight);
        }
    }
}
