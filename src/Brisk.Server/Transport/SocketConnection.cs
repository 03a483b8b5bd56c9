using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Brisk.Server.Operations;

namespace Brisk.Server.Transport;

/// <summary>
/// One accepted socket exposed as a pair of pipes. The transport knows nothing about TLS: it moves bytes
/// from the socket into <see cref="Transport"/>.Input and from <see cref="Transport"/>.Output to the socket.
///
/// Buffer ownership: the receive loop rents from the input pipe's pool only after a zero-byte receive says
/// data is ready, so an idle connection holds no pooled buffer (as Kestrel's SocketConnection does). The one
/// exception is the connection's first read, which waits with a 4 KiB buffer (in TLS the client speaks first).
/// The send loop returns memory to the output pipe as soon as the socket accepted it.
/// </summary>
internal sealed class SocketConnection : IAsyncDisposable
{
    // Large enough that a full 16 KiB record (plus the next header) usually lands in one segment, so the record
    // layer opens it where it lies instead of copying a record that straddles segments; and fewer syscalls.
    private const int MinimumReceiveBufferSize = 32 * 1024;

    // The first read (a ClientHello, or a PROXY header then the ClientHello) is a few hundred bytes to a few KiB.
    private const int FirstReceiveBufferSize = 4 * 1024;

    private readonly Socket _socket;
    private readonly Pipe _input;
    private readonly Pipe _output;
    // Error-as-value operations (no exception per ordinary close); one each, owned by its loop.
    private readonly SocketOperation _receive = new();
    private readonly SocketOperation _send = new();
    // Set just before this side closes the socket: the receive loop then posts no further read (which would throw).
    private volatile bool _socketClosed;
    private Task? _receiveTask;
    private Task? _sendTask;
    private int _disposed;
    private bool _finSent;
    private readonly ServerMetrics? _metrics;
    // Written by one loop each (received: the receive loop; sent: the send loop); read by logs and the idle check.
    private long _bytesReceived;
    private long _bytesSent;
    private long _lastActivity = Environment.TickCount64;

    public SocketConnection(Socket socket, PipeOptions inputOptions, PipeOptions outputOptions, ServerMetrics? metrics = null)
    {
        _socket = socket;
        _metrics = metrics;
        _input = new Pipe(inputOptions);
        _output = new Pipe(outputOptions);
        Transport = new DuplexPipe(_input.Reader, _output.Writer);
        RemoteEndPoint = socket.RemoteEndPoint as IPEndPoint;
        LocalEndPoint = socket.LocalEndPoint as IPEndPoint;
    }

    /// <summary>The protocol side: read what the peer sent, write what goes to the peer.</summary>
    public IDuplexPipe Transport { get; }

    public IPEndPoint? RemoteEndPoint { get; }

    public IPEndPoint? LocalEndPoint { get; }

    /// <summary>Bytes received from the peer so far (TLS records as on the wire).</summary>
    public long BytesReceived => Volatile.Read(ref _bytesReceived);

    /// <summary>Bytes the socket accepted for the peer so far.</summary>
    public long BytesSent => Volatile.Read(ref _bytesSent);

    /// <summary><see cref="Environment.TickCount64"/> of the last byte received or sent (for the idle timeout).</summary>
    public long LastActivity => Volatile.Read(ref _lastActivity);

    /// <summary>The first reason the connection ended (reset, peer closed, aborted), for logs. Set once.</summary>
    public string? CloseReason => Volatile.Read(ref _closeReason);

    private string? _closeReason;

    public void Start()
    {
        _receiveTask = ReceiveLoopAsync();
        _sendTask = SendLoopAsync();
    }

    /// <summary>Aborts both directions at once (used on shutdown and on fatal protocol errors after the alert was flushed).</summary>
    public void Abort(string reason)
    {
        SetCloseReason(reason);
        // Closing completes a pending receive or send with OperationAborted: that ends both loops.
        _socketClosed = true;
        try { _socket.Shutdown(SocketShutdown.Both); } catch { /* already gone */ }
        _socket.Close(0);
    }

    /// <summary>
    /// Closes with a TCP reset and no FIN before it (linger 0): the peer learns the connection failed rather
    /// than ended, e.g. to pass on a backend's reset.
    /// </summary>
    public void Reset(string reason)
    {
        SetCloseReason(reason);
        _socketClosed = true;
        try { _socket.LingerState = new LingerOption(true, 0); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
        _socket.Close(0);
    }

    /// <summary>
    /// Everything was written and the FIN is queued behind it: stop receiving and close without linger 0, so
    /// the kernel still delivers what sits in the socket's send buffer (a reset would discard it, truncating
    /// e.g. a large response the peer has not read yet).
    /// </summary>
    private void CloseGracefully()
    {
        SetCloseReason("closed");
        _socketClosed = true;
        _socket.Close();
    }

    private void SetCloseReason(string reason) => Interlocked.CompareExchange(ref _closeReason, reason, null);

    private async Task ReceiveLoopAsync()
    {
        var writer = _input.Writer;
        Exception? error = null;
        bool first = true;
        try
        {
            while (true)
            {
                // The client speaks first and its first flight is usually there by now: read it straight away into
                // a small buffer, one syscall instead of a zero-byte receive and then the read. Afterwards wait for
                // readability without holding a buffer, so an idle connection holds none.
                SocketError result;
                if (_socketClosed)
                {
                    SetCloseReason("aborted");
                    break;
                }
                if (!first)
                {
                    result = await _receive.ReceiveAsync(_socket, Memory<byte>.Empty).ConfigureAwait(false);
                    if (result != SocketError.Success)
                    {
                        error = ReceiveFailed(result);
                        break;
                    }
                }
                var memory = writer.GetMemory(first ? FirstReceiveBufferSize : MinimumReceiveBufferSize);
                first = false;
                result = await _receive.ReceiveAsync(_socket, memory).ConfigureAwait(false);
                if (result != SocketError.Success)
                {
                    error = ReceiveFailed(result);
                    break;
                }
                int received = _receive.BytesTransferred;
                if (received == 0)
                {
                    SetCloseReason("peer closed");
                    break;
                }
                writer.Advance(received);
                Volatile.Write(ref _bytesReceived, _bytesReceived + received);
                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                _metrics?.BytesReceived(received);
                var flush = await writer.FlushAsync().ConfigureAwait(false);
                if (flush.IsCompleted || flush.IsCanceled)
                    break;
            }
        }
        catch (ObjectDisposedException) { SetCloseReason("aborted"); }
        await writer.CompleteAsync(error).ConfigureAwait(false);
    }

    /// <summary>The close reason for a failed receive, and the error the protocol side reads (null: a plain end of input).</summary>
    private Exception? ReceiveFailed(SocketError result)
    {
        if (result == SocketError.OperationAborted)
        {
            SetCloseReason("aborted"); // our own close (dispose, abort, reset, or the send side failed)
            return null;
        }
        return TransportError(result);
    }

    /// <summary>
    /// The error the protocol side reads once the socket failed, with the close reason set. A lost connection (reset,
    /// aborted, or the peer gone on a send) is an <see cref="IOException"/>, which the protocol side handles as the end
    /// of the transport — a peer that resets after its response is ordinary, not a server fault to warn about with a
    /// stack trace; any other socket error stays a <see cref="SocketException"/> and is logged as unexpected.
    /// </summary>
    private Exception TransportError(SocketError result)
    {
        if (IsConnectionLoss(result))
        {
            SetCloseReason("reset");
            return new IOException("connection reset by peer", new SocketException((int)result));
        }
        SetCloseReason(result.ToString());
        return new SocketException((int)result);
    }

    private async Task SendLoopAsync()
    {
        var reader = _output.Reader;
        SocketError failed = SocketError.Success;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync().ConfigureAwait(false);
                var buffer = result.Buffer;
                try
                {
                    if (!buffer.IsEmpty)
                    {
                        if (buffer.IsSingleSegment)
                        {
                            failed = await SendAllAsync(buffer.First).ConfigureAwait(false);
                        }
                        else
                        {
                            foreach (var segment in buffer)
                            {
                                failed = await SendAllAsync(segment).ConfigureAwait(false);
                                if (failed != SocketError.Success)
                                    break;
                            }
                        }
                    }
                }
                finally
                {
                    reader.AdvanceTo(buffer.End);
                }
                if (failed != SocketError.Success || result.IsCompleted || result.IsCanceled)
                    break;
            }
        }
        catch (ObjectDisposedException)
        {
            failed = SocketError.OperationAborted;
        }
        if (failed == SocketError.Success)
        {
            // The protocol side finished writing: half-close so the peer sees EOF after the last record.
            try
            {
                _socket.Shutdown(SocketShutdown.Send);
                Volatile.Write(ref _finSent, true);
            }
            catch (SocketException) { }
            catch (ObjectDisposedException) { }
            await reader.CompleteAsync().ConfigureAwait(false);
            return;
        }
        if (failed == SocketError.OperationAborted)
            SetCloseReason("aborted");
        // The protocol side's next flush throws this (created, not thrown, here: the usual case has no next flush).
        await reader.CompleteAsync(TransportError(failed)).ConfigureAwait(false);
        // Nobody can receive what we send: stop reading too, so the protocol side ends. Shutting the receive side
        // down ends a pending receive (it reads end of input); if the socket is already closed there is nothing to end.
        try { _socket.Shutdown(SocketShutdown.Receive); } catch (Exception ex) when (ex is SocketException or ObjectDisposedException) { }
    }

    private async ValueTask<SocketError> SendAllAsync(ReadOnlyMemory<byte> data)
    {
        while (!data.IsEmpty)
        {
            var result = await _send.SendAsync(_socket, data).ConfigureAwait(false);
            if (result != SocketError.Success)
                return result;
            int sent = _send.BytesTransferred;
            data = data[sent..];
            Volatile.Write(ref _bytesSent, _bytesSent + sent);
            Volatile.Write(ref _lastActivity, Environment.TickCount64);
            _metrics?.BytesSent(sent);
        }
        return SocketError.Success;
    }

    private static bool IsConnectionLoss(SocketError error) =>
        error is SocketError.ConnectionReset or SocketError.ConnectionAborted or SocketError.Shutdown or SocketError.OperationAborted;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        // Let the send loop flush what the protocol wrote (e.g. a final alert), bounded, then close.
        await WaitBoundedAsync(_sendTask, TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        if (Volatile.Read(ref _finSent))
            CloseGracefully();
        else
            Abort("closed");
        if (_receiveTask is not null)
            await _receiveTask.ConfigureAwait(false);
        await WaitBoundedAsync(_sendTask, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
        _receive.Dispose();
        _send.Dispose();
    }

    /// <summary>
    /// Waits for <paramref name="task"/> at most <paramref name="bound"/>, never throwing. Creates no timer when
    /// the task already finished (the usual case on close), and disposes the timer as soon as the task ends:
    /// Task.WhenAny with Task.Delay left a timer alive for the full bound after every connection, thousands of
    /// them in the runtime's timer queue at full handshake rate.
    /// </summary>
    private static async ValueTask WaitBoundedAsync(Task? task, TimeSpan bound)
    {
        if (task is null || task.IsCompleted)
            return;
        try { await task.WaitAsync(bound).ConfigureAwait(false); }
        catch (TimeoutException) { }
        catch (Exception) { /* the loops observe their own errors; the old WhenAny never threw either */ }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
