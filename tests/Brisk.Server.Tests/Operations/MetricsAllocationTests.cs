using System.Diagnostics;
using System.Diagnostics.Metrics;
using Brisk.Server.Operations;
using Brisk.Tls;

namespace Brisk.Server.Tests.Operations;

/// <summary>Recording a handshake's metrics, with a listener attached, allocates nothing (cached tag strings, TagList).</summary>
public sealed class MetricsAllocationTests
{
    [Fact]
    public void Recording_handshakes_and_limits_allocates_nothing_with_a_listener()
    {
        using var metrics = new ServerMetrics();
        long seen = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, metrics.Meter))
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) => seen += value + tags.Length);
        listener.SetMeasurementEventCallback<double>((_, _, tags, _) => seen += tags.Length);
        listener.Start();

        // A negotiated connection's values (the setters are internal to Brisk.Tls).
        var info = new TlsConnectionInfo();
        typeof(TlsConnectionInfo).GetProperty(nameof(TlsConnectionInfo.Version))!.SetValue(info, (ushort)0x0304);
        typeof(TlsConnectionInfo).GetProperty(nameof(TlsConnectionInfo.CipherSuite))!.SetValue(info, Brisk.Tls.Protocol.CipherSuite.TLS_AES_128_GCM_SHA256);
        typeof(TlsConnectionInfo).GetProperty(nameof(TlsConnectionInfo.Group))!.SetValue(info, (Brisk.Crypto.KeyExchange.NamedGroup?)Brisk.Crypto.KeyExchange.NamedGroup.X25519);
        Assert.Equal("TLS_AES_128_GCM_SHA256", ServerMetrics.SuiteName(info.CipherSuite));
        Assert.Equal("x25519", ServerMetrics.GroupName(info.Group));
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < 10; i++) // warm-up: static tables, JIT
            Record(metrics, info, start);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
            Record(metrics, info, start);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(seen > 0);
    }

    private static void Record(ServerMetrics metrics, TlsConnectionInfo info, long start)
    {
        metrics.ConnectionAccepted();
        metrics.ConnectionOpened();
        metrics.RecordHandshake(info, ServerMetrics.ResultOk, start);
        metrics.RecordHandshake(info, TlsMetrics.AlertName(Brisk.Tls.Protocol.AlertDescription.HandshakeFailure), start);
        metrics.LimitTriggered(LimitKind.HandshakeRate);
        metrics.BytesReceived(517);
        metrics.BytesSent(4096);
        metrics.ConnectionClosed();
    }
}
