using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brisk.Server.Hosting;

/// <summary>
/// Reloads the TLS part of the configuration without a restart: on SIGHUP, and (unless <c>--watch off</c>)
/// when a certificate, key, client CA, ticket key or configuration file — or anything in <c>--cert-dir</c> —
/// changes. Changes are debounced (a renewal replaces the certificate and then the key), the new options
/// are read and validated by <see cref="ServerConfiguration.Build"/> exactly as at start, and only a
/// configuration that builds is swapped into <see cref="LiveConfiguration"/>. A bad file keeps the running
/// configuration and logs one line naming the file and the problem; the next change tries again.
/// Listen endpoints and every non-TLS setting need a restart (a differing Listen is logged as a warning).
/// </summary>
public sealed partial class ConfigurationReloader : IHostedService, IDisposable
{
    private readonly LiveConfiguration _live;
    private readonly Func<BriskServerOptions> _loadOptions;
    private readonly IReadOnlyList<string> _configurationFiles;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly Timer _debounce;
    private readonly object _watchLock = new();
    private readonly List<FileSystemWatcher> _watchers = [];
    private IReadOnlyList<string> _watchedPaths = [];
    private PosixSignalRegistration? _hangup;
    private string _pendingReason = "";
    private long _succeeded;
    private long _failed;
    private bool _disposed;

    /// <param name="loadOptions">Reads the options afresh (e.g. <see cref="OptionsSource.Load"/>).</param>
    /// <param name="configurationFiles">JSON files the options come from; watched too.</param>
    public ConfigurationReloader(LiveConfiguration live, Func<BriskServerOptions> loadOptions, IReadOnlyList<string> configurationFiles, ILogger<ConfigurationReloader> logger)
    {
        _live = live;
        _loadOptions = loadOptions;
        _configurationFiles = configurationFiles.Select(Path.GetFullPath).ToList();
        _logger = logger;
        _debounce = new Timer(_ => _ = ReloadAsync(TakePendingReason()), null, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Quiet time after the last file event before reloading (a renewal writes several files).</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Successful reloads (a metrics counter belongs here: reloads by result).</summary>
    public long ReloadsSucceeded => Interlocked.Read(ref _succeeded);

    /// <summary>Reloads that kept the running configuration because the new one did not build.</summary>
    public long ReloadsFailed => Interlocked.Read(ref _failed);

    /// <summary>The last failed reload's one-line reason, or null.</summary>
    public string? LastError { get; private set; }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        // SIGHUP would otherwise end the process (its default action); here it means "reload".
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                LogSignal(_logger);
                _ = ReloadAsync("SIGHUP");
            });
        }
        Watch(_live.Current);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <summary>
    /// Reads, validates and swaps in a new configuration now. Reloads run one at a time; returns true when
    /// the new configuration is in use, false when the running one was kept.
    /// </summary>
    public async Task<bool> ReloadAsync(string reason)
    {
        await _reloading.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed)
                return false;
            var running = _live.Current;
            var stopwatch = Stopwatch.StartNew();
            ServerConfiguration next;
            try
            {
                // Build loads and parses every file: off the caller's thread (a signal handler or a timer).
                next = await Task.Run(() => ServerConfiguration.Build(_loadOptions(), previous: running)).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Whatever the new files hold, the running configuration must stay and the reason be logged:
                // this runs from a signal handler or a timer, where an escaping exception would be lost.
                var problem = ex is ConfigurationException ? ex.Message.ReplaceLineEndings(" ") : $"{ex.GetType().Name}: {ex.Message.ReplaceLineEndings(" ")}";
                LastError = problem;
                Interlocked.Increment(ref _failed);
                LogReloadFailed(_logger, reason, problem);
                return false;
            }

            foreach (var warning in next.ReloadWarnings)
                LogReloadWarning(_logger, warning);
            var runningEndpoints = string.Join(",", running.Endpoints.Select(e => e.ToString()));
            var newEndpoints = string.Join(",", next.Endpoints.Select(e => e.ToString()));
            if (runningEndpoints != newEndpoints)
                LogEndpointsNeedRestart(_logger, runningEndpoints, newEndpoints);

            _live.Swap(running.WithTlsFrom(next));
            LastError = null;
            Interlocked.Increment(ref _succeeded);
            var store = next.Tls.CertificateStore;
            LogReloaded(_logger, reason, store.All.Count, store.NameCount, stopwatch.Elapsed.TotalMilliseconds);
            Watch(next);
            return true;
        }
        finally
        {
            _reloading.Release();
        }
    }

    private string TakePendingReason()
    {
        lock (_watchLock)
        {
            var reason = _pendingReason;
            _pendingReason = "";
            return reason.Length == 0 ? "files changed" : reason;
        }
    }

    /// <summary>(Re)creates the file watchers for the paths this configuration depends on: one watcher per directory.</summary>
    private void Watch(ServerConfiguration configuration)
    {
        lock (_watchLock)
        {
            if (_disposed)
                return;
            var paths = configuration.WatchFiles ? configuration.WatchedPaths.Concat(_configurationFiles).Distinct().ToList() : [];
            if (paths.SequenceEqual(_watchedPaths))
                return;
            foreach (var watcher in _watchers)
                watcher.Dispose();
            _watchers.Clear();
            _watchedPaths = paths;
            if (paths.Count == 0)
                return;

            // A watched directory (--cert-dir) reacts to any file in it; a watched file to its own name, or to
            // a swap of Kubernetes' "..data" symlink that mounted secrets are updated through.
            var wholeDirectories = paths.Where(Directory.Exists).ToHashSet(StringComparer.Ordinal);
            var filesByDirectory = paths.Where(p => !wholeDirectories.Contains(p))
                .GroupBy(p => Path.GetDirectoryName(p) ?? "/", StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.Select(Path.GetFileName).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
            foreach (var directory in wholeDirectories.Concat(filesByDirectory.Keys).Distinct(StringComparer.Ordinal))
            {
                if (!Directory.Exists(directory))
                {
                    LogWatchFailed(_logger, directory, "directory does not exist");
                    continue;
                }
                bool whole = wholeDirectories.Contains(directory);
                var names = filesByDirectory.GetValueOrDefault(directory);
                try
                {
                    var watcher = new FileSystemWatcher(directory)
                    {
                        IncludeSubdirectories = false,
                        NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
                    };
                    FileSystemEventHandler changed = (_, e) => OnFileEvent(e.Name, whole, names);
                    watcher.Changed += changed;
                    watcher.Created += changed;
                    watcher.Deleted += changed;
                    watcher.Renamed += (_, e) =>
                    {
                        OnFileEvent(e.Name, whole, names);
                        OnFileEvent(e.OldName, whole, names);
                    };
                    watcher.Error += (_, e) => LogWatchFailed(_logger, directory, e.GetException().Message);
                    watcher.EnableRaisingEvents = true;
                    _watchers.Add(watcher);
                }
                catch (Exception ex) when (ex is IOException or ArgumentException or UnauthorizedAccessException or PlatformNotSupportedException)
                {
                    // inotify limits, for example; SIGHUP still reloads.
                    LogWatchFailed(_logger, directory, ex.Message);
                }
            }
            LogWatching(_logger, paths.Count, _watchers.Count);
        }
    }

    private void OnFileEvent(string? name, bool wholeDirectory, HashSet<string?>? names)
    {
        if (name is null)
            return;
        bool relevant = wholeDirectory
            ? !name.StartsWith('.') || name.StartsWith("..", StringComparison.Ordinal)
            : names is not null && (names.Contains(name) || name.StartsWith("..", StringComparison.Ordinal));
        if (!relevant)
            return;
        lock (_watchLock)
        {
            if (_disposed)
                return;
            if (!_pendingReason.Contains(name, StringComparison.Ordinal))
                _pendingReason = _pendingReason.Length == 0 ? $"changed: {name}" : _pendingReason.Length < 200 ? $"{_pendingReason}, {name}" : _pendingReason;
            _debounce.Change(Debounce, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_watchLock)
        {
            if (_disposed)
                return;
            _disposed = true;
            _hangup?.Dispose();
            _debounce.Dispose();
            foreach (var watcher in _watchers)
                watcher.Dispose();
            _watchers.Clear();
        }
    }

    [LoggerMessage(EventId = 240, Level = LogLevel.Information, Message = "configuration reloaded ({Reason}): {Certificates} certificates, {Names} names, in {Milliseconds:F0} ms")]
    private static partial void LogReloaded(ILogger logger, string reason, int certificates, int names, double milliseconds);

    [LoggerMessage(EventId = 241, Level = LogLevel.Error, Message = "reload ({Reason}) failed, the running configuration stays: {Problem}")]
    private static partial void LogReloadFailed(ILogger logger, string reason, string problem);

    [LoggerMessage(EventId = 242, Level = LogLevel.Warning, Message = "reload: {Warning}")]
    private static partial void LogReloadWarning(ILogger logger, string warning);

    [LoggerMessage(EventId = 243, Level = LogLevel.Warning, Message = "reload: Listen changed ({Running} -> {Configured}); listen endpoints change only with a restart")]
    private static partial void LogEndpointsNeedRestart(ILogger logger, string running, string configured);

    [LoggerMessage(EventId = 244, Level = LogLevel.Debug, Message = "watching {Paths} paths through {Watchers} directory watchers for reload")]
    private static partial void LogWatching(ILogger logger, int paths, int watchers);

    [LoggerMessage(EventId = 245, Level = LogLevel.Warning, Message = "cannot watch {Directory} for changes ({Problem}); SIGHUP still reloads")]
    private static partial void LogWatchFailed(ILogger logger, string directory, string problem);

    [LoggerMessage(EventId = 246, Level = LogLevel.Information, Message = "SIGHUP: reloading the configuration")]
    private static partial void LogSignal(ILogger logger);
}
