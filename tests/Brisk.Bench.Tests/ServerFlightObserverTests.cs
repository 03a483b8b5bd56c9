using Brisk.Bench.Handshake;

namespace Brisk.Bench.Tests;

/// <summary>Classification of hand-built server flights (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3, §7.3).</summary>
public sealed class ServerFlightObserverTests
{
    private const ushort Aes128GcmSha256 = 0x1301;
    private const ushort EcdheRsaAes128GcmSha256 = 0xc02f;

    private static byte[] ServerHello(ushort suite, params (ushort Type, byte[] Data)[] extensions)
    {
        var body = new List<byte> { 0x03, 0x03 };
        body.AddRange(new byte[32]);          // random
        body.Add(32);
        body.AddRange(new byte[32]);          // legacy_session_id
        body.Add((byte)(suite >> 8));
        body.Add((byte)suite);
        body.Add(0);                          // compression
        var ext = new List<byte>();
        foreach (var (type, data) in extensions)
        {
            ext.AddRange([(byte)(type >> 8), (byte)type, (byte)(data.Length >> 8), (byte)data.Length]);
            ext.AddRange(data);
        }
        body.AddRange([(byte)(ext.Count >> 8), (byte)ext.Count]);
        body.AddRange(ext);
        return Message(2, body.ToArray());
    }

    private static byte[] Message(byte type, byte[] body) =>
        [type, (byte)(body.Length >> 16), (byte)(body.Length >> 8), (byte)body.Length, .. body];

    private static byte[] Record(byte type, byte[] payload) =>
        [type, 0x03, 0x03, (byte)(payload.Length >> 8), (byte)payload.Length, .. payload];

    private static readonly byte[] ChangeCipherSpec = Record(20, [1]);
    private static readonly byte[] Protected = Record(23, new byte[40]);
    private static readonly (ushort, byte[]) Tls13Version = (43, [0x03, 0x04]);
    private static readonly (ushort, byte[]) PreSharedKey = (41, [0x00, 0x00]);
    private static readonly (ushort, byte[]) KeyShare = (51, [0x00, 0x1d, 0x00, 0x20, .. new byte[32]]);

    [Fact]
    public void Tls13ServerHelloWithPreSharedKeyIsResumed()
    {
        byte[] flight = [.. Record(22, ServerHello(Aes128GcmSha256, Tls13Version, KeyShare, PreSharedKey)), .. ChangeCipherSpec, .. Protected];

        var result = ServerFlightObserver.Classify(flight);

        Assert.Equal(new ServerFlight(0x0304, Aes128GcmSha256, Resumed: true), result);
    }

    [Fact]
    public void Tls13ServerHelloWithoutPreSharedKeyIsFull()
    {
        byte[] flight = [.. Record(22, ServerHello(Aes128GcmSha256, KeyShare, Tls13Version)), .. ChangeCipherSpec, .. Protected];

        var result = ServerFlightObserver.Classify(flight);

        Assert.Equal(new ServerFlight(0x0304, Aes128GcmSha256, Resumed: false), result);
    }

    [Fact]
    public void Tls12FlightWithCertificateIsFull()
    {
        // ServerHello and Certificate in two records, the Certificate split across them (a message may span records).
        byte[] messages = [.. ServerHello(EcdheRsaAes128GcmSha256), .. Message(11, new byte[300]), .. Message(14, [])];
        byte[] flight = [.. Record(22, messages[..100]), .. Record(22, messages[100..])];

        var result = ServerFlightObserver.Classify(flight);

        Assert.Equal(new ServerFlight(0x0303, EcdheRsaAes128GcmSha256, Resumed: false), result);
    }

    [Fact]
    public void Tls12AbbreviatedFlightIsResumed()
    {
        // ServerHello, NewSessionTicket, then ChangeCipherSpec and the protected Finished (RFC 5077 §3.1). A
        // Certificate-typed byte after the ChangeCipherSpec is protected data, not a message.
        byte[] flight = [.. Record(22, [.. ServerHello(EcdheRsaAes128GcmSha256), .. Message(4, new byte[50])]), .. ChangeCipherSpec,
            .. Record(22, [11, 0, 0, 4, 1, 2, 3, 4])];

        var result = ServerFlightObserver.Classify(flight);

        Assert.Equal(new ServerFlight(0x0303, EcdheRsaAes128GcmSha256, Resumed: true), result);
    }

    [Fact]
    public void FlightNotStartingWithServerHelloIsRejected()
    {
        byte[] flight = Record(22, Message(11, new byte[10]));

        Assert.Throws<InvalidDataException>(() => ServerFlightObserver.Classify(flight));
    }

    [Fact]
    public void TruncatedServerHelloIsRejected()
    {
        var record = Record(22, ServerHello(Aes128GcmSha256, Tls13Version));

        Assert.Throws<InvalidDataException>(() => ServerFlightObserver.Classify(record.AsSpan(0, record.Length - 3)));
    }

    [Fact]
    public void ObserverKeepsBytesAcrossReadsUntilReset()
    {
        var observer = new ServerFlightObserver();
        byte[] flight = [.. Record(22, ServerHello(Aes128GcmSha256, Tls13Version, PreSharedKey)), .. ChangeCipherSpec];

        observer.Observe(flight.AsSpan(0, 7));
        observer.Observe(flight.AsSpan(7));
        Assert.True(observer.Classify().Resumed);

        observer.Reset();
        observer.Observe(Record(22, ServerHello(Aes128GcmSha256, Tls13Version)));
        Assert.False(observer.Classify().Resumed);
    }
}
