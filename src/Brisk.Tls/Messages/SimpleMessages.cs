using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>ServerHelloDone (RFC 5246 §7.4.5): an empty body.</summary>
public sealed class ServerHelloDone
{
    public static readonly ServerHelloDone Instance = new();

    public static ServerHelloDone Parse(ReadOnlySpan<byte> body)
    {
        new TlsReader(body).ExpectEnd("ServerHelloDone");
        return Instance;
    }

    public void Write(TlsWriter writer) => HandshakeHeader.WriteEmpty(writer, HandshakeType.ServerHelloDone);
}

/// <summary>EndOfEarlyData (RFC 8446 §4.5): an empty body.</summary>
public sealed class EndOfEarlyData
{
    public static readonly EndOfEarlyData Instance = new();

    public static EndOfEarlyData Parse(ReadOnlySpan<byte> body)
    {
        new TlsReader(body).ExpectEnd("EndOfEarlyData");
        return Instance;
    }

    public void Write(TlsWriter writer) => HandshakeHeader.WriteEmpty(writer, HandshakeType.EndOfEarlyData);
}

public enum KeyExchangeAlgorithm
{
    /// <summary>EncryptedPreMasterSecret: opaque&lt;0..2^16-1&gt; (RFC 5246 §7.4.7.1).</summary>
    Rsa,

    /// <summary>ClientECDiffieHellmanPublic: ECPoint ecdh_Yc, opaque point&lt;1..2^8-1&gt; (RFC 8422 §5.7).</summary>
    Ecdhe,
}

/// <summary>
/// TLS 1.2 ClientKeyExchange (RFC 5246 §7.4.7). The body's shape depends on the negotiated key exchange,
/// so there is one parse method per algorithm. <see cref="ExchangeKeys"/> is an owned copy: the RSA
/// ciphertext or the client's ECDH public point.
/// </summary>
public sealed class ClientKeyExchange
{
    public required KeyExchangeAlgorithm Algorithm { get; init; }

    public required byte[] ExchangeKeys { get; init; }

    public static ClientKeyExchange ParseRsa(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        // The ciphertext length is public; its validity is decided in constant time by the RSA code.
        byte[] encrypted = reader.ReadVector16().ToArray();
        reader.ExpectEnd("ClientKeyExchange");
        return new ClientKeyExchange { Algorithm = KeyExchangeAlgorithm.Rsa, ExchangeKeys = encrypted };
    }

    public static ClientKeyExchange ParseEcdhe(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        byte[] point = reader.ReadVector8(minLength: 1).ToArray();
        reader.ExpectEnd("ClientKeyExchange");
        return new ClientKeyExchange { Algorithm = KeyExchangeAlgorithm.Ecdhe, ExchangeKeys = point };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.ClientKeyExchange);
        if (Algorithm == KeyExchangeAlgorithm.Rsa)
        {
            writer.WriteVector16(ExchangeKeys);
        }
        else
        {
            if (ExchangeKeys.Length is 0 or > 255)
            {
                throw new InvalidOperationException("ECPoint is opaque<1..2^8-1>");
            }

            writer.WriteVector8(ExchangeKeys);
        }

        writer.EndVector(message);
    }
}

/// <summary>CertificateVerify (RFC 8446 §4.4.3; RFC 5246 §7.4.8 with DigitallySigned): scheme + opaque signature&lt;0..2^16-1&gt;.</summary>
public sealed class CertificateVerify
{
    public required SignatureScheme SignatureScheme { get; init; }

    public required byte[] Signature { get; init; }

    public static CertificateVerify Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var scheme = (SignatureScheme)reader.ReadUInt16();
        byte[] signature = reader.ReadVector16().ToArray();
        reader.ExpectEnd("CertificateVerify");
        return new CertificateVerify { SignatureScheme = scheme, Signature = signature };
    }

    public void Write(TlsWriter writer) => Write(writer, SignatureScheme, Signature);

    /// <summary>Writes the full message straight from a span.</summary>
    public static void Write(TlsWriter writer, SignatureScheme signatureScheme, ReadOnlySpan<byte> signature)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.CertificateVerify);
        writer.WriteUInt16((ushort)signatureScheme);
        writer.WriteVector16(signature);
        writer.EndVector(message);
    }
}

/// <summary>
/// Finished (RFC 5246 §7.4.9: verify_data[12]; RFC 8446 §4.4.4: verify_data[Hash.length]). The body is
/// exactly verify_data; its length is fixed by the negotiated suite, so the caller passes it in. Comparing
/// against the expected value (in constant time) is the handshake's job.
/// </summary>
public sealed class Finished
{
    public required byte[] VerifyData { get; init; }

    public static Finished Parse(ReadOnlySpan<byte> body, int expectedLength)
    {
        if (body.Length != expectedLength)
        {
            TlsProtocolException.ThrowDecodeError($"Finished: {body.Length} bytes, expected {expectedLength}");
        }

        return new Finished { VerifyData = body.ToArray() };
    }

    public void Write(TlsWriter writer) => Write(writer, VerifyData);

    /// <summary>Writes a Finished message straight from a span (no allocation).</summary>
    public static void Write(TlsWriter writer, ReadOnlySpan<byte> verifyData)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.Finished);
        writer.WriteBytes(verifyData);
        writer.EndVector(message);
    }
}

/// <summary>
/// The synthetic message_hash handshake message that replaces ClientHello1 in the transcript after a
/// HelloRetryRequest (RFC 8446 §4.4.1): msg_type 254, uint24 length Hash.length, then Hash(ClientHello1).
/// It is never sent; only hashed.
/// </summary>
public static class MessageHash
{
    public static void Write(TlsWriter writer, ReadOnlySpan<byte> clientHello1Hash)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.MessageHash);
        writer.WriteBytes(clientHello1Hash);
        writer.EndVector(message);
    }

    /// <summary>Span form: writes 4 + hash length bytes into <paramref name="destination"/> and returns the count.</summary>
    public static int Write(Span<byte> destination, ReadOnlySpan<byte> clientHello1Hash)
    {
        destination[0] = (byte)HandshakeType.MessageHash;
        destination[1] = 0;
        destination[2] = 0;
        destination[3] = checked((byte)clientHello1Hash.Length);
        clientHello1Hash.CopyTo(destination[4..]);
        return 4 + clientHello1Hash.Length;
    }
}

/// <summary>KeyUpdate (RFC 8446 §4.6.3): KeyUpdateRequest request_update.</summary>
public sealed class KeyUpdate
{
    public required KeyUpdateRequest RequestUpdate { get; init; }

    public static KeyUpdate Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        byte value = reader.ReadUInt8();
        reader.ExpectEnd("KeyUpdate");
        if (value > (byte)KeyUpdateRequest.UpdateRequested)
        {
            // RFC 8446 §4.6.3: "If an implementation receives any other value, it MUST terminate the
            // connection with an "illegal_parameter" alert."
            TlsProtocolException.ThrowIllegalParameter($"KeyUpdate: request_update {value}");
        }

        return new KeyUpdate { RequestUpdate = (KeyUpdateRequest)value };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.KeyUpdate);
        writer.WriteUInt8((byte)RequestUpdate);
        writer.EndVector(message);
    }
}

/// <summary>
/// Alert record content (RFC 5246 §7.2, RFC 8446 §6): level(1) + description(1). Not a handshake message:
/// <see cref="Write(Span{byte})"/> writes just the two bytes.
/// </summary>
public readonly record struct Alert(AlertLevel Level, AlertDescription Description)
{
    public const int Length = 2;

    public static Alert Fatal(AlertDescription description) => new(AlertLevel.Fatal, description);

    public static Alert CloseNotify => new(AlertLevel.Warning, AlertDescription.CloseNotify);

    /// <summary>
    /// Parses one alert. The record layer must pass exactly the two bytes; anything else (including the
    /// fragment of a split alert) is decode_error. Unknown levels and descriptions are carried through
    /// unchanged: the connection layer treats anything but a warning-level close_notify/user_canceled as fatal
    /// (RFC 8446 §6: "Unknown Alert types MUST be treated as error alerts").
    /// </summary>
    public static Alert Parse(ReadOnlySpan<byte> content)
    {
        var reader = new TlsReader(content);
        byte level = reader.ReadUInt8();
        byte description = reader.ReadUInt8();
        reader.ExpectEnd("Alert");

        return new Alert((AlertLevel)level, (AlertDescription)description);
    }

    public void Write(Span<byte> destination)
    {
        destination[0] = (byte)Level;
        destination[1] = (byte)Description;
    }

    public void Write(TlsWriter writer)
    {
        writer.WriteUInt8((byte)Level);
        writer.WriteUInt8((byte)Description);
    }
}
