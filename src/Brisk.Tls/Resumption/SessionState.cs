using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Resumption;

/// <summary>
/// What a server needs to resume a session: sealed into a ticket (RFC 5077 §4, RFC 8446 §4.6.1) or kept in the
/// session-ID cache. <see cref="Secret"/> is the TLS 1.2 master secret (48 bytes) or the TLS 1.3 resumption PSK
/// (Hash.length bytes); the object owns it and <see cref="Dispose"/> erases it.
/// </summary>
public sealed class SessionState : IDisposable
{
    /// <summary>First byte of the serialized state, so a later layout can be told apart (and refused).</summary>
    private const byte FormatVersion = 1;

    public required ushort Version { get; init; }

    public required CipherSuite CipherSuite { get; init; }

    /// <summary>TLS 1.2 master secret or TLS 1.3 resumption PSK.</summary>
    public required byte[] Secret { get; init; }

    /// <summary>TLS 1.2: the session's master secret came from the extended computation (RFC 7627).</summary>
    public bool ExtendedMasterSecret { get; init; }

    public string? ApplicationProtocol { get; init; }

    /// <summary>The SNI host name of the handshake that created the session (RFC 6066 §3).</summary>
    public string? ServerName { get; init; }

    /// <summary>DER of the client's verified leaf certificate, or null when the client did not authenticate.</summary>
    public byte[]? ClientCertificate { get; init; }

    /// <summary>When the full handshake created the session (the ticket age starts here, RFC 8446 §4.2.11.1).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>TLS 1.3 ticket_age_add (RFC 8446 §4.6.1); 0 for TLS 1.2.</summary>
    public uint TicketAgeAdd { get; init; }

    /// <summary>How long the session may be resumed (the ticket_lifetime of RFC 8446 §4.6.1, the lifetime hint of RFC 5077 §3.3).</summary>
    public required TimeSpan Lifetime { get; init; }

    public bool IsExpired(DateTimeOffset now) => now < CreatedAt - ClockSkewAllowance || now >= CreatedAt + Lifetime;

    /// <summary>A state created "in the future" by more than this (another server's clock) is refused.</summary>
    internal static readonly TimeSpan ClockSkewAllowance = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The plaintext inside a ticket:
    /// format(1) version(2) suite(2) flags(1) secret&lt;1..255&gt; alpn&lt;0..255&gt; sni&lt;0..2^16-1&gt;
    /// client_certificate&lt;0..2^24-1&gt; created_unix_ms(8) age_add(4) lifetime_seconds(4).
    /// The returned writer holds the secret: the caller disposes it (which zeroes it).
    /// </summary>
    public TlsWriter Serialize()
    {
        var writer = new TlsWriter(128 + (ClientCertificate?.Length ?? 0));
        writer.WriteUInt8(FormatVersion);
        writer.WriteUInt16(Version);
        writer.WriteUInt16((ushort)CipherSuite);
        writer.WriteUInt8((byte)((ExtendedMasterSecret ? 1 : 0) | (ClientCertificate is not null ? 2 : 0)));
        writer.WriteVector8(Secret);
        writer.WriteVector8(ApplicationProtocol is null ? [] : Encoding.ASCII.GetBytes(ApplicationProtocol));
        writer.WriteVector16(ServerName is null ? [] : Encoding.ASCII.GetBytes(ServerName));
        writer.WriteVector24(ClientCertificate ?? []);
        Span<byte> created = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(created, CreatedAt.ToUnixTimeMilliseconds());
        writer.WriteBytes(created);
        writer.WriteUInt32(TicketAgeAdd);
        writer.WriteUInt32((uint)Math.Min(uint.MaxValue, (long)Lifetime.TotalSeconds));
        return writer;
    }

    /// <summary>Parses what <see cref="Serialize"/> wrote; false (never an exception) for anything else.</summary>
    public static bool TryDeserialize(ReadOnlySpan<byte> data, out SessionState? state)
    {
        state = null;
        try
        {
            var reader = new TlsReader(data);
            if (reader.ReadUInt8() != FormatVersion)
                return false;
            ushort version = reader.ReadUInt16();
            var suite = (CipherSuite)reader.ReadUInt16();
            byte flags = reader.ReadUInt8();
            byte[] secret = reader.ReadVector8(minLength: 1).ToArray();
            var alpn = reader.ReadVector8();
            var sni = reader.ReadVector16();
            var certificate = reader.ReadVector24();
            long createdMs = BinaryPrimitives.ReadInt64BigEndian(reader.ReadBytes(8));
            uint ageAdd = reader.ReadUInt32();
            uint lifetime = reader.ReadUInt32();
            if (!reader.IsEmpty || (flags & ~3) != 0 || ((flags & 2) != 0) != !certificate.IsEmpty)
            {
                CryptographicOperations.ZeroMemory(secret);
                return false;
            }
            state = new SessionState
            {
                Version = version,
                CipherSuite = suite,
                Secret = secret,
                ExtendedMasterSecret = (flags & 1) != 0,
                ApplicationProtocol = alpn.IsEmpty ? null : Encoding.ASCII.GetString(alpn),
                ServerName = sni.IsEmpty ? null : Encoding.ASCII.GetString(sni),
                ClientCertificate = certificate.IsEmpty ? null : certificate.ToArray(),
                CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(createdMs, 0, 253402300799999)),
                TicketAgeAdd = ageAdd,
                Lifetime = TimeSpan.FromSeconds(lifetime),
            };
            return true;
        }
        catch (TlsProtocolException)
        {
            return false;
        }
    }

    public void Dispose() => CryptographicOperations.ZeroMemory(Secret);
}
