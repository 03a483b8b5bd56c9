using System.Globalization;
using System.Runtime.InteropServices;

namespace Brisk.LoadTest;

/// <summary>CPU time and RSS of processes from /proc (proc(5)).</summary>
internal static partial class ProcStat
{
    private const int ScClkTck = 2; // _SC_CLK_TCK in <bits/confname.h>

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    private static readonly long s_ticksPerSecond = GetTicksPerSecond();

    private static long GetTicksPerSecond()
    {
        try { long t = SysConf(ScClkTck); return t > 0 ? t : 100; }
        catch (Exception) { return 100; }
    }

    public static long TicksPerSecond => s_ticksPerSecond;

    /// <summary>
    /// Parses utime+stime (fields 14 and 15, in clock ticks) from the text of /proc/PID/stat.
    /// The command name (field 2) is in parentheses and may itself contain spaces and ')', so
    /// fields are counted after the LAST ')'.
    /// </summary>
    public static bool TryParseCpuTicks(string statLine, out long utimeTicks, out long stimeTicks)
    {
        utimeTicks = stimeTicks = 0;
        int close = statLine.LastIndexOf(')');
        if (close < 0) return false;
        string[] rest = statLine[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        // rest[0] is field 3 (state), so field N is rest[N - 3].
        if (rest.Length < 13) return false;
        return long.TryParse(rest[14 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out utimeTicks)
            && long.TryParse(rest[15 - 3], NumberStyles.None, CultureInfo.InvariantCulture, out stimeTicks);
    }

    public static double TicksToSeconds(long ticks, long ticksPerSecond) => (double)ticks / ticksPerSecond;

    /// <summary>Total CPU seconds (user + system) of the given processes, or null when one cannot be read.</summary>
    public static double? ReadCpuSeconds(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (int pid in pids)
        {
            string text;
            try { text = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
            if (!TryParseCpuTicks(text, out long u, out long s)) return null;
            total += u + s;
        }
        return TicksToSeconds(total, s_ticksPerSecond);
    }

    /// <summary>This process's CPU time, at the resolution the kernel offers through getrusage.</summary>
    public static double SelfCpuSeconds() => System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds;

    /// <summary>Parses "VmRSS:   12345 kB" from /proc/PID/status; returns bytes.</summary>
    public static bool TryParseRssBytes(string statusText, out long bytes)
    {
        bytes = 0;
        foreach (string line in statusText.Split('\n'))
        {
            if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
            string[] parts = line["VmRSS:".Length..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length < 1 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out long kb)) return false;
            long unit = parts.Length > 1 && parts[1] == "kB" ? 1024 : 1;
            bytes = kb * unit;
            return true;
        }
        return false;
    }

    public static long? ReadRssBytes(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (int pid in pids)
        {
            string text;
            try { text = File.ReadAllText($"/proc/{pid}/status"); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
            if (!TryParseRssBytes(text, out long b)) return null;
            total += b;
        }
        return total;
    }

    /// <summary>Cores this process may run on (sched affinity), which .NET reports as ProcessorCount.</summary>
    public static int AllowedCores => Environment.ProcessorCount;

    internal static bool IsLinux => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
}
