using System.Runtime.InteropServices;

namespace Brisk.Bench.Handshake;

/// <summary>
/// CPU time of the calling thread (clock_gettime(CLOCK_THREAD_CPUTIME_ID)). On a machine shared with other
/// work, wall time measures the neighbours too; CPU time of the thread that ran the code does not.
/// One call costs well under a microsecond.
/// </summary>
internal static partial class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);

    /// <summary>Nanoseconds of CPU this thread has used.</summary>
    public static long Nanoseconds()
    {
        ClockGetTime(ClockThreadCpuTimeId, out var t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }

    /// <summary>
    /// Median of <paramref name="rounds"/> rounds of this thread's CPU microseconds per call of <paramref name="action"/>,
    /// each round repeating it for about <paramref name="roundNanoseconds"/> of CPU.
    /// </summary>
    public static double MedianMicrosecondsPerCall(Action action, int rounds = 5, long roundNanoseconds = 40_000_000)
    {
        var perCall = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            long start = Nanoseconds();
            int n = 0;
            do { action(); n++; } while (Nanoseconds() - start < roundNanoseconds);
            perCall[r] = (Nanoseconds() - start) / 1000.0 / n;
        }
        Array.Sort(perCall);
        return perCall[rounds / 2];
    }

    /// <summary>CPU time of the whole process (all threads: GC, thread pool), in nanoseconds.</summary>
    public static long ProcessNanoseconds()
    {
        ClockGetTime(2 /* CLOCK_PROCESS_CPUTIME_ID */, out var t);
        return t.Seconds * 1_000_000_000 + t.Nanoseconds;
    }
}
