namespace Brisk.Server.Hosting;

/// <summary>
/// The server's configuration, bound from appsettings.json, environment variables (prefix BRISK_, e.g.
/// BRISK_ClientAuth=require, BRISK_Listen__0=127.0.0.1:8443) and the command line (which wins).
/// Validated once at start-up by <see cref="ServerConfigurationBuilder"/>.
/// </summary>
public sealed class BriskServerOptions
{
    /// <summary>Endpoints (IP:PORT) to accept on.</summary>
    public List<string> Listen { get; set; } = [];

    /// <summary>Certificate/key pairs: PEM files, or a PEM certificate and a pkcs11: key URI. Empty: a generated in-memory development certificate.</summary>
    public List<CertificateFiles> Certificates { get; set; } = [];

    /// <summary>
    /// A directory of certificates for SNI, loaded in parallel (see README, "Many certificates (SNI)"): each
    /// <c>NAME.crt</c> or <c>NAME.pem</c> with its key in <c>NAME.key</c>, or a <c>NAME.pem</c> holding both.
    /// </summary>
    public string? CertDir { get; set; }

    /// <summary>A server_name no certificate carries: default (present the default certificate) | reject (unrecognized_name alert).</summary>
    public string UnknownSni { get; set; } = "default";

    /// <summary>
    /// An extra JSON configuration file (above appsettings.json, below BRISK_* and the command line). Read by
    /// Program before the other keys are bound (so it is set by --config or BRISK_ConfigFile); watched for reload.
    /// </summary>
    public string? ConfigFile { get; set; }

    /// <summary>Reload when the certificate, key, CA, ticket key or configuration files change: on | off (SIGHUP always reloads).</summary>
    public string WatchFiles { get; set; } = "on";

    /// <summary>none | optional | require.</summary>
    public string ClientAuth { get; set; } = "none";

    /// <summary>PEM bundle of trust anchors for client certificates.</summary>
    public string? ClientCa { get; set; }

    /// <summary>http | echo.</summary>
    public string Responder { get; set; } = "http";

    /// <summary>Comma-separated IANA suite names; empty means the default list in its default order.</summary>
    public string? Ciphers { get; set; }

    /// <summary>Comma-separated groups in preference order (x25519, secp256r1, secp384r1).</summary>
    public string? Groups { get; set; }

    /// <summary>Comma-separated protocol versions (1.2).</summary>
    public string? TlsVersions { get; set; }

    /// <summary>ALPN protocols offered, comma-separated; the http responder speaks http/1.1.</summary>
    public string? Alpn { get; set; }

    /// <summary>A client that has not finished its handshake by then is disconnected.</summary>
    public string HandshakeTimeout { get; set; } = "10s";

    /// <summary>On shutdown, how long in-flight handshakes and connections may take before they are closed.</summary>
    public string DrainTimeout { get; set; } = "5s";

    /// <summary>Record encryption: managed (Brisk's AES-NI/PCLMULQDQ/AVX kernels) or system (System.Security.Cryptography).</summary>
    public string RecordCrypto { get; set; } = "managed";

    /// <summary>RSA private-key engine: auto | system | multibuffer | native | fiat.</summary>
    public string RsaEngine { get; set; } = "auto";

    /// <summary>How long a batching RSA engine may wait to fill its lanes (default 0: never wait).</summary>
    public string? RsaBatchWait { get; set; }

    /// <summary>
    /// Fewer queued RSA operations than this run one by one on the system engine rather than as a batch
    /// (default -1: half the engine's lanes). 1 batches everything (tests, benchmarks).
    /// </summary>
    public int RsaBatchMinimum { get; set; } = -1;

    /// <summary>
    /// The most keys of one Fiat family combined under one root exponentiation (2–8; default 8). A batch
    /// takes distinct exponents only, so a family of b certificates forms batches of at most b whatever this
    /// says; a smaller value caps the batch below the family size.
    /// </summary>
    public int RsaFiatBatch { get; set; } = 8;

    /// <summary>
    /// auto | on | off. On: socket completions, the connection's pipes and the handshake run on the thread that
    /// completed the socket operation (no thread-pool hop per read or write). Auto: on when the process may use
    /// at most 2 CPUs and no RSA batch wait is set. Fixed at start (a reload keeps the running mode).
    /// </summary>
    public string InlineCompletions { get; set; } = "auto";

    /// <summary>
    /// on | off. On: with the native key exchange and a CPU with AVX-512 IFMA, X25519 derivations of concurrent
    /// handshakes are queued and computed up to 8 at a time in one kernel call (a lone one at once on the scalar
    /// kernel). Off: each handshake derives on its own thread. Fixed at start (a reload keeps the running mode).
    /// </summary>
    public string X25519Batch { get; set; } = "on";

    /// <summary>Session tickets (TLS 1.2 RFC 5077, TLS 1.3 NewSessionTicket): on | off.</summary>
    public string Tickets { get; set; } = "on";

    /// <summary>File of shared ticket keys (one per line, newest first; see README). Empty: in-memory keys rotated hourly.</summary>
    public string? TicketKeyFile { get; set; }

    /// <summary>TLS 1.2 session-ID cache entries; 0 disables session-ID resumption.</summary>
    public int SessionCacheSize { get; set; } = 20000;

    /// <summary>TLS 1.3 NewSessionTicket messages per handshake (0..10).</summary>
    public int TicketCount { get; set; } = 2;

    /// <summary>How long a session may be resumed (ticket lifetime, cache expiry); at most 7 days.</summary>
    public string TicketLifetime { get; set; } = "1h";

    /// <summary>TLS 1.3: also accept psk_ke resumption (no fresh key exchange, so no forward secrecy for it).</summary>
    public bool AllowPskKe { get; set; }

    /// <summary>PKCS#11 module (shared library) serving keys named by pkcs11: URIs in Certificates:N:Key.</summary>
    public string? Pkcs11Module { get; set; }

    /// <summary>File whose first line is the token's user PIN; without it the PIN comes from BRISK_PKCS11_PIN.</summary>
    public string? Pkcs11PinFile { get; set; }

    /// <summary>PKCS#11 sessions per HSM key (token operations in parallel); 0: one per processor.</summary>
    public int Pkcs11Sessions { get; set; }

    /// <summary>Socket listen backlog.</summary>
    public int Backlog { get; set; } = 1024;

    // --- Backends and PROXY protocol (README "Brisk in front of a service") ---

    /// <summary>tcp://HOST:PORT backends: one for every Listen endpoint, or one per Listen endpoint in the same order.</summary>
    public List<string> Backend { get; set; } = [];

    /// <summary>Routes for the Listen endpoints' backends, first match wins: sni=NAME=tcp://HOST:PORT, alpn=PROTOCOL=tcp://HOST:PORT.</summary>
    public List<string> Route { get; set; } = [];

    /// <summary>off | v1 | v2: a PROXY protocol header (v2 with TLS TLVs) before the data sent to each backend.</summary>
    public string ProxyProtocol { get; set; } = "off";

    /// <summary>off | on: each connection starts with a PROXY header (v1 or v2) from a trusted load balancer.</summary>
    public string AcceptProxyProtocol { get; set; } = "off";

    /// <summary>A backend that has not accepted the connection by then counts as down (the client's connection is closed).</summary>
    public string BackendConnectTimeout { get; set; } = "5s";

    /// <summary>Listeners with their own backend, routes and PROXY settings (appsettings.json), besides Listen.</summary>
    public List<ListenerOptions> Listeners { get; set; } = [];
    // ---- Limits and protection (docs/OPERATIONS.md, "Limits") ----

    /// <summary>Open connections at most (handshaking or established); beyond it a new connection is accepted and reset at once. 0: no limit.</summary>
    public int MaxConnections { get; set; }

    /// <summary>Handshakes in progress at most; beyond it a new connection waits (within its handshake timeout) for a slot. 0: no limit.</summary>
    public int MaxHandshakes { get; set; }

    /// <summary>An established connection with no traffic either way for this long is closed with close_notify. "off" or 0: never.</summary>
    public string IdleTimeout { get; set; } = "5m";

    /// <summary>Handshakes per second per client address ("N/s"; IPv6 clients by /64), a token bucket. Empty: no limit.</summary>
    public string? HandshakeRateLimit { get; set; }

    /// <summary>The token bucket's size: handshakes a client address may start at once (default: the per-second rate).</summary>
    public int HandshakeRateBurst { get; set; }

    // ---- Observability (docs/OPERATIONS.md, "Metrics", "Access log") ----

    /// <summary>IP:PORT to serve Prometheus metrics on (GET /metrics). Empty: no metrics endpoint.</summary>
    public string? Metrics { get; set; }

    /// <summary>Console log format: simple | json.</summary>
    public string LogFormat { get; set; } = "simple";

    /// <summary>Access log target: a file path or "stdout". Empty: no access log.</summary>
    public string? AccessLog { get; set; }
    /// <summary>ldap://HOST:PORT or ldaps://HOST:PORT of the directory that must list each client certificate. Empty: no check.</summary>
    public string? ClientDirectory { get; set; }

    /// <summary>Search base DN; a DN with {cn}, {email} or {subject} names the user's entry itself.</summary>
    public string? ClientDirectoryBase { get; set; }

    /// <summary>Search filter template with {cn}, {email}, {subject} (values RFC 4515-escaped).</summary>
    public string? ClientDirectoryFilter { get; set; }

    /// <summary>ldaps: directory of CA certificates (OpenSSL hashed layout) that the directory server's certificate must chain to.</summary>
    public string? ClientDirectoryCaDir { get; set; }

    /// <summary>DN for a simple bind; empty: anonymous.</summary>
    public string? ClientDirectoryBindDn { get; set; }

    /// <summary>File holding the bind password (first line). The environment variable BRISK_CLIENT_DIRECTORY_PASSWORD also works.</summary>
    public string? ClientDirectoryPasswordFile { get; set; }

    /// <summary>Bound on connect + bind + search for one lookup.</summary>
    public string ClientDirectoryTimeout { get; set; } = "3s";

    /// <summary>How long a directory answer is reused; 0 turns the cache off.</summary>
    public string ClientDirectoryCacheTtl { get; set; } = "60s";

    public int ClientDirectoryCacheSize { get; set; } = 10000;

    /// <summary>closed (deny, default) | open (admit) when the directory cannot be reached.</summary>
    public string ClientDirectoryOnUnreachable { get; set; } = "closed";

    /// <summary>certificate_unknown (default) | access_denied: the alert for a certificate the directory does not list.</summary>
    public string ClientDirectoryDenyAlert { get; set; } = "certificate_unknown";
}

public sealed class CertificateFiles
{
    public string Cert { get; set; } = "";

    public string Key { get; set; } = "";
}
