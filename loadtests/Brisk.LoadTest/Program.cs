using Brisk.LoadTest;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
bool interactive = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("CI") is not "true";
return await LoadTestApp.RunAsync(args, Console.Out, Console.Error, interactive, cancel.Token);
