using System.Net;
using System.Text;
using Brisk.Server.Operations;

namespace Brisk.Server.Tests.Operations;

/// <summary>The access-log writer never makes a connection wait: a stalled disk costs dropped, counted lines.</summary>
public sealed class AccessLogWriterTests
{
    private static AccessLogEntry Entry(int port) => new(DateTimeOffset.UtcNow, new IPEndPoint(IPAddress.Loopback, port), null,
        "example.org", "h2", "TLSv1.3", "TLS_AES_128_GCM_SHA256", "x25519", false, "CN=a \"quoted\" name, O=A&B", 10, 20, 1.5, "ok", "peer_closed");

    [Fact]
    public async Task A_stalled_output_drops_and_counts_lines_beyond_the_queue_and_writes_the_rest()
    {
        using var metrics = new ServerMetrics();
        using var recorder = new MeterRecorder(metrics.Meter);
        var output = new StalledStream();
        const int capacity = 8;
        var log = new AccessLog(output, path: null, metrics, capacity);

        Assert.True(log.TryWrite(Entry(1)));
        await output.WriteStarted.Task.WaitAsync(TimeSpan.FromSeconds(60)); // the writer holds line 1, stuck in the disk
        for (int i = 0; i < capacity; i++)
            Assert.True(log.TryWrite(Entry(100 + i))); // the queue takes `capacity` more without waiting
        for (int i = 0; i < 5; i++)
            Assert.False(log.TryWrite(Entry(200 + i))); // then each line is dropped at once
        Assert.Equal(5, log.Dropped);
        Assert.Equal(5, recorder.Get("brisk.server.access_log.dropped"));

        output.Release.SetResult();
        await log.DisposeAsync();
        var lines = Encoding.UTF8.GetString(output.Written.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(1 + capacity, lines.Length);
        Assert.DoesNotContain(lines, l => l.Contains("\"client_port\":20", StringComparison.Ordinal));
        // Each line is one JSON object; quotes in a subject are escaped, '&' stays readable.
        using var first = System.Text.Json.JsonDocument.Parse(lines[0]);
        Assert.Equal("CN=a \"quoted\" name, O=A&B", first.RootElement.GetProperty("client_cert").GetString());
        Assert.Contains("O=A&B", lines[0]);
    }

    /// <summary>An output whose first write blocks until released, like a disk that stopped answering.</summary>
    private sealed class StalledStream : Stream
    {
        public TaskCompletionSource WriteStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public MemoryStream Written { get; } = new();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            WriteStarted.TrySetResult();
            await Release.Task;
            Written.Write(buffer.Span);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => false;
        public override bool CanWrite => true;
        public override bool CanSeek => false;
        public override long Length => Written.Length;
        public override long Position { get => Written.Length; set => throw new NotSupportedException(); }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
