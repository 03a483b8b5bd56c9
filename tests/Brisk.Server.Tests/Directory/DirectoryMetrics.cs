using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>Counts what one policy's meter reports (by instrument and tag value), listening to that meter only.</summary>
public sealed class DirectoryMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _counts = new();

    public DirectoryMetrics(Meter meter)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string key = instrument.Name;
            foreach (var tag in tags)
                key += $"|{tag.Key}={tag.Value}";
            _counts.AddOrUpdate(key, value, (_, old) => old + value);
        });
        _listener.Start();
    }

    /// <summary>E.g. Count("brisk.directory.lookups", "result=listed") or Count("brisk.directory.cache.hits").</summary>
    public long Count(string instrument, string? tag = null) =>
        _counts.TryGetValue(tag is null ? instrument : $"{instrument}|{tag}", out var value) ? value : 0;

    public override string ToString() => string.Join(", ", _counts.OrderBy(p => p.Key).Select(p => $"{p.Key}={p.Value}"));

    public void Dispose() => _listener.Dispose();
}
