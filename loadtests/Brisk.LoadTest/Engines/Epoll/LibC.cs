using System.Runtime.InteropServices;

namespace Brisk.LoadTest.Engines.Epoll;

/// <summary>
/// The few libc calls the epoll I/O path needs (Linux; constants from the x86-64/arm64 kernel headers, which agree for
/// everything used here). Every call that can fail sets errno, read with <see cref="Marshal.GetLastPInvokeError"/>.
/// </summary>
internal static unsafe partial class LibC
{
    private const string Library = "libc";

    public const int AF_INET = 2, AF_INET6 = 10;
    public const int SOCK_STREAM = 1, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int IPPROTO_TCP = 6, TCP_NODELAY = 1;
    public const int SOL_SOCKET = 1, SO_ERROR = 4;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1;
    public const uint EPOLLIN = 0x1, EPOLLOUT = 0x4, EPOLLERR = 0x8, EPOLLHUP = 0x10, EPOLLRDHUP = 0x2000, EPOLLET = 1u << 31;
    public const int EFD_CLOEXEC = 0x80000, EFD_NONBLOCK = 0x800;

    // errno values (asm-generic/errno*.h)
    public const int EINTR = 4, EAGAIN = 11, EPIPE = 32, ENETUNREACH = 101, ECONNABORTED = 103, ECONNRESET = 104,
        ETIMEDOUT = 110, ECONNREFUSED = 111, EHOSTUNREACH = 113, EINPROGRESS = 115;

    /// <summary>x86-64's struct epoll_event is packed (12 bytes, data at offset 4); other architectures align it (16, 8).</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;
    public static readonly int EpollDataOffset = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 4 : 8;

    [LibraryImport(Library, SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport(Library, SetLastError = true)] public static partial int connect(int fd, byte* address, uint addressLength);
    [LibraryImport(Library, SetLastError = true)] public static partial nint send(int fd, byte* buffer, nuint length, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial nint recv(int fd, byte* buffer, nuint length, int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial nint read(int fd, byte* buffer, nuint length);
    [LibraryImport(Library, SetLastError = true)] public static partial nint write(int fd, byte* buffer, nuint length);
    [LibraryImport(Library, SetLastError = true)] public static partial int close(int fd);
    [LibraryImport(Library, SetLastError = true)] public static partial int setsockopt(int fd, int level, int name, int* value, uint length);
    [LibraryImport(Library, SetLastError = true)] public static partial int getsockopt(int fd, int level, int name, int* value, uint* length);
    [LibraryImport(Library, SetLastError = true)] public static partial int epoll_create1(int flags);
    [LibraryImport(Library, SetLastError = true)] public static partial int epoll_ctl(int epfd, int op, int fd, byte* evt);
    [LibraryImport(Library, SetLastError = true)] public static partial int epoll_wait(int epfd, byte* events, int maxEvents, int timeout);
    [LibraryImport(Library, SetLastError = true)] public static partial int eventfd(uint initialValue, int flags);
    [LibraryImport(Library, SetLastError = true)] private static partial int nanosleep(long* request, long* remaining);

    /// <summary>Sleeps (nanosleep; interrupted sleeps are not resumed, the caller re-checks its clock).</summary>
    public static void Sleep(long nanoseconds)
    {
        long* request = stackalloc long[2]; // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux
        request[0] = nanoseconds / 1_000_000_000;
        request[1] = nanoseconds % 1_000_000_000;
        nanosleep(request, null);
    }
}
