using Brisk.LoadTest;

// Run socket continuations on the epoll thread instead of hopping to the thread pool: every continuation
// here is short and non-blocking, and the hop costs CPU that a load generator must not spend.
// Read once by System.Net.Sockets when its engine starts, so it must be set before the first socket.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
bool interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is not "true";
return await LoadTestApp.RunAsync(args, Console.Out, Console.Error, interactive, cancel.Token);
