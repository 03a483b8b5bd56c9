using System.Runtime.InteropServices;

namespace Brisk.LoadTest.Engines.Epoll;

/// <summary>
/// One event-loop thread over one epoll set. Sockets register with a token (slot | generation &lt;&lt; 32) rather than a
/// GCHandle, so an event still in flight for a socket that has just been closed (and whose slot or fd number is reused)
/// is recognised as stale and dropped. Readiness callbacks (<see cref="EpollSocket.OnEvents"/>) run on the loop
/// thread and complete waiting operations inline: the connection's async code then continues on this thread
/// without a hop to the thread pool.
/// </summary>
internal sealed unsafe class EpollLoop : IDisposable
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = ulong.MaxValue;

    private readonly int _epollFd;

    internal int EpollFd => _epollFd;
    private readonly int _wakeFd;
    private readonly Thread _thread;
    private volatile bool _stopping;

    private readonly Lock _slotsLock = new();
    private EpollSocket?[] _slots = new EpollSocket?[64];
    private readonly Stack<int> _freeSlots = new();
    private int _nextSlot;
    private uint _generation;

    public EpollLoop(string name)
    {
        _epollFd = LibC.epoll_create1(LibC.EPOLL_CLOEXEC);
        if (_epollFd < 0) throw new IOException($"epoll_create1 failed (errno {Marshal.GetLastPInvokeError()})");
        _wakeFd = LibC.eventfd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
        if (_wakeFd < 0 || Control(_wakeFd, LibC.EPOLLIN, WakeToken) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            LibC.close(_epollFd);
            throw new IOException($"eventfd/epoll_ctl failed (errno {errno})");
        }
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    private int Control(int fd, uint events, ulong token)
    {
        byte* evt = stackalloc byte[16];
        *(uint*)evt = events;
        *(ulong*)(evt + LibC.EpollDataOffset) = token;
        return LibC.epoll_ctl(_epollFd, LibC.EPOLL_CTL_ADD, fd, evt);
    }

    /// <summary>Adds the socket to the epoll set (edge-triggered); returns its token, or 0 and sets errno on failure.</summary>
    internal ulong Register(EpollSocket socket, int fd, uint events)
    {
        ulong token;
        lock (_slotsLock)
        {
            int slot = _freeSlots.Count > 0 ? _freeSlots.Pop() : _nextSlot++;
            if (slot >= _slots.Length) Array.Resize(ref _slots, _slots.Length * 2);
            if (++_generation == 0) _generation = 1; // 0 is never a valid token
            token = ((ulong)_generation << 32) | (uint)slot;
            _slots[slot] = socket;
        }
        socket.Token = token;
        if (Control(fd, events | LibC.EPOLLET, token) == 0) return token;
        int errno = Marshal.GetLastPInvokeError();
        Unregister(token);
        Marshal.SetLastPInvokeError(errno);
        return 0;
    }

    /// <summary>Frees the socket's slot. Call after close(fd), which already removed the fd from the epoll set.</summary>
    internal void Unregister(ulong token)
    {
        int slot = (int)(uint)token;
        lock (_slotsLock)
        {
            if (_slots[slot] is { } s && s.Token == token)
            {
                _slots[slot] = null;
                _freeSlots.Push(slot);
            }
        }
    }

    private void Run()
    {
        int size = LibC.EpollEventSize, dataOffset = LibC.EpollDataOffset;
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * size));
        try
        {
            while (!_stopping)
            {
                int n = LibC.epoll_wait(_epollFd, events, MaxEvents, -1);
                if (n < 0)
                {
                    if (Marshal.GetLastPInvokeError() == LibC.EINTR) continue;
                    break;
                }
                for (int i = 0; i < n; i++)
                {
                    byte* e = events + i * size;
                    uint flags = *(uint*)e;
                    ulong token = *(ulong*)(e + dataOffset);
                    if (token == WakeToken)
                    {
                        ulong drained;
                        LibC.read(_wakeFd, (byte*)&drained, 8);
                        continue;
                    }
                    EpollSocket? socket;
                    lock (_slotsLock)
                    {
                        socket = _slots[(int)(uint)token];
                    }
                    if (socket is null || socket.Token != token) continue; // closed since the event was queued
                    try { socket.OnEvents(flags); }
                    catch (Exception ex)
                    {
                        // Continuations run inline here; the load runner catches everything per connection, so this
                        // is a bug. Keep the loop alive rather than kill the process.
                        Console.Error.WriteLine($"epoll loop: unexpected {ex.GetType().Name}: {ex.Message}");
                    }
                }
            }
        }
        finally { NativeMemory.Free(events); }
    }

    public void Dispose()
    {
        if (_stopping) return;
        _stopping = true;
        ulong one = 1;
        LibC.write(_wakeFd, (byte*)&one, 8);
        if (Thread.CurrentThread != _thread) _thread.Join(TimeSpan.FromSeconds(5));
        if (!_thread.IsAlive)
        {
            LibC.close(_wakeFd);
            LibC.close(_epollFd);
        }
    }
}
