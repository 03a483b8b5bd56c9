using System.Collections.Concurrent;
using System.Diagnostics;
using HdrHistogram;

namespace Brisk.LoadTest;

/// <summary>
/// Counters of one measurement window. Thread-safe: connections complete on thread-pool threads.
/// Latencies are recorded in microseconds into HdrHistograms (3 significant digits, up to 10 min).
/// </summary>
internal sealed class RunStats
{
    public const long HighestTrackableMicros = 600_000_000;

    public LongConcurrentHistogram HandshakeMicros { get; } = new(1, HighestTrackableMicros, 3);
    public LongConcurrentHistogram FirstByteMicros { get; } = new(1, HighestTrackableMicros, 3);
    private readonly ConcurrentDictionary<string, long> _errors = new();
    private long _handshakes, _resumed, _errorCount, _bytes, _dropped, _completed;

    public long Handshakes => Interlocked.Read(ref _handshakes);
    public long Resumed => Interlocked.Read(ref _resumed);
    public long Errors => Interlocked.Read(ref _errorCount);
    public long Bytes => Interlocked.Read(ref _bytes);
    /// <summary>Open model: arrivals not started because the in-flight cap was reached.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);
    public IReadOnlyDictionary<string, long> ErrorTable => _errors;
    /// <summary>Connections that ended (handshake, request and close done, or failed): what --count counts.</summary>
    public long Completed => Interlocked.Read(ref _completed);

    public void RecordCompleted() => Interlocked.Increment(ref _completed);

    public static long MicrosFromTimestamps(long start, long end) =>
        Math.Max(1, (long)((end - start) * 1_000_000.0 / Stopwatch.Frequency));

    public void RecordHandshake(long startTimestamp, long handshakeDoneTimestamp, bool resumed)
    {
        HandshakeMicros.RecordValue(Math.Min(HighestTrackableMicros, MicrosFromTimestamps(startTimestamp, handshakeDoneTimestamp)));
        Interlocked.Increment(ref _handshakes);
        if (resumed) Interlocked.Increment(ref _resumed);
    }

    public void RecordFirstByte(long startTimestamp, long firstByteTimestamp) =>
        FirstByteMicros.RecordValue(Math.Min(HighestTrackableMicros, MicrosFromTimestamps(startTimestamp, firstByteTimestamp)));

    public void RecordError(ConnectionError error)
    {
        Interlocked.Increment(ref _errorCount);
        _errors.AddOrUpdate(error.Key, 1, static (_, n) => n + 1);
    }

    public void AddBytes(long n) => Interlocked.Add(ref _bytes, n);

    public void RecordDropped() => Interlocked.Increment(ref _dropped);

    /// <summary>Sums the error table by kind (the part of the key before ':').</summary>
    public static SortedDictionary<string, long> ErrorsByKind(IReadOnlyDictionary<string, long> table)
    {
        var byKind = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["refused"] = 0, ["reset"] = 0, ["timeout"] = 0, ["alert"] = 0, ["other"] = 0,
        };
        foreach (var (key, n) in table)
        {
            int colon = key.IndexOf(':');
            string kind = colon < 0 ? key : key[..colon];
            byKind[kind] = byKind.GetValueOrDefault(kind) + n;
        }
        return byKind;
    }
}
