using System.Net.Sockets;
using System.Threading.Tasks.Sources;

namespace Brisk.Server.Transport;

/// <summary>
/// One reusable socket receive or send whose failure is a value (<see cref="SocketError"/>), not an exception.
/// Socket.ReceiveAsync/SendAsync(Memory) throw on every error and on cancellation; at handshake rates the ordinary
/// ends of a connection (the peer's reset while our close_notify goes out, the pending read aborted by our close)
/// cost a throw, a catch and a rethrow per await, more CPU than a resumed handshake's crypto. Kestrel's socket
/// transport does the same for the same reason.
///
/// One operation in flight at a time (the receive loop owns one instance, the send loop another). Continuations run
/// where the socket completes the operation: the socket event thread with inline completions, else a thread-pool
/// worker. Nothing is cancelled by token: closing the socket completes a pending operation with OperationAborted.
/// </summary>
internal sealed class SocketOperation : SocketAsyncEventArgs, IValueTaskSource<SocketError>
{
    private ManualResetValueTaskSourceCore<SocketError> _source; // mutable struct: never copy, never readonly

    public SocketOperation() : base(unsafeSuppressExecutionContextFlow: true)
    {
    }

    /// <summary>Receives into <paramref name="buffer"/> (empty: waits until data is readable); bytes in <see cref="SocketAsyncEventArgs.BytesTransferred"/>.</summary>
    public ValueTask<SocketError> ReceiveAsync(Socket socket, Memory<byte> buffer)
    {
        _source.Reset();
        SetBuffer(buffer);
        try
        {
            if (socket.ReceiveAsync(this))
                return new ValueTask<SocketError>(this, _source.Version);
        }
        catch (ObjectDisposedException)
        {
            return ValueTask.FromResult(SocketError.OperationAborted); // closed before the read was posted
        }
        return ValueTask.FromResult(SocketError);
    }

    /// <summary>Sends what it can of <paramref name="buffer"/>; bytes accepted in <see cref="SocketAsyncEventArgs.BytesTransferred"/>.</summary>
    public ValueTask<SocketError> SendAsync(Socket socket, ReadOnlyMemory<byte> buffer)
    {
        _source.Reset();
        // SocketAsyncEventArgs takes Memory<byte>; the socket only reads a send buffer.
        SetBuffer(System.Runtime.InteropServices.MemoryMarshal.AsMemory(buffer));
        try
        {
            if (socket.SendAsync(this))
                return new ValueTask<SocketError>(this, _source.Version);
        }
        catch (ObjectDisposedException)
        {
            return ValueTask.FromResult(SocketError.OperationAborted);
        }
        return ValueTask.FromResult(SocketError);
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _source.SetResult(SocketError);

    SocketError IValueTaskSource<SocketError>.GetResult(short token) => _source.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<SocketError>.GetStatus(short token) => _source.GetStatus(token);

    void IValueTaskSource<SocketError>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _source.OnCompleted(continuation, state, token, flags);
}
