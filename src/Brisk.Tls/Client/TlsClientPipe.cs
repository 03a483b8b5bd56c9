using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace Brisk.Tls.Client;

/// <summary>
/// Drives a <see cref="TlsClientConnection"/> over a duplex pipe (the transport: what the server sends comes in
/// on <see cref="IDuplexPipe.Input"/>, what the client sends goes out on <see cref="IDuplexPipe.Output"/>).
/// Used by tests and the in-memory handshake benchmarks; the load generator drives the connection over its
/// socket directly. Records are decrypted in place in the pipe's memory when a record lies in one segment.
/// Owns neither the connection nor the pipe.
/// </summary>
public sealed class TlsClientPipe(TlsClientConnection connection, IDuplexPipe transport)
{
    private readonly PipeReader _input = transport.Input;
    private readonly PipeWriter _output = transport.Output;

    public TlsClientConnection Connection => connection;

    /// <summary>Sends the ClientHello and runs the handshake to completion; throws on any failure.</summary>
    public async ValueTask HandshakeAsync(CancellationToken cancellationToken = default)
    {
        connection.Start(_output);
        await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        while (!connection.IsHandshakeComplete)
        {
            if (!await ReadOnceAsync(null, cancellationToken).ConfigureAwait(false))
                throw new IOException("the server closed the connection during the handshake");
        }
    }

    /// <summary>Seals and sends application data.</summary>
    public ValueTask<FlushResult> WriteAsync(ReadOnlySpan<byte> data, CancellationToken cancellationToken = default)
    {
        connection.WriteApplicationData(data, _output);
        return _output.FlushAsync(cancellationToken);
    }

    /// <summary>
    /// Reads at least one record and appends any application data to <paramref name="applicationData"/>.
    /// Returns false at the end of the server's stream (close_notify or end of the pipe).
    /// </summary>
    public async ValueTask<bool> ReadOnceAsync(IBufferWriter<byte>? applicationData, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            if (connection.PeerClosed)
                return false;
            var result = await _input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            int consumed = ProcessBuffer(buffer, applicationData);
            _input.AdvanceTo(buffer.GetPosition(consumed), buffer.End);
            if (_output.UnflushedBytes > 0)
                await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
            if (consumed > 0)
                return true;
            if (result.IsCompleted)
                return false;
        }
    }

    private int ProcessBuffer(in ReadOnlySequence<byte> buffer, IBufferWriter<byte>? applicationData)
    {
        if (buffer.IsSingleSegment)
            return connection.Process(MemoryMarshal.AsMemory(buffer.First).Span, _output, applicationData);
        int length = (int)Math.Min(buffer.Length, int.MaxValue);
        // Records straddle segments: a contiguous copy (rented, cleared and returned after use).
        var joined = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            buffer.Slice(0, length).CopyTo(joined);
            return connection.Process(joined.AsSpan(0, length), _output, applicationData);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(joined, clearArray: true);
        }
    }

    /// <summary>Sends close_notify and completes the output.</summary>
    public async ValueTask CloseAsync()
    {
        connection.WriteCloseNotify(_output);
        await _output.FlushAsync().ConfigureAwait(false);
        await _output.CompleteAsync().ConfigureAwait(false);
    }
}
