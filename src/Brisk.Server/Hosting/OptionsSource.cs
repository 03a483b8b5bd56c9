using Microsoft.Extensions.Configuration;

namespace Brisk.Server.Hosting;

/// <summary>
/// Reads <see cref="BriskServerOptions"/> afresh from the server's configuration sources, lowest first:
/// appsettings.json and appsettings.{Environment}.json in the content root, the <c>--config</c> file
/// (key ConfigFile, from the command line or BRISK_ConfigFile), BRISK_* environment variables, the command
/// line. Used at start and on every reload, so a reload sees exactly what a restart would.
/// </summary>
public sealed class OptionsSource
{
    private readonly string _contentRoot;
    private readonly string _environmentName;
    private readonly IReadOnlyDictionary<string, string?> _commandLine;

    public OptionsSource(string contentRoot, string environmentName, IReadOnlyDictionary<string, string?> commandLine)
    {
        _contentRoot = contentRoot;
        _environmentName = environmentName;
        _commandLine = commandLine;
        var configFile = commandLine.FirstOrDefault(p => string.Equals(p.Key, "ConfigFile", StringComparison.OrdinalIgnoreCase)).Value
            ?? Environment.GetEnvironmentVariable("BRISK_ConfigFile");
        ConfigFile = string.IsNullOrWhiteSpace(configFile) ? null : Path.GetFullPath(configFile);
    }

    /// <summary>The <c>--config</c> file, as a full path, or null.</summary>
    public string? ConfigFile { get; }

    /// <summary>The JSON files read (present or not); a reload watches them.</summary>
    public IReadOnlyList<string> Files =>
    [
        Path.Combine(_contentRoot, "appsettings.json"),
        Path.Combine(_contentRoot, $"appsettings.{_environmentName}.json"),
        .. ConfigFile is null ? Array.Empty<string>() : [ConfigFile],
    ];

    /// <summary>
    /// Binds a new options object. Throws <see cref="ConfigurationException"/> naming the file or key for an
    /// unreadable or malformed JSON file or a value of the wrong type.
    /// </summary>
    public BriskServerOptions Load()
    {
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.Combine(_contentRoot, "appsettings.json"), optional: true, reloadOnChange: false)
            .AddJsonFile(Path.Combine(_contentRoot, $"appsettings.{_environmentName}.json"), optional: true, reloadOnChange: false);
        if (ConfigFile is not null)
        {
            if (!File.Exists(ConfigFile))
                throw new ConfigurationException($"ConfigFile: '{ConfigFile}' does not exist");
            builder.AddJsonFile(ConfigFile, optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("BRISK_").AddInMemoryCollection(_commandLine);
        var options = new BriskServerOptions();
        try
        {
            builder.Build().Bind(options);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or InvalidOperationException or IOException)
        {
            // InvalidDataException names the JSON file; its inner exception says where the syntax broke.
            var detail = ex.InnerException is { } inner ? $"{ex.Message} {inner.Message}" : ex.Message;
            throw new ConfigurationException(detail.ReplaceLineEndings(" "), ex);
        }
        return options;
    }
}
