using System.Buffers;
using System.IO.Pipelines;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Records;

/// <summary>
/// Writes records into the transport's <see cref="PipeWriter"/>: fragments into records of at most 2^14
/// bytes, seals them straight into the pipe's memory once protection is on, and leaves flushing to the
/// caller so a whole handshake flight goes out in one write. One writer at a time: the connection
/// serialises access (handshake, application pump and alerts share it).
/// </summary>
internal sealed class RecordWriter : IDisposable
{
    private readonly PipeWriter _output;
    private RecordProtection? _protection;

    public RecordWriter(PipeWriter output) => _output = output;

    public bool IsProtected => _protection is not null;

    /// <summary>The next record's sequence number under the current write keys (0 before protection).</summary>
    public ulong SequenceNumber => _protection?.SequenceNumber ?? 0;

    /// <summary>Switches to new write keys (after our ChangeCipherSpec, or a TLS 1.3 key change); the old keys are erased.</summary>
    public void SetProtection(RecordProtection protection)
    {
        _protection?.Dispose();
        _protection = protection;
    }

    public void Write(ContentType type, ReadOnlySpan<byte> data)
    {
        do
        {
            int length = Math.Min(data.Length, RecordFraming.MaxPlaintextLength);
            WriteRecord(type, data[..length]);
            data = data[length..];
        } while (!data.IsEmpty);
    }

    /// <summary>
    /// Writes application data from a (possibly multi-segment) sequence, packing it into full records.
    /// A segment that already holds a whole record's worth is sealed from where it lies; smaller pieces
    /// are gathered into the record's place in the pipe first.
    /// </summary>
    public void Write(ContentType type, in ReadOnlySequence<byte> data)
    {
        if (data.IsSingleSegment)
        {
            Write(type, data.FirstSpan);
            return;
        }
        var remaining = data;
        while (!remaining.IsEmpty)
        {
            int length = (int)Math.Min(remaining.Length, RecordFraming.MaxPlaintextLength);
            var chunk = remaining.Slice(0, length);
            if (chunk.IsSingleSegment)
            {
                WriteRecord(type, chunk.FirstSpan);
            }
            else
            {
                int offset = _protection?.PlaintextOffset ?? RecordFraming.HeaderLength;
                int overhead = _protection?.Overhead ?? 0;
                var destination = _output.GetSpan(RecordFraming.HeaderLength + length + overhead);
                var plaintext = destination.Slice(offset, length);
                chunk.CopyTo(plaintext);
                int written = _protection is null
                    ? WritePlain(type, plaintext, destination)
                    : _protection.Seal(type, plaintext, destination);
                _output.Advance(written);
            }
            remaining = remaining.Slice(length);
        }
    }

    private void WriteRecord(ContentType type, ReadOnlySpan<byte> fragment)
    {
        int overhead = _protection?.Overhead ?? 0;
        var destination = _output.GetSpan(RecordFraming.HeaderLength + fragment.Length + overhead);
        int written = _protection is null
            ? WritePlain(type, fragment, destination)
            : _protection.Seal(type, fragment, destination);
        _output.Advance(written);
    }

    private static int WritePlain(ContentType type, ReadOnlySpan<byte> fragment, Span<byte> destination)
    {
        RecordFraming.WriteHeader(destination, type, ProtocolVersion.Tls12, fragment.Length);
        fragment.CopyTo(destination[RecordFraming.HeaderLength..]);
        return RecordFraming.HeaderLength + fragment.Length;
    }

    public ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken) => _output.FlushAsync(cancellationToken);

    public void Dispose()
    {
        _protection?.Dispose();
        _protection = null;
    }
}
