using System.Buffers.Binary;

namespace Brisk.Bench.Handshake;

/// <summary>What the server's plaintext flight shows about a handshake: version, cipher suite, whether it resumed.</summary>
public readonly record struct ServerFlight(ushort Version, ushort CipherSuite, bool Resumed);

/// <summary>
/// Keeps the first bytes a server sends to its client and reads the handshake's outcome from their plaintext part,
/// independently of either implementation's own report (SslStream has no public "resumed" flag):
/// <list type="bullet">
/// <item>TLS 1.3: the ServerHello carries a pre_shared_key extension exactly when the server accepted a PSK
/// (RFC 8446 §4.2.11), i.e. resumed (this harness uses no external PSKs);</item>
/// <item>TLS 1.2: an abbreviated handshake (RFC 5246 §7.3, RFC 5077 §3.1) goes ServerHello, [NewSessionTicket],
/// ChangeCipherSpec: there is no Certificate message before the server's ChangeCipherSpec. A full handshake with
/// a certificate-based suite always has one.</item>
/// </list>
/// </summary>
public sealed class ServerFlightObserver
{
    private const byte HandshakeRecord = 22;
    private const byte ServerHelloType = 2;
    private const byte CertificateType = 11;
    private const ushort SupportedVersionsExtension = 43;
    private const ushort PreSharedKeyExtension = 41;
    private const ushort Tls13 = 0x0304;

    // The plaintext part of a server flight (ServerHello, Certificate, ServerKeyExchange, ServerHelloDone) is a few
    // KB with the harness's certificates; what is beyond the buffer is not needed.
    private readonly byte[] _bytes = new byte[16 * 1024];
    private int _length;

    public void Reset() => _length = 0;

    /// <summary>Keeps bytes the server sent, in order, as far as the buffer goes.</summary>
    public void Observe(ReadOnlySpan<byte> fromServer)
    {
        int n = Math.Min(fromServer.Length, _bytes.Length - _length);
        fromServer[..n].CopyTo(_bytes.AsSpan(_length));
        _length += n;
    }

    /// <summary>The outcome of the handshake whose server bytes were observed since <see cref="Reset"/>.</summary>
    public ServerFlight Classify() => Classify(_bytes.AsSpan(0, _length));

    /// <summary>
    /// Reads the server's plaintext handshake records up to its first record of another type (ChangeCipherSpec,
    /// or protected data) and classifies the handshake. Throws <see cref="InvalidDataException"/> when the bytes do
    /// not start with a whole ServerHello: the caller then has no evidence either way.
    /// </summary>
    public static ServerFlight Classify(ReadOnlySpan<byte> serverBytes)
    {
        // Reassemble the plaintext handshake messages (they may span records, RFC 8446 §5.1 / RFC 5246 §6.2.1).
        var messages = new byte[serverBytes.Length];
        int messagesLength = 0;
        while (serverBytes.Length >= 5 && serverBytes[0] == HandshakeRecord)
        {
            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(serverBytes[3..]);
            if (serverBytes.Length < 5 + recordLength)
                break;
            serverBytes.Slice(5, recordLength).CopyTo(messages.AsSpan(messagesLength));
            messagesLength += recordLength;
            serverBytes = serverBytes[(5 + recordLength)..];
        }
        var rest = messages.AsSpan(0, messagesLength);
        ServerFlight? hello = null;
        bool certificate = false;
        while (rest.Length >= 4)
        {
            byte type = rest[0];
            int length = rest[1] << 16 | rest[2] << 8 | rest[3];
            if (rest.Length < 4 + length)
                break;
            var body = rest.Slice(4, length);
            if (hello is null)
            {
                if (type != ServerHelloType)
                    throw new InvalidDataException($"the server's first handshake message is type {type}, not ServerHello");
                hello = ParseServerHello(body);
            }
            else if (type == CertificateType)
            {
                certificate = true;
            }
            rest = rest[(4 + length)..];
        }
        if (hello is not { } h)
            throw new InvalidDataException("no whole ServerHello in the server's bytes");
        // Under TLS 1.3 the Certificate is encrypted; the PSK extension decided already.
        return h.Version == Tls13 ? h : h with { Resumed = !certificate };
    }

    private static ServerFlight ParseServerHello(ReadOnlySpan<byte> body)
    {
        // legacy_version(2) random(32) legacy_session_id<0..32> cipher_suite(2) compression(1) extensions<..>
        ushort version = BinaryPrimitives.ReadUInt16BigEndian(body);
        int offset = 2 + 32;
        offset += 1 + body[offset];
        ushort suite = BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
        offset += 2 + 1;
        bool psk = false;
        if (body.Length >= offset + 2)
        {
            int extensionsEnd = offset + 2 + BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
            offset += 2;
            while (offset + 4 <= extensionsEnd)
            {
                ushort type = BinaryPrimitives.ReadUInt16BigEndian(body[offset..]);
                int length = BinaryPrimitives.ReadUInt16BigEndian(body[(offset + 2)..]);
                var data = body.Slice(offset + 4, length);
                if (type == SupportedVersionsExtension && data.Length == 2)
                    version = BinaryPrimitives.ReadUInt16BigEndian(data);
                else if (type == PreSharedKeyExtension)
                    psk = true;
                offset += 4 + length;
            }
        }
        return new ServerFlight(version, suite, psk);
    }
}
