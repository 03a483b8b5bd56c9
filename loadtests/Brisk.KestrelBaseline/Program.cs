using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;

// Kestrel HTTPS baseline for loadtests/compare.sh: same flags as the Brisk server where they overlap.
//   Brisk.KestrelBaseline --listen 127.0.0.1:PORT --cert CERT.pem --key KEY.pem [--tls-versions 1.2,1.3] [--ciphers IANA:IANA]
// Responds to every request with a small fixed body (like the Brisk "http" responder).
string listen = "127.0.0.1:8443", certPath = "", keyPath = "", versions = "1.2,1.3";
string? ciphers = null;
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--listen": listen = args[i + 1]; break;
        case "--cert": certPath = args[i + 1]; break;
        case "--key": keyPath = args[i + 1]; break;
        case "--tls-versions": versions = args[i + 1]; break;
        case "--ciphers": ciphers = args[i + 1]; break; // IANA names, ':'-separated (TLS_RSA_WITH_AES_128_GCM_SHA256:...)
        default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
    }
}
if (certPath.Length == 0 || keyPath.Length == 0) { Console.Error.WriteLine("--cert and --key are required"); return 2; }

// PEM keys loaded this way are ephemeral; on Linux that is fine for SslStream (no Windows key-store quirk).
using var certificate = X509Certificate2.CreateFromPemFile(certPath, keyPath);
var protocols = System.Security.Authentication.SslProtocols.None;
foreach (string v in versions.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
{
    protocols |= v switch
    {
        "1.2" => System.Security.Authentication.SslProtocols.Tls12,
        "1.3" => System.Security.Authentication.SslProtocols.Tls13,
        _ => throw new ArgumentException($"--tls-versions: unknown version {v}"),
    };
}

int colon = listen.LastIndexOf(':');
var endpoint = new IPEndPoint(IPAddress.Parse(listen[..colon]), int.Parse(listen[(colon + 1)..]));

var builder = WebApplication.CreateSlimBuilder(args.Length == 0 ? [] : []);
builder.Logging.ClearProviders();
builder.WebHost.ConfigureKestrel(k =>
{
    k.AddServerHeader = false;
    k.Limits.MaxConcurrentConnections = null;
    k.Listen(endpoint, l =>
    {
        l.Protocols = HttpProtocols.Http1;
        var https = new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            SslProtocols = protocols,
            ClientCertificateMode = ClientCertificateMode.NoCertificate,
        };
        if (ciphers is not null && !OperatingSystem.IsWindows())
        {
            var policy = new System.Net.Security.CipherSuitesPolicy(
                ciphers.Split(':', StringSplitOptions.RemoveEmptyEntries).Select(Enum.Parse<System.Net.Security.TlsCipherSuite>));
            // CipherSuitesPolicy is per connection in Kestrel: set it in the per-connection authentication callback.
            https.OnAuthenticate = (_, sslOptions) =>
            {
                if (!OperatingSystem.IsWindows()) sslOptions.CipherSuitesPolicy = policy;
            };
        }
        l.UseHttps(https);
    });
});
var app = builder.Build();
byte[] body = "Hello from Kestrel\n"u8.ToArray();
app.Run(async context =>
{
    context.Response.ContentType = "text/plain";
    context.Response.ContentLength = body.Length;
    await context.Response.Body.WriteAsync(body);
});
Console.WriteLine($"kestrel baseline listening on {endpoint}");
await app.RunAsync();
return 0;
