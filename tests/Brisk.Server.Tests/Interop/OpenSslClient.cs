using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>Drives <c>openssl s_client</c>: one handshake and one HTTP request, output captured.</summary>
internal static class OpenSslClient
{
    public const string HttpRequest = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

    /// <summary>IANA suite name → OpenSSL's name for it.</summary>
    public static readonly IReadOnlyDictionary<string, string> SuiteNames = new Dictionary<string, string>
    {
        ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"] = "ECDHE-ECDSA-AES128-GCM-SHA256",
        ["TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"] = "ECDHE-ECDSA-AES256-GCM-SHA384",
        ["TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"] = "ECDHE-ECDSA-CHACHA20-POLY1305",
        ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"] = "ECDHE-RSA-AES128-GCM-SHA256",
        ["TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"] = "ECDHE-RSA-AES256-GCM-SHA384",
        ["TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"] = "ECDHE-RSA-CHACHA20-POLY1305",
        ["TLS_RSA_WITH_AES_128_GCM_SHA256"] = "AES128-GCM-SHA256",
        ["TLS_RSA_WITH_AES_256_GCM_SHA384"] = "AES256-GCM-SHA384",
    };

    public static Task<ToolResult> RunAsync(ServerFixture server, params string[] extraArguments)
    {
        var arguments = new List<string> { "s_client", "-connect", server.Address, "-servername", "localhost", "-ign_eof" };
        arguments.AddRange(extraArguments);
        return ExternalTool.RunAsync("openssl", arguments, HttpRequest);
    }
}
