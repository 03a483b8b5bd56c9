using System.Buffers;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Brisk.Tls.Records;

namespace Brisk.Bench.Records;

/// <summary>
/// Finding TLS records where they lie: a 64 KiB read of back-to-back 16 KiB records in one segment (the fast
/// path) against the same bytes split into 4 KiB segments, as a small-buffer pipe would deliver them.
/// </summary>
[MemoryDiagnoser]
public class RecordFramingBenchmark
{
    private ReadOnlySequence<byte> _single;
    private ReadOnlySequence<byte> _multi;

    [GlobalSetup]
    public void Setup() => (_single, _multi) = RecordBuffers.Create(recordLength: 16 * 1024 + 22, records: 4, segmentLength: 4096);

    [Benchmark(Baseline = true)]
    public int SingleSegment() => RecordBuffers.CountRecords(_single);

    [Benchmark]
    public int MultiSegment() => RecordBuffers.CountRecords(_multi);
}

internal static class RecordBuffers
{
    /// <summary>Back-to-back application_data records, as one segment and as a chain of fixed-size segments.</summary>
    public static (ReadOnlySequence<byte> Single, ReadOnlySequence<byte> Multi) Create(int recordLength, int records, int segmentLength)
    {
        var bytes = new byte[records * (RecordFraming.HeaderLength + recordLength)];
        for (int i = 0; i < records; i++)
            RecordFraming.WriteHeader(bytes.AsSpan(i * (RecordFraming.HeaderLength + recordLength)), Brisk.Tls.Protocol.ContentType.ApplicationData, 0x0303, recordLength);
        Segment? first = null, last = null;
        for (int offset = 0; offset < bytes.Length; offset += segmentLength)
        {
            var memory = bytes.AsMemory(offset, Math.Min(segmentLength, bytes.Length - offset));
            if (first is null)
                first = last = new Segment(memory, 0);
            else
                last = last!.Append(memory);
        }
        return (new ReadOnlySequence<byte>(bytes), new ReadOnlySequence<byte>(first!, 0, last!, last!.Memory.Length));
    }

    public static int CountRecords(ReadOnlySequence<byte> buffer)
    {
        int count = 0;
        while (RecordFraming.TryReadRecord(buffer, RecordFraming.MaxTls13CiphertextLength, out _, out var payload))
        {
            count++;
            buffer = buffer.Slice(payload.End);
        }
        return count;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}

/// <summary><c>quick records</c>: multi-segment framing cost relative to the single-segment fast path, same run.</summary>
public sealed class QuickRecords : IQuickCommand
{
    public string Area => "records";

    public void Run(string[] args)
    {
        var (single, multi) = RecordBuffers.Create(16 * 1024 + 22, 4, 4096);
        const int iterations = 200_000;
        for (int i = 0; i < 10_000; i++)
        {
            RecordBuffers.CountRecords(single);
            RecordBuffers.CountRecords(multi);
        }
        var singleTimes = new List<double>();
        var multiTimes = new List<double>();
        for (int round = 0; round < 5; round++)
        {
            singleTimes.Add(Measure(single, iterations));
            multiTimes.Add(Measure(multi, iterations));
        }
        double s = Median(singleTimes), m = Median(multiTimes);
        Console.WriteLine($"RATIO records-frame-4x16k multi/single={m / s:F2} single_ns={s:F1} multi_ns={m:F1}");
    }

    private static double Measure(ReadOnlySequence<byte> buffer, int iterations)
    {
        long start = Stopwatch.GetTimestamp();
        int total = 0;
        for (int i = 0; i < iterations; i++)
            total += RecordBuffers.CountRecords(buffer);
        if (total != 4 * iterations)
            throw new InvalidOperationException("framing found the wrong number of records");
        return Stopwatch.GetElapsedTime(start).TotalNanoseconds / iterations;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
