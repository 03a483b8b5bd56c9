using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// Process-wide RSA counters: operations per engine, verification failures (faulty results withheld),
/// batch sizes and queue waits. Published on the <see cref="MeterName"/> meter for dotnet-counters /
/// OpenTelemetry, and readable directly (tests, the server's status output).
/// </summary>
public static class RsaMetrics
{
    public const string MeterName = "Brisk.Crypto.Rsa";

    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> OperationsCounter = Meter.CreateCounter<long>("brisk.rsa.operations", description: "Raw RSA private operations completed, by engine.");
    private static readonly Counter<long> FaultsCounter = Meter.CreateCounter<long>("brisk.rsa.verification_failures", description: "Private results that failed the public-key check and were withheld.");
    private static readonly Histogram<int> BatchSizeHistogram = Meter.CreateHistogram<int>("brisk.rsa.batch_size", description: "Requests per engine call.");
    private static readonly Histogram<double> QueueWaitHistogram = Meter.CreateHistogram<double>("brisk.rsa.queue_wait", unit: "us", description: "Time a request waited in the batch queue.");

    private static readonly ConcurrentDictionary<string, StrongBox<long>> OperationsByEngine = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, StrongBox<long>> FaultsByEngine = new(StringComparer.Ordinal);
    private static long _faults;

    /// <summary>Total verification failures in this process, all engines.</summary>
    public static long VerificationFailures => Interlocked.Read(ref _faults);

    public static long OperationsOf(string engine) => OperationsByEngine.TryGetValue(engine, out var box) ? Interlocked.Read(ref box.Value) : 0;

    public static long VerificationFailuresOf(string engine) => FaultsByEngine.TryGetValue(engine, out var box) ? Interlocked.Read(ref box.Value) : 0;

    internal static void RecordOperations(string engine, int count)
    {
        Interlocked.Add(ref OperationsByEngine.GetOrAdd(engine, static _ => new StrongBox<long>()).Value, count);
        OperationsCounter.Add(count, new KeyValuePair<string, object?>("engine", engine));
    }

    internal static void RecordFault(string engine)
    {
        Interlocked.Increment(ref _faults);
        Interlocked.Increment(ref FaultsByEngine.GetOrAdd(engine, static _ => new StrongBox<long>()).Value);
        FaultsCounter.Add(1, new KeyValuePair<string, object?>("engine", engine));
    }

    internal static void RecordBatch(string engine, int size)
        => BatchSizeHistogram.Record(size, new KeyValuePair<string, object?>("engine", engine));

    internal static void RecordQueueWait(TimeSpan wait)
        => QueueWaitHistogram.Record(wait.TotalMicroseconds);

    /// <summary>A mutable box whose field can be updated with <see cref="Interlocked"/>.</summary>
    private sealed class StrongBox<T>
    {
        public T Value = default!;
    }
}
