using System.Security.Cryptography;
using Brisk.Crypto.Aead;
using Brisk.Tls.Protocol;
using Brisk.Tls.Resumption;

namespace Brisk.Tls.Tests.Resumption;

/// <summary>A clock the test moves by hand.</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;

    public override DateTimeOffset GetUtcNow() => Now;

    public void Advance(TimeSpan by) => Now += by;
}

public sealed class TicketKeyRingTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly ManualClock _clock = new(Start);
    private readonly List<string> _files = [];

    private SessionState NewState(TimeSpan? lifetime = null, byte[]? clientCertificate = null) => new()
    {
        Version = ProtocolVersion.Tls13,
        CipherSuite = CipherSuite.TLS_AES_128_GCM_SHA256,
        Secret = RandomNumberGenerator.GetBytes(32),
        ApplicationProtocol = "http/1.1",
        ServerName = "localhost",
        ClientCertificate = clientCertificate,
        CreatedAt = _clock.GetUtcNow(),
        TicketAgeAdd = 0xDEADBEEF,
        Lifetime = lifetime ?? TimeSpan.FromDays(7),
    };

    private TicketKeyRing Rotating() => TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, _clock);

    [Fact]
    public void Sealed_session_opens_with_every_field()
    {
        using var ring = Rotating();
        using var state = NewState(clientCertificate: [0x30, 0x03, 0x02, 0x01, 0x05]);
        var ticket = ring.SealSession(state);
        using var opened = ring.TryOpenSession(ticket, out bool newest);

        Assert.NotNull(opened);
        Assert.True(newest);
        Assert.Equal(state.Version, opened.Version);
        Assert.Equal(state.CipherSuite, opened.CipherSuite);
        Assert.Equal(state.Secret, opened.Secret);
        Assert.Equal(state.ApplicationProtocol, opened.ApplicationProtocol);
        Assert.Equal(state.ServerName, opened.ServerName);
        Assert.Equal(state.ClientCertificate, opened.ClientCertificate);
        Assert.Equal(state.CreatedAt, opened.CreatedAt);
        Assert.Equal(state.TicketAgeAdd, opened.TicketAgeAdd);
        Assert.Equal(state.Lifetime, opened.Lifetime);
        Assert.False(opened.ExtendedMasterSecret);
    }

    [Fact]
    public void Ticket_layout_is_key_name_nonce_ciphertext_tag_and_the_secret_is_not_visible()
    {
        using var ring = Rotating();
        using var state = NewState();
        using var serialized = state.Serialize();
        var ticket = ring.SealSession(state);
        Assert.Equal(TicketKeyRing.KeyNameLength + TicketKeyRing.NonceLength + serialized.Length + TicketKeyRing.TagLength, ticket.Length);
        Assert.True(ticket.AsSpan().IndexOf(state.Secret) < 0);
        // Two seals of the same state differ (fresh nonce).
        Assert.False(ticket.AsSpan().SequenceEqual(ring.SealSession(state)));
    }

    [Fact]
    public void Any_changed_byte_makes_the_ticket_fail_to_open()
    {
        using var ring = Rotating();
        using var state = NewState();
        var ticket = ring.SealSession(state);
        for (int i = 0; i < ticket.Length; i++)
        {
            var tampered = (byte[])ticket.Clone();
            tampered[i] ^= 0x01;
            Assert.Null(ring.TryOpenSession(tampered, out _));
        }
        Assert.NotNull(ring.TryOpenSession(ticket, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(TicketKeyRing.Overhead - 1)]
    [InlineData(TicketKeyRing.Overhead)]
    [InlineData(200)]
    public void Short_or_random_tickets_fail_without_throwing(int length)
    {
        using var ring = Rotating();
        Assert.Null(ring.TryOpenSession(RandomNumberGenerator.GetBytes(length), out _));
    }

    [Fact]
    public void Ticket_from_another_ring_does_not_open()
    {
        using var ring = Rotating();
        using var other = Rotating();
        using var state = NewState();
        Assert.Null(other.TryOpenSession(ring.SealSession(state), out _));
    }

    [Fact]
    public void Expired_session_does_not_open()
    {
        using var ring = Rotating();
        using var state = NewState(lifetime: TimeSpan.FromMinutes(10));
        var ticket = ring.SealSession(state);
        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.NotNull(ring.TryOpenSession(ticket, out _));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Null(ring.TryOpenSession(ticket, out _));
    }

    [Fact]
    public void Rotated_key_still_opens_within_its_acceptance_window_and_not_after()
    {
        using var ring = Rotating(); // new key every hour, each accepted for two
        using var state = NewState();
        var oldTicket = ring.SealSession(state);

        _clock.Advance(TicketKeyRing.DefaultRotation + TimeSpan.FromSeconds(1));
        var newTicket = ring.SealSession(state);
        Assert.False(oldTicket.AsSpan(0, TicketKeyRing.KeyNameLength).SequenceEqual(newTicket.AsSpan(0, TicketKeyRing.KeyNameLength)));
        using (var opened = ring.TryOpenSession(oldTicket, out bool newest))
        {
            Assert.NotNull(opened);
            Assert.False(newest); // sealed with an older key: a TLS 1.2 server renews such a ticket
        }
        Assert.Equal(2, ring.KeyCount);

        _clock.Advance(TicketKeyRing.DefaultAcceptance - TicketKeyRing.DefaultRotation - TimeSpan.FromSeconds(2));
        Assert.NotNull(ring.TryOpenSession(oldTicket, out _));
        _clock.Advance(TimeSpan.FromSeconds(2)); // two hours after the first key was made
        Assert.Null(ring.TryOpenSession(oldTicket, out _));
        using (var opened = ring.TryOpenSession(newTicket, out bool newest))
        {
            Assert.NotNull(opened);
            Assert.False(newest); // an hour after the second key: a third one seals now
        }
        Assert.Equal(2, ring.KeyCount); // the first key was dropped
    }

    [Fact]
    public void Rotation_settings_are_checked()
    {
        Assert.Throws<ArgumentException>(() => TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, _clock, TimeSpan.Zero));
        Assert.Throws<ArgumentException>(() => TicketKeyRing.CreateRotating(ManagedAeadProvider.Default, _clock, TimeSpan.FromHours(2), TimeSpan.FromHours(1)));
    }

    private string KeyFile(params string[] lines)
    {
        var path = Path.Combine(Path.GetTempPath(), $"brisk-ticket-keys-{Guid.NewGuid():N}");
        File.WriteAllLines(path, lines);
        _files.Add(path);
        return path;
    }

    private static string HexKey() => Convert.ToHexString(RandomNumberGenerator.GetBytes(48));

    [Fact]
    public void Rings_loading_the_same_key_file_open_each_others_tickets()
    {
        string newest = HexKey(), older = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var path = KeyFile("# Brisk ticket keys, newest first", newest, "", older);
        using var a = TicketKeyRing.LoadFile(path, ManagedAeadProvider.Default, _clock);
        using var b = TicketKeyRing.LoadFile(path, SystemAeadProvider.Instance, _clock);
        Assert.Equal(2, a.KeyCount);
        using var state = NewState();
        var ticket = a.SealSession(state);
        Assert.Equal(Convert.FromHexString(newest)[..16], ticket[..16]);
        using var opened = b.TryOpenSession(ticket, out bool sealedWithNewest);
        Assert.NotNull(opened);
        Assert.True(sealedWithNewest);
        Assert.Equal(state.Secret, opened.Secret);

        // A ring whose file lists the key second still opens the ticket, as an older key.
        using var c = TicketKeyRing.LoadFile(KeyFile(HexKey(), newest), ManagedAeadProvider.Default, _clock);
        using var openedByC = c.TryOpenSession(ticket, out bool newestInC);
        Assert.NotNull(openedByC);
        Assert.False(newestInC);
    }

    [Fact]
    public void Key_file_is_reloaded_when_it_changes()
    {
        string first = HexKey(), second = HexKey();
        var path = KeyFile(first);
        using var ring = TicketKeyRing.LoadFile(path, ManagedAeadProvider.Default, _clock);
        using var state = NewState();
        var ticket = ring.SealSession(state);

        // The operator rotates: a new key first, then (later) the old one removed.
        File.WriteAllLines(path, [second, first]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(1));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Convert.FromHexString(second)[..16], ring.SealSession(state)[..16]);
        Assert.NotNull(ring.TryOpenSession(ticket, out _));

        File.WriteAllLines(path, [second]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(2));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(ring.TryOpenSession(ticket, out _));

        // A broken rewrite keeps the keys in use.
        File.WriteAllLines(path, ["not a key"]);
        File.SetLastWriteTimeUtc(path, DateTime.UtcNow.AddMinutes(3));
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(Convert.FromHexString(second)[..16], ring.SealSession(state)[..16]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("# only a comment")]
    [InlineData("00112233")]
    [InlineData("zz")]
    public void Bad_key_files_are_refused(string content)
    {
        var path = KeyFile(content);
        Assert.Throws<InvalidDataException>(() => TicketKeyRing.LoadFile(path, ManagedAeadProvider.Default, _clock));
    }

    [Fact]
    public void Duplicate_key_names_are_refused()
    {
        var key = HexKey();
        var path = KeyFile(key, key);
        Assert.Throws<InvalidDataException>(() => TicketKeyRing.LoadFile(path, ManagedAeadProvider.Default, _clock));
    }

    [Fact]
    public void Session_state_parser_refuses_garbage_and_trailing_bytes()
    {
        using var state = NewState();
        using var serialized = state.Serialize();
        Assert.True(SessionState.TryDeserialize(serialized.WrittenSpan, out var parsed));
        parsed!.Dispose();
        Assert.False(SessionState.TryDeserialize([.. serialized.WrittenSpan, 0], out _));
        Assert.False(SessionState.TryDeserialize(serialized.WrittenSpan[..^1], out _));
        var otherFormat = serialized.WrittenSpan.ToArray();
        otherFormat[0] = 2;
        Assert.False(SessionState.TryDeserialize(otherFormat, out _));
    }

    public void Dispose()
    {
        foreach (var file in _files)
            File.Delete(file);
    }
}
