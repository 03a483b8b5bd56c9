namespace Brisk.Server.Hosting;

/// <summary>
/// The server's command-line contract. Each flag maps to a configuration key, so every option is also a
/// configuration key. Repeatable flags (--listen, --cert/--key pairs) become indexed keys. Unknown flags
/// or missing values are reported as one-line errors, never as stack traces.
/// </summary>
public static class CommandLine
{
    private static readonly Dictionary<string, string> SingleValued = new(StringComparer.Ordinal)
    {
        ["--client-auth"] = "ClientAuth",
        ["--client-ca"] = "ClientCa",
        ["--responder"] = "Responder",
        ["--ciphers"] = "Ciphers",
        ["--groups"] = "Groups",
        ["--tls-versions"] = "TlsVersions",
        ["--alpn"] = "Alpn",
        ["--handshake-timeout"] = "HandshakeTimeout",
        ["--drain-timeout"] = "DrainTimeout",
        ["--record-crypto"] = "RecordCrypto",
        ["--rsa-engine"] = "RsaEngine",
        ["--rsa-batch-wait"] = "RsaBatchWait",
        ["--rsa-fiat-batch"] = "RsaFiatBatch",
        ["--backlog"] = "Backlog",
        ["--inline-completions"] = "InlineCompletions",
        ["--x25519-batch"] = "X25519Batch",
        ["--tickets"] = "Tickets",
        ["--ticket-key-file"] = "TicketKeyFile",
        ["--session-cache-size"] = "SessionCacheSize",
        ["--pkcs11-module"] = "Pkcs11Module",
        ["--pkcs11-pin-file"] = "Pkcs11PinFile",
        ["--pkcs11-sessions"] = "Pkcs11Sessions",
        ["--proxy-protocol"] = "ProxyProtocol",
        ["--accept-proxy-protocol"] = "AcceptProxyProtocol",
        ["--backend-connect-timeout"] = "BackendConnectTimeout",
        ["--max-connections"] = "MaxConnections",
        ["--max-handshakes"] = "MaxHandshakes",
        ["--idle-timeout"] = "IdleTimeout",
        ["--handshake-rate-limit"] = "HandshakeRateLimit",
        ["--handshake-rate-burst"] = "HandshakeRateBurst",
        ["--metrics"] = "Metrics",
        ["--log-format"] = "LogFormat",
        ["--access-log"] = "AccessLog",
        ["--cert-dir"] = "CertDir",
        ["--unknown-sni"] = "UnknownSni",
        ["--config"] = "ConfigFile",
        ["--watch"] = "WatchFiles",
        ["--client-directory"] = "ClientDirectory",
        ["--client-directory-base"] = "ClientDirectoryBase",
        ["--client-directory-filter"] = "ClientDirectoryFilter",
        ["--client-directory-ca-dir"] = "ClientDirectoryCaDir",
        ["--client-directory-bind-dn"] = "ClientDirectoryBindDn",
        ["--client-directory-password-file"] = "ClientDirectoryPasswordFile",
        ["--client-directory-timeout"] = "ClientDirectoryTimeout",
        ["--client-directory-cache-ttl"] = "ClientDirectoryCacheTtl",
        ["--client-directory-cache-size"] = "ClientDirectoryCacheSize",
        ["--client-directory-on-unreachable"] = "ClientDirectoryOnUnreachable",
        ["--client-directory-deny-alert"] = "ClientDirectoryDenyAlert",
    };

    /// <summary>Repeatable flags that become indexed keys (Backend:0, Backend:1, ...).</summary>
    private static readonly Dictionary<string, string> Repeatable = new(StringComparer.Ordinal)
    {
        ["--backend"] = "Backend",
        ["--route"] = "Route",
    };

    public const string Usage = """
        usage: Brisk.Server [options]
          --listen IP:PORT            accept on this endpoint (repeatable; default 127.0.0.1:8443)
          --cert FILE --key FILE      PEM certificate (chain) and private key (repeatable in pairs;
                                      default: generated in-memory RSA-2048 and ECDSA P-256 for localhost)
          --cert-dir DIR              every NAME.crt|NAME.pem with NAME.key (or a NAME.pem holding
                                      both) in DIR, for SNI; default set: the --cert pairs, else
                                      DIR's default.* files (see README "Many certificates")
          --unknown-sni POLICY        a server_name no certificate carries: default (present the
                                      default certificate) | reject (unrecognized_name alert)
          --config FILE               extra JSON configuration file (above appsettings.json)
          --watch on|off              reload when certificate/key/CA/ticket-key/config files
                                      change (default on; SIGHUP always reloads)
          --key "pkcs11:token=T;object=O"  the key held in a PKCS#11 token (RFC 7512 URI; also id=%xx);
                                      --cert may then be a pkcs11: URI too (type=cert)
          --pkcs11-module PATH        the token's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so)
          --pkcs11-pin-file FILE      the user PIN (first line); default: environment BRISK_PKCS11_PIN
          --pkcs11-sessions N         token sessions per key, operations in parallel (default: 1 per CPU)
          --client-auth MODE          none | optional | require
          --client-ca FILE            PEM trust anchors for client certificates
          --responder NAME            http | echo
          --ciphers LIST              IANA suite names, comma-separated, in preference order
          --groups LIST               x25519,secp256r1,secp384r1 in preference order
          --tls-versions LIST         1.2
          --alpn LIST                 ALPN protocols, e.g. http/1.1
          --handshake-timeout SPAN    e.g. 00:00:10 or 10s (default 10s)
          --drain-timeout SPAN        graceful shutdown bound (default 5s)
          --record-crypto NAME        managed (default: Brisk's intrinsics kernels) | system
          --rsa-engine NAME           auto (default) | system | multibuffer | native | fiat
          --rsa-batch-wait SPAN       longest wait to fill RSA batch lanes (default 0)
          --rsa-fiat-batch N          most keys of a Fiat family per root exponentiation, 2-8 (default 8)
          --inline-completions MODE   auto (default: on with at most 2 CPUs and no RSA batch wait) | on | off:
                                      run socket completions and the handshake on the socket event
                                      thread, without thread-pool hops (fixed at start)
          --x25519-batch on|off       batch concurrent handshakes' X25519 derivations into the
                                      8-lane AVX-512 IFMA kernel where the CPU has it (default on;
                                      fixed at start)
          --tickets on|off            session tickets, TLS 1.2 and 1.3 (default on)
          --ticket-key-file FILE      shared ticket keys, one hex/base64 key per line, newest
                                      first (default: in-memory keys rotated hourly)
          --session-cache-size N      TLS 1.2 session-ID cache entries (default 20000; 0: off)
        Brisk in front of a service:
          --backend tcp://HOST:PORT   forward the decrypted stream there instead of --responder
                                      (repeatable: one for all --listen, or one per --listen)
          --route KIND=NAME=URL       sni=api.example.com=tcp://... or alpn=h2=tcp://...
                                      (repeatable, first match wins; default: --backend)
          --proxy-protocol MODE       off (default) | v1 | v2: PROXY header to the backend
          --accept-proxy-protocol M   off (default) | on: expect a PROXY v1/v2 header from a
                                      load balancer before the handshake
          --backend-connect-timeout SPAN  backend connect bound (default 5s)
        Limits and operations (docs/OPERATIONS.md):
          --max-connections N         open connections at most; more are reset at accept (default 0: no limit)
          --max-handshakes N          concurrent handshakes at most; more wait for a slot within their
                                      handshake timeout (default 0: no limit)
          --idle-timeout SPAN         close (close_notify) connections idle both ways this long (default 5m; off)
          --handshake-rate-limit N/s  handshakes per second per client address (IPv6: per /64), token bucket
          --handshake-rate-burst N    the bucket size (default: N of the rate)
          --metrics IP:PORT           serve Prometheus metrics at http://IP:PORT/metrics
          --log-format simple|json    console log format (default simple)
          --access-log FILE|stdout    one JSON line per connection
          --client-directory URI      ldap://HOST:PORT or ldaps://HOST:PORT: admit a client only if its
                                      certificate is in its entry's userCertificate;binary
          --client-directory-base DN  search base; with {cn}, {email} or {subject} in it, the DN of the
                                      user's entry itself (read with a base-scope search)
          --client-directory-filter F filter template (default (&(objectClass=inetOrgPerson)(cn={cn})));
                                      {cn}, {email}, {subject} are RFC 4515-escaped
          --client-directory-ca-dir DIR          ldaps: CA certificates for the directory's certificate
                                                 (OpenSSL hashed directory, see openssl rehash)
          --client-directory-bind-dn DN          simple bind as DN (default: anonymous)
          --client-directory-password-file FILE  bind password (or env BRISK_CLIENT_DIRECTORY_PASSWORD)
          --client-directory-timeout SPAN        connect + bind + search bound (default 3s)
          --client-directory-cache-ttl SPAN      answer cache lifetime (default 60s; 0: no cache)
          --client-directory-cache-size N        answer cache entries (default 10000)
          --client-directory-on-unreachable closed|open   directory down: deny (default) or admit
          --client-directory-deny-alert certificate_unknown|access_denied   alert for an unlisted
                                      certificate (default certificate_unknown)
        Key tool:
          keygen --batch N --bits B --out DIR   a Fiat key family: one modulus, N small exponents,
                                                N self-signed certificates for localhost
          keys import --pkcs11-module PATH --token T --object O --key FILE.pem [--cert FILE.pem]
                                      import a PEM key into the token (AES key wrap, not extractable)
          keys generate --pkcs11-module PATH --token T --object O --type rsa2048|p256
                        (--self-signed CN | --csr CN) --out FILE.pem
                                      generate a key pair in the token; certificate or CSR signed by it
        Every option is also a configuration key (appsettings.json, BRISK_* environment variables).
        """;

    /// <summary>
    /// Turns the arguments into configuration key/value pairs. Returns false with a one-line
    /// <paramref name="error"/> for anything malformed.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> args, out Dictionary<string, string?> settings, out string? error, out bool helpRequested)
    {
        settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        error = null;
        helpRequested = false;
        int listenCount = 0, certCount = 0, keyCount = 0;
        var repeatedCounts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++)
        {
            string flag = args[i];
            string? inlineValue = null;
            int eq = flag.IndexOf('=');
            if (flag.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                inlineValue = flag[(eq + 1)..];
                flag = flag[..eq];
            }
            if (flag is "--help" or "-h")
            {
                helpRequested = true;
                return true;
            }
            if (!flag.StartsWith("--", StringComparison.Ordinal))
            {
                error = $"unexpected argument '{args[i]}' (see --help)";
                return false;
            }
            if (flag is not ("--listen" or "--cert" or "--key") && !SingleValued.ContainsKey(flag) && !Repeatable.ContainsKey(flag))
            {
                error = $"unknown option {flag} (see --help)";
                return false;
            }
            string? value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    error = $"option {flag} needs a value";
                    return false;
                }
                value = args[++i];
            }
            switch (flag)
            {
                case "--listen":
                    settings[$"Listen:{listenCount++}"] = value;
                    break;
                case "--cert":
                    settings[$"Certificates:{certCount++}:Cert"] = value;
                    break;
                case "--key":
                    settings[$"Certificates:{keyCount++}:Key"] = value;
                    break;
                case var _ when Repeatable.TryGetValue(flag, out var repeatedKey):
                    repeatedCounts[repeatedKey] = repeatedCounts.GetValueOrDefault(repeatedKey) + 1;
                    settings[$"{repeatedKey}:{repeatedCounts[repeatedKey] - 1}"] = value;
                    break;
                default:
                    if (!SingleValued.TryGetValue(flag, out var key))
                    {
                        error = $"unknown option {flag} (see --help)";
                        return false;
                    }
                    settings[key] = value;
                    break;
            }
        }
        if (certCount != keyCount)
        {
            error = $"--cert and --key must come in pairs (got {certCount} --cert and {keyCount} --key)";
            return false;
        }
        return true;
    }
}
