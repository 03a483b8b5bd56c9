using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>TLS 1.2 NewSessionTicket (RFC 5077 §3.3): uint32 ticket_lifetime_hint; opaque ticket&lt;0..2^16-1&gt;.</summary>
public sealed class NewSessionTicketTls12
{
    /// <summary>Seconds; 0 means "unspecified" (RFC 5077 §3.3).</summary>
    public required uint TicketLifetimeHint { get; init; }

    public required byte[] Ticket { get; init; }

    public static NewSessionTicketTls12 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        uint lifetime = reader.ReadUInt32();
        byte[] ticket = reader.ReadVector16().ToArray();
        reader.ExpectEnd("NewSessionTicket");
        return new NewSessionTicketTls12 { TicketLifetimeHint = lifetime, Ticket = ticket };
    }

    public void Write(TlsWriter writer)
    {
        int message = HandshakeHeader.Begin(writer, HandshakeType.NewSessionTicket);
        writer.WriteUInt32(TicketLifetimeHint);
        writer.WriteVector16(Ticket);
        writer.EndVector(message);
    }
}

/// <summary>
/// TLS 1.3 NewSessionTicket (RFC 8446 §4.6.1): uint32 ticket_lifetime; uint32 ticket_age_add;
/// opaque ticket_nonce&lt;0..255&gt;; opaque ticket&lt;1..2^16-1&gt;; Extension extensions&lt;0..2^16-2&gt;.
/// The only extension defined here is early_data { uint32 max_early_data_size } (RFC 8446 §4.2.10).
/// </summary>
public sealed class NewSessionTicketTls13
{
    /// <summary>"Servers MUST NOT use any value greater than 604800 seconds (7 days)" (RFC 8446 §4.6.1).</summary>
    public const uint MaxTicketLifetime = 604800;

    public required uint TicketLifetime { get; init; }

    public required uint TicketAgeAdd { get; init; }

    public required byte[] TicketNonce { get; init; }

    public required byte[] Ticket { get; init; }

    /// <summary>early_data max_early_data_size, or null when the ticket does not allow 0-RTT.</summary>
    public uint? MaxEarlyDataSize { get; init; }

    public static NewSessionTicketTls13 Parse(ReadOnlySpan<byte> body)
    {
        var reader = new TlsReader(body);
        uint lifetime = reader.ReadUInt32();
        uint ageAdd = reader.ReadUInt32();
        byte[] nonce = reader.ReadVector8().ToArray();
        byte[] ticket = reader.ReadVector16(minLength: 1).ToArray();
        TlsReader extensions = reader.ReadVectorReader16(maxLength: 0xFFFE);
        reader.ExpectEnd("NewSessionTicket");

        uint? maxEarlyData = null;
        var seen = new ExtensionTypeSet();
        while (!extensions.IsEmpty)
        {
            var type = (ExtensionType)extensions.ReadUInt16();
            TlsReader data = extensions.ReadVectorReader16();
            seen.Add(type);
            if (type == ExtensionType.EarlyData)
            {
                // RFC 8446 §4.2.10: uint32 max_early_data_size
                maxEarlyData = data.ReadUInt32();
            }
            else
            {
                // RFC 8446 §4.6.1: "Clients MUST ignore unrecognized extensions."
                data.ReadBytes(data.Remaining);
            }

            ExtensionCodec.ExpectEnd(ref data, type);
        }

        return new NewSessionTicketTls13
        {
            TicketLifetime = lifetime,
            TicketAgeAdd = ageAdd,
            TicketNonce = nonce,
            Ticket = ticket,
            MaxEarlyDataSize = maxEarlyData,
        };
    }

    public void Write(TlsWriter writer)
    {
        if (TicketLifetime > MaxTicketLifetime || Ticket.Length == 0)
        {
            throw new InvalidOperationException("NewSessionTicket lifetime above 7 days or empty ticket (RFC 8446 §4.6.1)");
        }

        int message = HandshakeHeader.Begin(writer, HandshakeType.NewSessionTicket);
        writer.WriteUInt32(TicketLifetime);
        writer.WriteUInt32(TicketAgeAdd);
        writer.WriteVector8(TicketNonce);
        writer.WriteVector16(Ticket);
        int extensions = writer.BeginVector(2);
        if (MaxEarlyDataSize is uint max)
        {
            int ext = TlsExtension.Begin(writer, ExtensionType.EarlyData);
            writer.WriteUInt32(max);
            writer.EndVector(ext);
        }

        writer.EndVector(extensions);
        writer.EndVector(message);
    }
}
