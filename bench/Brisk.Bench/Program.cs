using System.Reflection;
using BenchmarkDotNet.Running;

namespace Brisk.Bench;

/// <summary>
/// <c>quick AREA</c> runs a few-second side-by-side measurement and prints RATIO lines; anything else
/// goes to BenchmarkDotNet's switcher (e.g. <c>--filter *Aead*</c>).
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args.Length >= 1 && args[0] == "quick")
        {
            var commands = typeof(Program).Assembly.GetTypes()
                .Where(t => typeof(IQuickCommand).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                .Select(t => (IQuickCommand)Activator.CreateInstance(t)!)
                .OrderBy(c => c.Area, StringComparer.Ordinal)
                .ToList();
            string? area = args.Length >= 2 ? args[1] : null;
            var selected = commands.Where(c => area is null || c.Area == area).ToList();
            if (selected.Count == 0)
            {
                Console.Error.WriteLine($"unknown quick area '{area}'; known: {string.Join(", ", commands.Select(c => c.Area))}");
                return 2;
            }
            foreach (var command in selected)
                command.Run(args.Skip(2).ToArray());
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }
}

/// <summary>One area of <c>quick</c> measurements. Each prints lines of the form <c>RATIO name a/b=x …</c>.</summary>
public interface IQuickCommand
{
    string Area { get; }

    void Run(string[] args);
}
