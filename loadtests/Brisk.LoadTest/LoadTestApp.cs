using Brisk.LoadTest.Engines;

namespace Brisk.LoadTest;

/// <summary>The entry point, callable in-process (tests) with its own output writer.</summary>
internal static class LoadTestApp
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitUsage = 2;

    /// <summary>
    /// Runs socket continuations on the epoll thread instead of hopping to the thread pool. Every continuation
    /// of the openssl and brisk engines is short and non-blocking, and the hop (plus the pool's spinning,
    /// sched_yield) cost ~10% of the client's CPU in a profile. SslStream is left alone: with inline completions it
    /// showed multi-second stalls. System.Net.Sockets reads the variable once, when its first socket engine
    /// starts: this works for the command line, not inside a process that already used sockets.
    /// </summary>
    private static void UseInlineSocketCompletions()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
    }

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, bool interactiveConsole, CancellationToken cancel)
    {
        if (args.Length == 0 || args.Contains("--help") || args.Contains("-h"))
        {
            output.WriteLine(LoadOptions.Usage);
            return args.Length == 0 ? ExitUsage : ExitOk;
        }
        LoadOptions options;
        IConnectionEngine engine;
        try
        {
            options = LoadOptions.Parse(args);
            if (options.Engine is EngineKind.OpenSsl or EngineKind.Brisk) UseInlineSocketCompletions();
            var endpoint = await LoadRunner.ResolveAsync(options).ConfigureAwait(false);
            engine = options.Engine switch
            {
                EngineKind.OpenSsl => new OpenSslEngine(options, endpoint),
                EngineKind.Brisk => new BriskEngine(options, endpoint),
                _ => new SslStreamEngine(options, endpoint),
            };
        }
        catch (OptionsException e)
        {
            error.WriteLine("error: " + e.Message);
            error.WriteLine("try --help");
            return ExitUsage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException
            or System.Security.Cryptography.CryptographicException or System.Net.Sockets.SocketException)
        {
            // Unreadable certificate/key/CA files, unresolvable target.
            error.WriteLine($"error: {e.Message}");
            return ExitUsage;
        }
        catch (DllNotFoundException e)
        {
            error.WriteLine("error: libssl.so.3 not found (install OpenSSL 3 or use --engine sslstream): " + e.Message);
            return ExitFailure;
        }

        using (engine)
        {
            IProgressSink? sink = options.Quiet ? null
                : interactiveConsole && !options.PlainProgress ? new SpectreProgressSink()
                : new PlainProgressSink(output);
            MeasuredWindow window;
            try
            {
                var runner = new LoadRunner(options, engine, sink is null ? null : sink.UpdateAsync);
                window = await runner.RunAsync(cancel).ConfigureAwait(false);
            }
            finally
            {
                if (sink is not null) await sink.DisposeAsync().ConfigureAwait(false);
            }

            RunSummary summary = RunSummary.From(options, window);
            output.Write(summary.ToText());
            int exit = ExitOk;
            if (options.JsonFile is not null)
            {
                try { await File.WriteAllTextAsync(options.JsonFile, summary.ToJson(), CancellationToken.None).ConfigureAwait(false); }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    error.WriteLine($"error: could not write {options.JsonFile}: {e.Message}");
                    exit = ExitFailure;
                }
            }
            if (options.ReportFile is not null)
            {
                try { ChartReport.Write(summary, options.ReportFile); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    error.WriteLine($"error: could not write the PNG report {options.ReportFile}: {e.GetType().Name}: {e.Message}");
                    exit = ExitFailure;
                }
            }
            output.WriteLine(summary.ResultLine());
            output.Flush();
            return exit;
        }
    }
}
