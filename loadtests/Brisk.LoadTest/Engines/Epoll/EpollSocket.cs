using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Tasks.Sources;

namespace Brisk.LoadTest.Engines.Epoll;

/// <summary>
/// A non-blocking TCP client socket driven by an <see cref="EpollLoop"/> (edge-triggered). Sends and receives are
/// plain syscalls on the calling thread; only when the kernel says EAGAIN does the operation wait for the loop's
/// readiness event, and the loop then continues the awaiting code inline on its own thread. Compared with
/// <see cref="Socket"/>'s async path per TLS 1.3 handshake: no wait for the connect to complete on loopback (the
/// ClientHello goes out straight after connect(); a send on a still-connecting socket returns EAGAIN and waits),
/// no SO_ERROR query, no speculative recv() that returns EAGAIN, no EPOLLOUT registration unless a send ever blocks.
/// One operation at a time (a connection's reads and writes are sequential in the load runner).
/// </summary>
internal sealed class EpollSocket : IStreamTransport, IValueTaskSource
{
    private const int ReadBit = 1, WriteBit = 2;

    private readonly EpollLoop _loop;
    private int _fd;
    /// <summary>Set by <see cref="EpollLoop.Register"/>; events carrying another token are stale.</summary>
    internal ulong Token;

    private readonly Lock _gate = new();
    private int _ready;       // readiness edges seen since the operation last cleared them (ReadBit | WriteBit)
    private int _waitingFor;  // the bit the pending wait needs; 0 = no waiter (guarded by _gate)
    private bool _outInterest;
    private bool _mayHaveMore; // the last recv filled the caller's buffer: more may be queued without a new edge
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private CancellationTokenRegistration _cancellation;

    private EpollSocket(EpollLoop loop, int fd)
    {
        _loop = loop;
        _fd = fd;
    }

    /// <summary>sockaddr_in / sockaddr_in6 for connect(), built once per run.</summary>
    internal static byte[] SocketAddress(IPEndPoint endpoint)
    {
        byte[] address;
        if (endpoint.AddressFamily == AddressFamily.InterNetwork)
        {
            address = new byte[16];
            BinaryPrimitives.WriteUInt16LittleEndian(address, LibC.AF_INET);
            endpoint.Address.TryWriteBytes(address.AsSpan(4), out _);
        }
        else
        {
            address = new byte[28];
            BinaryPrimitives.WriteUInt16LittleEndian(address, LibC.AF_INET6);
            endpoint.Address.TryWriteBytes(address.AsSpan(8), out _);
            BinaryPrimitives.WriteUInt32LittleEndian(address.AsSpan(24), (uint)endpoint.Address.ScopeId);
        }
        BinaryPrimitives.WriteUInt16BigEndian(address.AsSpan(2), (ushort)endpoint.Port);
        return address;
    }

    /// <summary>
    /// socket() + connect() without waiting for the connection to be established: the first send does (on loopback
    /// the three-way handshake has completed inside connect() already). A refused connection surfaces as
    /// <see cref="ConnectionFailedException"/> here or from the first send.
    /// </summary>
    public static unsafe EpollSocket Connect(EpollLoop loop, byte[] socketAddress)
    {
        int family = BinaryPrimitives.ReadUInt16LittleEndian(socketAddress);
        int fd = LibC.socket(family, LibC.SOCK_STREAM | LibC.SOCK_NONBLOCK | LibC.SOCK_CLOEXEC, 0);
        if (fd < 0) throw Failure(Marshal.GetLastPInvokeError());
        var socket = new EpollSocket(loop, fd);
        int one = 1;
        LibC.setsockopt(fd, LibC.IPPROTO_TCP, LibC.TCP_NODELAY, &one, sizeof(int));
        int result;
        fixed (byte* address = socketAddress)
            result = LibC.connect(fd, address, (uint)socketAddress.Length);
        int errno = result == 0 || Marshal.GetLastPInvokeError() is var e && e == LibC.EINPROGRESS ? 0 : e;
        // Registered after connect(): a socket that is not connecting yet reports EPOLLHUP, a spurious wake-up.
        // Readability only; EPOLLOUT is added the first time a send would block (EnsureWriteInterest).
        if (errno == 0 && loop.Register(socket, fd, LibC.EPOLLIN | LibC.EPOLLRDHUP) == 0)
            errno = Marshal.GetLastPInvokeError();
        if (errno == 0) return socket;
        socket.Dispose(); // one exception per failed connect, not a throw and a rethrow (refused-connection storms)
        throw Failure(errno);
    }

    internal static ConnectionFailedException Failure(int errno) => new(errno switch
    {
        LibC.ECONNREFUSED => ConnectionError.Refused,
        LibC.ECONNRESET or LibC.EPIPE or LibC.ECONNABORTED => ConnectionError.Reset(),
        LibC.ETIMEDOUT => ConnectionError.TimedOut,
        LibC.ENETUNREACH => ConnectionError.Other(nameof(SocketError.NetworkUnreachable)),
        LibC.EHOSTUNREACH => ConnectionError.Other(nameof(SocketError.HostUnreachable)),
        _ => ConnectionError.Other("errno_" + errno),
    });

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            Interlocked.And(ref _ready, ~WriteBit);
            nint sent = Send(data.Span, out int errno);
            if (sent >= 0)
            {
                data = data[(int)sent..];
                continue;
            }
            if (errno != LibC.EAGAIN) throw Failure(errno);
            EnsureWriteInterest();
            await WaitAsync(WriteBit, cancellationToken).ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            // No recv() that is known to return EAGAIN: without a new edge and with the last read short, the queue is empty.
            if ((Volatile.Read(ref _ready) & ReadBit) == 0 && !_mayHaveMore)
                await WaitAsync(ReadBit, cancellationToken).ConfigureAwait(false);
            Interlocked.And(ref _ready, ~ReadBit);
            nint received = Receive(buffer.Span, out int errno);
            if (received >= 0)
            {
                _mayHaveMore = received == buffer.Length && received > 0;
                return (int)received;
            }
            _mayHaveMore = false;
            if (errno != LibC.EAGAIN && errno != LibC.EINTR) throw Failure(errno);
        }
    }

    private unsafe nint Receive(Span<byte> buffer, out int errno)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0) throw new ConnectionFailedException(ConnectionError.Other("closed"));
        nint received;
        fixed (byte* p = buffer)
            received = LibC.recv(fd, p, (nuint)buffer.Length, 0);
        errno = received < 0 ? Marshal.GetLastPInvokeError() : 0;
        return received;
    }

    /// <summary>One non-blocking send, errors ignored (the close_notify before close).</summary>
    public void TrySend(ReadOnlySpan<byte> data) => Send(data, out _);

    private unsafe nint Send(ReadOnlySpan<byte> data, out int errno)
    {
        int fd = Volatile.Read(ref _fd);
        if (fd < 0)
        {
            errno = LibC.EPIPE;
            return -1;
        }
        nint sent;
        fixed (byte* p = data)
            sent = LibC.send(fd, p, (nuint)data.Length, LibC.MSG_NOSIGNAL);
        errno = sent < 0 ? Marshal.GetLastPInvokeError() : 0;
        return sent;
    }

    private unsafe void EnsureWriteInterest()
    {
        if (_outInterest) return;
        _outInterest = true;
        // EPOLL_CTL_MOD re-evaluates readiness: a socket that became writable meanwhile still reports the edge.
        byte* evt = stackalloc byte[16];
        *(uint*)evt = LibC.EPOLLIN | LibC.EPOLLRDHUP | LibC.EPOLLOUT | LibC.EPOLLET;
        *(ulong*)(evt + LibC.EpollDataOffset) = Token;
        if (LibC.epoll_ctl(LoopFd, 3 /* EPOLL_CTL_MOD */, Volatile.Read(ref _fd), evt) != 0)
            throw Failure(Marshal.GetLastPInvokeError());
    }

    private int LoopFd => _loop.EpollFd;

    private ValueTask WaitAsync(int bit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if ((_ready & bit) != 0) return default; // the edge came between the syscall and here
            if (_fd < 0) throw new ConnectionFailedException(ConnectionError.Other("closed"));
            _core.Reset();
            _waitingFor = bit;
        }
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static s => ((EpollSocket)s!).CancelWait(), this);
        return new ValueTask(this, _core.Version);
    }

    /// <summary>Called on the loop thread with the epoll flags of this socket.</summary>
    internal void OnEvents(uint events)
    {
        int bits = 0;
        if ((events & (LibC.EPOLLIN | LibC.EPOLLRDHUP | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0) bits |= ReadBit;
        if ((events & (LibC.EPOLLOUT | LibC.EPOLLHUP | LibC.EPOLLERR)) != 0) bits |= WriteBit;
        bool wake;
        lock (_gate)
        {
            Interlocked.Or(ref _ready, bits);
            wake = (_waitingFor & bits) != 0;
            if (wake) _waitingFor = 0;
        }
        if (wake) _core.SetResult(true); // the awaiting code runs here, inline
    }

    private void CancelWait()
    {
        bool wake;
        lock (_gate)
        {
            wake = _waitingFor != 0;
            _waitingFor = 0;
        }
        // Not inline on the timer thread that fired the cancellation.
        if (wake)
            ThreadPool.UnsafeQueueUserWorkItem(static s => s._core.SetException(new OperationCanceledException()), this, preferLocal: false);
    }

    void IValueTaskSource.GetResult(short token)
    {
        _cancellation.Dispose();
        _cancellation = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd < 0) return;
        LibC.close(fd); // also removes it from the epoll set
        if (Token != 0) _loop.Unregister(Token);
        bool wake;
        lock (_gate)
        {
            wake = _waitingFor != 0;
            _waitingFor = 0;
        }
        if (wake) _core.SetException(new ConnectionFailedException(ConnectionError.Other("closed")));
    }
}
