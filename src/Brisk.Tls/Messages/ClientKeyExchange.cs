using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// Which ClientKeyExchange body shape was parsed or is to be written. (Not to be confused with
/// <see cref="Brisk.Tls.KeyExchangeAlgorithm"/>, the suite table's key exchange; qualify when both are in scope.)
/// </summary>
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
