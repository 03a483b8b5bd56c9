namespace Brisk.Server.Hosting;

/// <summary>A configuration problem reported to the operator as one line naming the key/file and the problem.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);
