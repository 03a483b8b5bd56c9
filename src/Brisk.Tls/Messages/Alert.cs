using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

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
