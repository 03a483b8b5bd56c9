using System.Buffers;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;

namespace Brisk.Server.Operations;

/// <summary>One finished connection, as the access log records it.</summary>
internal sealed record AccessLogEntry(
    DateTimeOffset Closed,
    IPEndPoint? Client,
    IPEndPoint? Listener,
    string? ServerName,
    string? ApplicationProtocol,
    string Version,
    string Suite,
    string Group,
    bool Resumed,
    string? ClientCertificateSubject,
    long BytesIn,
    long BytesOut,
    double DurationMs,
    string Handshake,
    string CloseReason);

/// <summary>
/// The optional access log: one JSON object per line per connection (format in docs/OPERATIONS.md, "Access log").
/// Connections hand their entry to a bounded channel and never wait: when the writer falls behind (a slow disk)
/// the entry is dropped and counted (brisk.server.access_log.dropped), so logging can never stall a connection.
/// A single background task formats and writes, flushing whenever the channel runs empty.
/// </summary>
internal sealed class AccessLog : IAsyncDisposable
{
    public const int DefaultCapacity = 16 * 1024;

    private readonly Channel<AccessLogEntry> _channel;
    private Stream _output;
    private readonly string? _path;
    private readonly ServerMetrics _metrics;
    private readonly Task _writer;
    private long _dropped;

    /// <summary>Writes to <paramref name="output"/> (reopening <paramref name="path"/> after rotation when given), queueing at most <paramref name="capacity"/> lines.</summary>
    internal AccessLog(Stream output, string? path, ServerMetrics metrics, int capacity = DefaultCapacity)
    {
        _channel = Channel.CreateBounded<AccessLogEntry>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once instead of waiting: the entry is dropped
        });
        _output = output;
        _path = path;
        _metrics = metrics;
        _writer = Task.Run(WriteLoopAsync);
    }

    /// <summary>Entries dropped because the channel was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Opens the log: "stdout" or a file path (appended to, created when missing).</summary>
    public static AccessLog Open(string target, ServerMetrics metrics)
    {
        if (string.Equals(target, "stdout", StringComparison.OrdinalIgnoreCase) || target == "-")
            return new AccessLog(Console.OpenStandardOutput(), path: null, metrics);
        return new AccessLog(OpenFile(target), target, metrics);
    }

    // FileShare.ReadWrite|Delete: logrotate may move or truncate the file while it is open.
    private static FileStream OpenFile(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);

    /// <summary>
    /// Rotation without a signal: before each batch, a file that was moved away (logrotate's default "create")
    /// or truncated (copytruncate) is reopened at the path, so writes neither follow the old file nor land at an
    /// old offset past the end of a truncated one. Only this writer appends, so the file at the path is ours
    /// exactly when it exists and is as long as what we wrote.
    /// </summary>
    private void ReopenIfRotated()
    {
        if (_path is null)
            return;
        var info = new FileInfo(_path);
        if (info.Exists && info.Length >= _output.Position)
            return;
        _output.Dispose();
        _output = OpenFile(_path);
    }

    /// <summary>Queues an entry; never blocks. Returns false (and counts a drop) when the writer is behind.</summary>
    public bool TryWrite(AccessLogEntry entry)
    {
        if (_channel.Writer.TryWrite(entry))
            return true;
        Interlocked.Increment(ref _dropped);
        _metrics.AccessLogDropped();
        return false;
    }

    private async Task WriteLoopAsync()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        // Relaxed escaping: a log line, never embedded in HTML; subjects keep their '+', '&' and non-ASCII letters readable.
        using var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        var reader = _channel.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                ReopenIfRotated();
                while (reader.TryRead(out var entry))
                {
                    json.Reset(buffer);
                    Format(json, entry);
                    json.Flush();
                    buffer.Write("\n"u8);
                    if (buffer.WrittenCount >= 32 * 1024)
                    {
                        await _output.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
                        buffer.ResetWrittenCount();
                    }
                }
                if (buffer.WrittenCount > 0)
                {
                    await _output.WriteAsync(buffer.WrittenMemory).ConfigureAwait(false);
                    buffer.ResetWrittenCount();
                }
                await _output.FlushAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or UnauthorizedAccessException)
        {
            // The log target went away (disk full, closed stdout): keep serving; later entries are dropped.
            Console.Error.WriteLine($"brisk: access log stopped: {ex.Message}");
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out _))
                {
                    Interlocked.Increment(ref _dropped);
                    _metrics.AccessLogDropped();
                }
            }
        }
    }

    internal static void Format(Utf8JsonWriter json, AccessLogEntry entry)
    {
        json.WriteStartObject();
        json.WriteString("time", entry.Closed.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
        json.WriteString("client", entry.Client?.Address.ToString());
        if (entry.Client is { } client)
            json.WriteNumber("client_port", client.Port);
        else
            json.WriteNull("client_port");
        json.WriteString("listener", entry.Listener?.ToString());
        json.WriteString("sni", entry.ServerName);
        json.WriteString("alpn", entry.ApplicationProtocol);
        json.WriteString("version", entry.Version);
        json.WriteString("suite", entry.Suite);
        json.WriteString("group", entry.Group);
        json.WriteBoolean("resumed", entry.Resumed);
        json.WriteString("client_cert", entry.ClientCertificateSubject);
        json.WriteNumber("bytes_in", entry.BytesIn);
        json.WriteNumber("bytes_out", entry.BytesOut);
        json.WriteNumber("duration_ms", Math.Round(entry.DurationMs, 3));
        json.WriteString("handshake", entry.Handshake);
        json.WriteString("close", entry.CloseReason);
        json.WriteEndObject();
    }

    /// <summary>Writes what is queued, then closes the file.</summary>
    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _writer.ConfigureAwait(false);
        if (_path is not null)
            await _output.DisposeAsync().ConfigureAwait(false);
        else
            await _output.FlushAsync().ConfigureAwait(false);
    }
}
