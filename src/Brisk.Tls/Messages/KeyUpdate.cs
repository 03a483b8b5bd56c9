using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

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
