using Brisk.Server.Hosting;
using Brisk.Server.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brisk.Server;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["keygen", .. var keygenArgs])
            return KeyGenerator.Run(keygenArgs);
        if (args is ["keys", .. var keysArgs])
            return Pkcs11.Pkcs11KeyTool.Run(keysArgs);
        if (!CommandLine.TryParse(args, out var settings, out var error, out bool help))
        {
            Console.Error.WriteLine($"brisk: {error}");
            return 2;
        }
        if (help)
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            Args = [],
        });
        // Brisk's own options are not bound from builder.Configuration (whose appsettings.json provider reloads by
        // itself and empties on a half-written file) but read afresh by OptionsSource, at start and on every
        // reload (ConfigurationReloader), so that a bad file is refused as a whole. builder.Configuration still
        // serves the host's own sections (Logging).
        var optionsSource = new OptionsSource(AppContext.BaseDirectory, builder.Environment.EnvironmentName, settings);
        // Order: appsettings.json < --config FILE < BRISK_* environment < command line (OptionsSource reads the same).
        if (optionsSource.ConfigFile is { } configFile && File.Exists(configFile))
            builder.Configuration.AddJsonFile(configFile, optional: true, reloadOnChange: false);
        builder.Configuration.AddEnvironmentVariables("BRISK_");
        builder.Configuration.AddInMemoryCollection(settings);

        BriskServerOptions options;
        ServerConfiguration configuration;
        try
        {
            options = optionsSource.Load();
            configuration = ServerConfiguration.Build(options);
        }
        catch (Exception ex) when (ex is ConfigurationException or InvalidOperationException or FormatException)
        {
            Console.Error.WriteLine($"brisk: {ex.Message}");
            return 2;
        }

        // Before the first socket exists: the runtime reads this once, when its socket event threads start.
        InlineCompletionsSwitch.Apply(configuration.InlineCompletions);

        // Log format, systemd, metrics endpoint (docs/OPERATIONS.md).
        Observability.Configure(builder, configuration);
        var live = new LiveConfiguration(configuration);
        builder.Services.AddSingleton(configuration);
        builder.Services.AddSingleton(live);
        builder.Services.AddSingleton<BriskServer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<BriskServer>());
        builder.Services.AddSingleton(sp => new ConfigurationReloader(live, optionsSource.Load, optionsSource.Files, sp.GetRequiredService<ILogger<ConfigurationReloader>>()));
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConfigurationReloader>());
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = configuration.DrainTimeout + TimeSpan.FromSeconds(5));

        using var host = builder.Build();
        try
        {
            await host.RunAsync().ConfigureAwait(false);
        }
        catch (ConfigurationException ex)
        {
            Console.Error.WriteLine($"brisk: {ex.Message}");
            return 1;
        }
        catch (InvalidOperationException ex) when (ex.InnerException is System.Net.HttpListenerException listen)
        {
            // The Prometheus endpoint could not bind (e.g. the port is taken).
            Console.Error.WriteLine($"brisk: Metrics: cannot serve on {configuration.Operations.MetricsEndpoint}: {listen.Message}");
            return 1;
        }
        return 0;
    }
}
