using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// ClientKeyExchange (RFC 5246 §7.4.7): its body depends on the negotiated key exchange, so there is one
/// parse method per kind. The returned bytes are copies owned by the caller.
/// </summary>
public static class ClientKeyExchange
{
    /// <summary>RSA: EncryptedPreMasterSecret as opaque&lt;0..2^16-1&gt; (RFC 5246 §7.4.7.1).</summary>
    public static byte[] ParseRsa(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var encrypted = reader.ReadVector16().ToArray();
        reader.ExpectEnd("ClientKeyExchange");
        return encrypted;
    }

    /// <summary>ECDHE: ClientECDiffieHellmanPublic, the point as opaque&lt;1..2^8-1&gt; (RFC 8422 §5.7).</summary>
    public static byte[] ParseEcdhe(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        var point = reader.ReadVector8(minLength: 1).ToArray();
        reader.ExpectEnd("ClientKeyExchange");
        return point;
    }

    public static void WriteRsa(TlsWriter writer, ReadOnlySpan<byte> encryptedPremaster)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.ClientKeyExchange);
        writer.WriteVector16(encryptedPremaster);
        writer.EndVector(message);
    }

    public static void WriteEcdhe(TlsWriter writer, ReadOnlySpan<byte> publicKey)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.ClientKeyExchange);
        writer.WriteVector8(publicKey);
        writer.EndVector(message);
    }
}
