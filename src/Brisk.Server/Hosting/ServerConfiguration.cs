using System.Globalization;
using System.Net;
using Brisk.Crypto.Aead;
using Brisk.Crypto.KeyExchange;
using Brisk.Crypto.Rsa;
using Brisk.Server.ClientDirectory;
using Brisk.Server.Responders;
using Brisk.Tls;
using Brisk.Tls.Credentials;
using Brisk.Tls.Resumption;

namespace Brisk.Server.Hosting;

/// <summary>The validated, ready-to-use server configuration built from <see cref="BriskServerOptions"/>.</summary>
public sealed class ServerConfiguration
{
    public required IReadOnlyList<IPEndPoint> Endpoints { get; init; }

    /// <summary>
    /// The listeners, in the order of <see cref="Endpoints"/>: each with its responder (the global one or a
    /// backend) and PROXY settings. Unset: every endpoint served by <see cref="Responder"/>.
    /// </summary>
    public IReadOnlyList<ListenerConfiguration> Listeners
    {
        get => _listeners ??= Endpoints.Select(e => new ListenerConfiguration(e, Responder, AcceptProxyProtocol: false)).ToList();
        init => _listeners = value;
    }

    private IReadOnlyList<ListenerConfiguration>? _listeners;

    public required TlsServerOptions Tls { get => _tls; init => _tls = value; }

    private TlsServerOptions _tls = null!;

    public required IResponder Responder { get; init; }

    public required TimeSpan HandshakeTimeout { get; init; }

    public required TimeSpan DrainTimeout { get; init; }

    public required int Backlog { get; init; }

    /// <summary>Limits, metrics and logs (docs/OPERATIONS.md).</summary>
    public OperationsSettings Operations { get; init; } = new();

    /// <summary>The record encryption provider and, for the managed kernels, the CPU path in use (logged at start).</summary>
    public string RecordCryptoDescription => Tls.RecordCrypto is ManagedAeadProvider managed ? $"managed ({managed.PathName})" : Tls.RecordCrypto.Name;

    /// <summary>True when the certificates were generated in memory for development.</summary>
    public bool UsesDevelopmentCertificates { get => _usesDevelopmentCertificates; init => _usesDevelopmentCertificates = value; }

    private bool _usesDevelopmentCertificates;

    /// <summary>The RSA engine every RSA key of this configuration uses; a reload keeps it (see <see cref="Build"/>).</summary>
    public IRsaEngine? RsaEngine { get; init; }

    /// <summary>The options that chose <see cref="RsaEngine"/>, to tell a reload that asks for another engine.</summary>
    internal string RsaEngineSettings { get; init; } = "";

    /// <summary>
    /// Whether connections run inline (<c>--inline-completions</c>): socket completions on the socket event thread
    /// (the runtime's DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS, set by Program at start) and the transport and
    /// application pipes with <see cref="System.IO.Pipelines.PipeScheduler.Inline"/>, so a read, the handshake step
    /// it feeds and the send it produces run on one thread. Fixed at start; a reload keeps the running mode.
    /// </summary>
    public bool InlineCompletions { get; init; }

    /// <summary>The InlineCompletions option as given (auto, on, off), to tell a reload that asks for another mode.</summary>
    internal string InlineCompletionsSetting { get; init; } = "off";

    /// <summary>Files and directories whose change triggers a reload (certificates, keys, CA, ticket keys, --cert-dir).</summary>
    public IReadOnlyList<string> WatchedPaths { get => _watchedPaths; init => _watchedPaths = value; }

    private IReadOnlyList<string> _watchedPaths = [];

    /// <summary>Whether the files are watched (<c>--watch</c>); SIGHUP reloads either way.</summary>
    public bool WatchFiles { get => _watchFiles; init => _watchFiles = value; }

    private bool _watchFiles = true;

    /// <summary>What a reload could not apply (it needs a restart), one line each; empty at start.</summary>
    public IReadOnlyList<string> ReloadWarnings { get => _reloadWarnings; init => _reloadWarnings = value; }

    private IReadOnlyList<string> _reloadWarnings = [];

    /// <summary>
    /// This configuration with the TLS part of <paramref name="reloaded"/>: what a reload swaps in. The
    /// certificates, suites, groups, client CAs, ticket keys and what depends on them (the watched files) come
    /// from the new configuration; everything else (endpoints, responder, timeouts and whatever else is not
    /// TLS) stays as started. A shallow copy, so properties added later are carried without being listed.
    /// </summary>
    public ServerConfiguration WithTlsFrom(ServerConfiguration reloaded)
    {
        var copy = (ServerConfiguration)MemberwiseClone();
        copy._tls = reloaded.Tls;
        copy._usesDevelopmentCertificates = reloaded.UsesDevelopmentCertificates;
        copy._watchedPaths = reloaded.WatchedPaths;
        copy._watchFiles = reloaded.WatchFiles;
        copy._reloadWarnings = [];
        return copy;
    }

    /// <summary>
    /// Validates every option and loads the files. Throws <see cref="ConfigurationException"/> with a
    /// one-line message naming the key or file and the problem.
    /// <para>
    /// On a reload, <paramref name="previous"/> is the running configuration. What must outlive a reload is
    /// taken from it rather than made again: the RSA engine (a batching engine owns runner threads and each
    /// key's precomputed state), the in-memory ticket key ring (so tickets already issued still open), the
    /// session-ID cache and the key-exchange provider. A ticket key file is always read again, so a fleet
    /// rotation step is applied by a reload.
    /// </para>
    /// </summary>
    public static ServerConfiguration Build(BriskServerOptions options, ServerConfiguration? previous = null)
    {
        var warnings = new List<string>();

        string inlineSetting = (options.InlineCompletions ?? "").Trim().ToLowerInvariant();
        bool inlineCompletions = inlineSetting switch
        {
            "auto" or "" => ResolveInlineCompletionsAuto(options),
            _ => ParseOnOff("InlineCompletions", inlineSetting),
        };
        if (previous is not null)
        {
            if (previous.InlineCompletionsSetting != inlineSetting && previous.InlineCompletions != inlineCompletions)
                warnings.Add($"InlineCompletions changed ({previous.InlineCompletionsSetting} -> {inlineSetting}); the running mode is kept until a restart");
            inlineCompletions = previous.InlineCompletions;
        }

        string rsaEngineSettings = $"{options.RsaEngine.Trim().ToLowerInvariant()} wait={options.RsaBatchWait} minimum={options.RsaBatchMinimum} fiat-batch={options.RsaFiatBatch}";
        IRsaEngine rsaEngine;
        if (previous?.RsaEngine is { } runningEngine)
        {
            rsaEngine = runningEngine;
            if (previous.RsaEngineSettings != rsaEngineSettings)
                warnings.Add($"RsaEngine/RsaBatchWait/RsaBatchMinimum/RsaFiatBatch changed ({previous.RsaEngineSettings} -> {rsaEngineSettings}); the running engine is kept until a restart");
        }
        else
        {
            rsaEngine = CreateRsaEngine(options, handOff: inlineCompletions);
        }

        IAeadProvider recordCrypto = options.RecordCrypto.ToLowerInvariant() switch
        {
            "system" => SystemAeadProvider.Instance,
            "managed" => ManagedAeadProvider.Default,
            var other => throw new ConfigurationException($"RecordCrypto: unknown provider '{other}' (managed, system)"),
        };

        var unknownSni = options.UnknownSni.Trim().ToLowerInvariant() switch
        {
            "default" => UnknownServerNamePolicy.UseDefault,
            "reject" => UnknownServerNamePolicy.Reject,
            var other => throw new ConfigurationException($"UnknownSni: '{other}' is not default or reject"),
        };
        bool watchFiles = ParseOnOff("WatchFiles", options.WatchFiles);

        var watched = new List<string>();
        bool development = options.Certificates.Count == 0 && string.IsNullOrWhiteSpace(options.CertDir);
        if (options.Pkcs11Sessions is < 0 or > 256)
            throw new ConfigurationException("Pkcs11Sessions: 1 to 256 sessions per key, or 0 for one per processor");
        var pkcs11 = new Pkcs11Settings(options.Pkcs11Module, options.Pkcs11PinFile,
            options.Pkcs11Sessions > 0 ? options.Pkcs11Sessions : Environment.ProcessorCount);
        if (!string.IsNullOrWhiteSpace(options.Pkcs11Module) && !options.Certificates.Any(c => Pkcs11.Pkcs11Uri.IsPkcs11Uri(c.Key)))
            throw new ConfigurationException("Pkcs11Module: set, but no --key is a pkcs11: URI");
        List<ServerCertificate> certificates;
        List<ServerCertificate> defaults;
        if (development)
        {
            // A reload keeps the generated certificates: new ones would only change the fingerprints.
            certificates = previous is { UsesDevelopmentCertificates: true } ? [.. previous.Tls.Certificates] :
            [
                CertificateLoader.CreateDevelopmentCertificate(CredentialKeyType.Rsa, rsaEngine),
                CertificateLoader.CreateDevelopmentCertificate(CredentialKeyType.EcdsaP256, rsaEngine),
            ];
            defaults = certificates;
        }
        else
        {
            certificates = [];
            try
            {
                for (int i = 0; i < options.Certificates.Count; i++)
                {
                    var pair = options.Certificates[i];
                    if (string.IsNullOrWhiteSpace(pair.Cert) || string.IsNullOrWhiteSpace(pair.Key))
                        throw new ConfigurationException($"Certificates:{i}: both Cert and Key are required");
                    bool hsm = Pkcs11.Pkcs11Uri.IsPkcs11Uri(pair.Key);
                    certificates.Add(hsm
                        ? CertificateLoader.LoadPkcs11(pair.Cert, pair.Key, pkcs11)
                        : CertificateLoader.LoadPem(pair.Cert, pair.Key, rsaEngine));
                    if (!Pkcs11.Pkcs11Uri.IsPkcs11Uri(pair.Cert))
                        watched.Add(pair.Cert);
                    if (!hsm)
                        watched.Add(pair.Key);
                }
                // The --cert pairs are the default set; with a directory alone, its default.* files (or its first file).
                defaults = [.. certificates];
                if (!string.IsNullOrWhiteSpace(options.CertDir))
                {
                    var (fromDirectory, directoryDefaults) = CertificateLoader.LoadDirectory(options.CertDir, rsaEngine);
                    certificates.AddRange(fromDirectory);
                    if (defaults.Count == 0)
                        defaults = directoryDefaults.Count > 0 ? directoryDefaults : [fromDirectory[0]];
                    watched.Add(options.CertDir);
                }
            }
            catch
            {
                // Token sessions of keys loaded before the failure are closed (the module is released with the last).
                foreach (var loaded in certificates)
                    (loaded.Key as IDisposable)?.Dispose();
                throw;
            }
        }

        ServerCertificate.LinkKeyFamilies(certificates);
        var store = new CertificateStore(certificates, defaults, unknownSni);

        var clientAuth = options.ClientAuth.ToLowerInvariant() switch
        {
            "none" => ClientAuthenticationMode.None,
            "optional" => ClientAuthenticationMode.Optional,
            "require" or "required" => ClientAuthenticationMode.Require,
            var other => throw new ConfigurationException($"ClientAuth: '{other}' is not one of none, optional, require"),
        };
        var anchors = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        if (clientAuth != ClientAuthenticationMode.None)
        {
            if (string.IsNullOrWhiteSpace(options.ClientCa))
                throw new ConfigurationException("ClientCa: client authentication needs --client-ca FILE with the trusted CAs");
            anchors = CertificateLoader.LoadTrustAnchors(options.ClientCa);
            watched.Add(options.ClientCa);
        }

        var clientDirectory = BuildClientDirectory(options, clientAuth);

        var (enable12, enable13) = ParseVersions(options.TlsVersions);
        var (suites12, suites13) = ParseCiphers(options.Ciphers);
        var groups = ParseGroups(options.Groups);
        // Brisk's native X25519 kernel when libbrisk_native.so is loaded (NIST curves from libcrypto), else libcrypto;
        // with X25519Batch on, the X25519 derivations batched across handshakes where the CPU has AVX-512 IFMA.
        bool x25519Batch = ParseOnOff("X25519Batch", options.X25519Batch, whenUnset: true);
        var keyExchange = previous?.Tls.KeyExchange ?? (x25519Batch ? KeyExchangeProviders.ServerDefault : KeyExchangeProviders.Default);
        foreach (var group in groups)
        {
            if (!keyExchange.IsSupported(group))
                throw new ConfigurationException($"Groups: {group} is not available from the '{keyExchange.Name}' key exchange (no libcrypto.so.3?)");
        }

        if (enable13 && suites13.Count == 0)
            throw new ConfigurationException("Ciphers: TLS 1.3 is enabled but no TLS 1.3 suite is");
        if (enable12 && !suites12.Any(s => certificates.Any(c => s.IsUsableWith(c.KeyType))))
            throw new ConfigurationException("Ciphers: no enabled TLS 1.2 suite can be served by the configured certificates");

        IResponder responder = options.Responder.ToLowerInvariant() switch
        {
            "http" => new HttpResponder(),
            "echo" => new EchoResponder(),
            var other => throw new ConfigurationException($"Responder: unknown responder '{other}' (http, echo)"),
        };
        var listeners = ListenerSetup.Build(options, responder);
        var routedAlpn = ListenerSetup.RoutedApplicationProtocols(listeners).ToList();
        var alpn = string.IsNullOrWhiteSpace(options.Alpn)
            ? (listeners.Any(l => l.Responder is HttpResponder) ? ["http/1.1"] : new List<string>()).Union(routedAlpn).ToList()
            : options.Alpn.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var protocol in routedAlpn.Where(p => !alpn.Contains(p)))
            throw new ConfigurationException($"Alpn: a route selects on ALPN '{protocol}', which is not offered (add it to Alpn)");

        var (ticketKeys, sessionCache, ticketLifetime) = BuildResumption(options, recordCrypto, previous?.Tls, warnings);
        if (ticketKeys?.KeyFile is { } keyFile)
            watched.Add(keyFile);
        if (!string.IsNullOrWhiteSpace(options.ConfigFile))
            watched.Add(options.ConfigFile);
        if (options.TicketCount is < 0 or > 10)
            throw new ConfigurationException("TicketCount: must be between 0 and 10");

        return new ServerConfiguration
        {
            Endpoints = listeners.Select(l => l.Endpoint).ToList(),
            Listeners = listeners,
            Responder = responder,
            HandshakeTimeout = ParseDuration("HandshakeTimeout", options.HandshakeTimeout),
            DrainTimeout = ParseDuration("DrainTimeout", options.DrainTimeout),
            Backlog = options.Backlog > 0 ? options.Backlog : throw new ConfigurationException("Backlog: must be positive"),
            Operations = OperationsSettings.Build(options),
            UsesDevelopmentCertificates = development,
            RsaEngine = rsaEngine,
            RsaEngineSettings = rsaEngineSettings,
            InlineCompletions = inlineCompletions,
            InlineCompletionsSetting = previous?.InlineCompletionsSetting ?? inlineSetting,
            WatchedPaths = watched.Select(Path.GetFullPath).Distinct().ToList(),
            WatchFiles = watchFiles,
            ReloadWarnings = warnings,
            Tls = new TlsServerOptions
            {
                Certificates = certificates,
                CertificateStore = store,
                Tls12CipherSuites = suites12,
                Tls13CipherSuites = suites13,
                Groups = groups,
                EnableTls12 = enable12,
                EnableTls13 = enable13,
                ApplicationProtocols = alpn,
                ClientAuthentication = clientAuth,
                ClientTrustAnchors = anchors,
                ClientCertificatePolicy = clientDirectory,
                KeyExchange = keyExchange,
                RecordCrypto = recordCrypto,
                TicketKeys = ticketKeys,
                SessionCache = sessionCache,
                Tls13TicketCount = options.TicketCount,
                TicketLifetime = ticketLifetime,
                AllowPskWithoutKeyExchange = options.AllowPskKe,
            },
        };
    }

    /// <summary>Environment variable with the directory bind password (kept off the command line and out of ps).</summary>
    public const string ClientDirectoryPasswordVariable = "BRISK_CLIENT_DIRECTORY_PASSWORD";

    /// <summary>The LDAP client-certificate check, or null when ClientDirectory is not set.</summary>
    private static LdapClientCertificatePolicy? BuildClientDirectory(BriskServerOptions options, ClientAuthenticationMode clientAuth)
    {
        if (string.IsNullOrWhiteSpace(options.ClientDirectory))
        {
            foreach (var (key, value) in new[]
            {
                ("ClientDirectoryBase", options.ClientDirectoryBase),
                ("ClientDirectoryFilter", options.ClientDirectoryFilter),
                ("ClientDirectoryBindDn", options.ClientDirectoryBindDn),
                ("ClientDirectoryCaDir", options.ClientDirectoryCaDir),
                ("ClientDirectoryPasswordFile", options.ClientDirectoryPasswordFile),
            })
            {
                if (!string.IsNullOrWhiteSpace(value))
                    throw new ConfigurationException($"{key}: set, but ClientDirectory (--client-directory URI) is not");
            }
            return null;
        }
        if (!Uri.TryCreate(options.ClientDirectory.Trim(), UriKind.Absolute, out var server) ||
            server.Scheme is not ("ldap" or "ldaps") || string.IsNullOrEmpty(server.Host) ||
            server.AbsolutePath is not ("" or "/") || server.Query.Length > 0 || server.UserInfo.Length > 0)
            throw new ConfigurationException($"ClientDirectory: '{options.ClientDirectory}' is not ldap://HOST[:PORT] or ldaps://HOST[:PORT]");
        if (clientAuth == ClientAuthenticationMode.None)
            throw new ConfigurationException("ClientDirectory: the directory check needs client certificates (--client-auth optional or require)");
        if (string.IsNullOrWhiteSpace(options.ClientDirectoryBase))
            throw new ConfigurationException("ClientDirectoryBase: the directory check needs a base DN (--client-directory-base DN)");

        DirectoryLookupTemplate lookup;
        try
        {
            lookup = new DirectoryLookupTemplate(options.ClientDirectoryBase.Trim(),
                string.IsNullOrWhiteSpace(options.ClientDirectoryFilter) ? DirectoryLookupTemplate.DefaultFilter : options.ClientDirectoryFilter.Trim());
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException($"ClientDirectoryFilter: {ex.Message}");
        }

        string? bindDn = string.IsNullOrWhiteSpace(options.ClientDirectoryBindDn) ? null : options.ClientDirectoryBindDn.Trim();
        string? password = null;
        if (!string.IsNullOrWhiteSpace(options.ClientDirectoryPasswordFile))
        {
            try
            {
                password = File.ReadLines(options.ClientDirectoryPasswordFile).FirstOrDefault()?.TrimEnd('\r');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"ClientDirectoryPasswordFile: cannot read '{options.ClientDirectoryPasswordFile}': {ex.Message}");
            }
            if (string.IsNullOrEmpty(password))
                throw new ConfigurationException($"ClientDirectoryPasswordFile: '{options.ClientDirectoryPasswordFile}' is empty");
        }
        else if (Environment.GetEnvironmentVariable(ClientDirectoryPasswordVariable) is { Length: > 0 } fromEnvironment)
        {
            password = fromEnvironment;
        }
        if (bindDn is null && password is not null && !string.IsNullOrWhiteSpace(options.ClientDirectoryPasswordFile))
            throw new ConfigurationException("ClientDirectoryPasswordFile: a password without ClientDirectoryBindDn (anonymous bind takes none)");
        if (bindDn is not null && password is null)
            throw new ConfigurationException($"ClientDirectoryBindDn: needs a password (--client-directory-password-file FILE or {ClientDirectoryPasswordVariable})");

        string? caDirectory = null;
        if (!string.IsNullOrWhiteSpace(options.ClientDirectoryCaDir))
        {
            if (server.Scheme != "ldaps")
                throw new ConfigurationException("ClientDirectoryCaDir: only for an ldaps:// directory");
            if (!Directory.Exists(options.ClientDirectoryCaDir))
                throw new ConfigurationException($"ClientDirectoryCaDir: '{options.ClientDirectoryCaDir}' is not a directory");
            caDirectory = Path.GetFullPath(options.ClientDirectoryCaDir);
        }

        var timeout = ParseDuration("ClientDirectoryTimeout", options.ClientDirectoryTimeout);
        var cacheTtl = ParseDuration("ClientDirectoryCacheTtl", options.ClientDirectoryCacheTtl, allowZero: true);
        if (options.ClientDirectoryCacheSize < 0)
            throw new ConfigurationException("ClientDirectoryCacheSize: must be 0 (off) or positive");
        bool failOpen = options.ClientDirectoryOnUnreachable.Trim().ToLowerInvariant() switch
        {
            "closed" => false,
            "open" => true,
            var other => throw new ConfigurationException($"ClientDirectoryOnUnreachable: '{other}' is not closed or open"),
        };
        var denyAlert = options.ClientDirectoryDenyAlert.Trim().ToLowerInvariant() switch
        {
            "certificate_unknown" => Brisk.Tls.Protocol.AlertDescription.CertificateUnknown,
            "access_denied" => Brisk.Tls.Protocol.AlertDescription.AccessDenied,
            var other => throw new ConfigurationException($"ClientDirectoryDenyAlert: '{other}' is not certificate_unknown or access_denied"),
        };
        return new LdapClientCertificatePolicy(new LdapDirectoryOptions
        {
            Server = server,
            Lookup = lookup,
            TrustedCertificatesDirectory = caDirectory,
            BindDn = bindDn,
            BindPassword = bindDn is null ? null : password,
            Timeout = timeout,
            CacheTimeToLive = cacheTtl,
            CacheSize = options.ClientDirectoryCacheSize,
            FailOpen = failOpen,
            DenyAlert = denyAlert,
        });
    }


    /// <summary>
    /// Ticket keys (memory or file), the session-ID cache and the session lifetime. On a reload
    /// (<paramref name="previous"/> set) the in-memory ring and the cache are kept, so sessions survive;
    /// a key file is read afresh (a bad file fails the reload, and the running keys stay).
    /// </summary>
    private static (TicketKeyRing?, SessionCache?, TimeSpan) BuildResumption(BriskServerOptions options, IAeadProvider aead, TlsServerOptions? previous, List<string> warnings)
    {
        var lifetime = ParseDuration("TicketLifetime", options.TicketLifetime);
        // RFC 8446 §4.6.1: ticket_lifetime must not exceed 7 days.
        if (lifetime > TimeSpan.FromDays(7))
            throw new ConfigurationException("TicketLifetime: at most 7 days (RFC 8446 §4.6.1)");
        bool tickets = ParseOnOff("Tickets", options.Tickets);
        TicketKeyRing? ring = null;
        if (!string.IsNullOrWhiteSpace(options.TicketKeyFile))
        {
            if (!tickets)
                throw new ConfigurationException("TicketKeyFile: set, but Tickets is off");
            try
            {
                ring = TicketKeyRing.LoadFile(options.TicketKeyFile, aead, TimeProvider.System);
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"TicketKeyFile: {ex.Message}");
            }
        }
        else if (tickets && previous?.TicketKeys is { KeyFile: null } running)
        {
            // The rotating in-memory keys are the only copy: a new ring would orphan every ticket issued so far.
            ring = running;
            if (lifetime != previous.TicketLifetime)
                warnings.Add("TicketLifetime changed: the in-memory ticket keys keep their acceptance window until a restart");
        }
        else if (tickets)
        {
            // A key seals for an hour, then keeps opening for a ticket lifetime, so every ticket lives its full lifetime.
            ring = TicketKeyRing.CreateRotating(aead, TimeProvider.System, TicketKeyRing.DefaultRotation, TicketKeyRing.DefaultRotation + lifetime);
        }
        if (options.SessionCacheSize < 0)
            throw new ConfigurationException("SessionCacheSize: must be 0 (off) or positive");
        SessionCache? cache;
        if (previous?.SessionCache is { } runningCache && runningCache.Capacity == options.SessionCacheSize)
            cache = runningCache;
        else
            cache = options.SessionCacheSize > 0 ? new SessionCache(options.SessionCacheSize, TimeProvider.System) : null;
        return (ring, cache, lifetime);
    }

    /// <summary>on/true/yes or off/false/no; an unset (null or blank) value is <paramref name="whenUnset"/>, or an error when that is null.</summary>
    internal static bool ParseOnOff(string key, string? text, bool? whenUnset = null)
    {
        if (string.IsNullOrWhiteSpace(text) && whenUnset is bool unset)
            return unset;
        return (text ?? "").Trim().ToLowerInvariant() switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            var other => throw new ConfigurationException($"{key}: '{other}' is not on or off"),
        };
    }

    /// <summary>
    /// InlineCompletions=auto: inline when the process may use at most 2 CPUs (<see cref="Environment.ProcessorCount"/>
    /// follows the affinity mask and cgroup limits, so <c>taskset -c 0</c> gives 1). With so few cores a thread-pool hop
    /// per socket event costs context switches that take the core from the handshakes (docs/performance-handshake.md).
    /// Not with an RSA batch wait: a runner waiting to fill its lanes would spin on the socket event thread, where no
    /// other request can arrive meanwhile.
    /// </summary>
    private static bool ResolveInlineCompletionsAuto(BriskServerOptions options)
    {
        bool batchWait = options.RsaBatchWait is { Length: > 0 } wait && ParseDuration("RsaBatchWait", wait, allowZero: true) > TimeSpan.Zero;
        return Environment.ProcessorCount <= 2 && !batchWait;
    }

    /// <summary>
    /// The RSA engine named by RsaEngine. "auto" takes the native batched engine where this CPU and build
    /// have it (AVX-512 IFMA kernel measured fastest here), else the one-at-a-time system engine. An engine
    /// named explicitly must be available, or start-up fails. Keys an engine cannot serve (e.g. fiat
    /// needs a shared-modulus key family) use the system engine (see RsaServerKey).
    /// <para>
    /// With inline completions the handshakes' RSA requests are issued on the socket event thread; the
    /// batching engines then hand them to a thread-pool runner (<see cref="RsaBatchOptions.HandOff"/>) rather
    /// than computing each on the spot, so the requests of one round of socket events fill one batch.
    /// </para>
    /// </summary>
    private static IRsaEngine CreateRsaEngine(BriskServerOptions options, bool handOff)
    {
        if (options.RsaBatchMinimum is 0 or < -1 or > 64)
            throw new ConfigurationException("RsaBatchMinimum: 1 to 64, or -1 for half the engine's lanes");
        if (options.RsaFiatBatch is < 2 or > 8)
            throw new ConfigurationException("RsaFiatBatch: 2 to 8 keys per Fiat root");
        var batch = new RsaBatchOptions
        {
            MaxWait = options.RsaBatchWait is { Length: > 0 } wait ? ParseDuration("RsaBatchWait", wait, allowZero: true) : TimeSpan.Zero,
            MinimumBatch = options.RsaBatchMinimum,
            HandOff = handOff,
        };
        string name = options.RsaEngine.Trim().ToLowerInvariant();
        if (name == "auto")
            return RsaEngines.Create("native", batch) ?? SystemRsaEngine.Instance;
        if (!RsaEngines.Names.Contains(name))
            throw new ConfigurationException($"RsaEngine: unknown engine '{name}' (auto, {string.Join(", ", RsaEngines.Names)})");
        return RsaEngines.Create(name, batch, options.RsaFiatBatch)
            ?? throw new ConfigurationException($"RsaEngine: the {name} engine is not available on this machine (CPU features or native library missing)");
    }

    internal static IPEndPoint ParseEndpoint(string key, string text)
    {
        if (!IPEndPoint.TryParse(text, out var endpoint) || endpoint.Port is < 0 or > 65535 || !text.Contains(':'))
            throw new ConfigurationException($"{key}: '{text}' is not IP:PORT");
        return endpoint;
    }

    internal static TimeSpan ParseDuration(string key, string text, bool allowZero = false)
    {
        text = text.Trim();
        TimeSpan value;
        if (text.EndsWith("ms", StringComparison.OrdinalIgnoreCase) && double.TryParse(text[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
            value = TimeSpan.FromMilliseconds(ms);
        else if (text.EndsWith('s') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
            value = TimeSpan.FromSeconds(s);
        else if (text.EndsWith('h') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var h))
            value = TimeSpan.FromHours(h);
        else if (text.EndsWith('m') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var m))
            value = TimeSpan.FromMinutes(m);
        else if (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value))
            throw new ConfigurationException($"{key}: '{text}' is not a duration (e.g. 10s, 500ms, 00:00:10)");
        if (value < TimeSpan.Zero || (value == TimeSpan.Zero && !allowZero))
            throw new ConfigurationException($"{key}: must be positive");
        return value;
    }

    private static (bool Tls12, bool Tls13) ParseVersions(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (true, true);
        bool tls12 = false, tls13 = false;
        foreach (var version in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            switch (version)
            {
                case "1.2": tls12 = true; break;
                case "1.3": tls13 = true; break;
                case "1.0" or "1.1" or "ssl3": throw new ConfigurationException($"TlsVersions: {version} is insecure and not supported");
                default: throw new ConfigurationException($"TlsVersions: unknown version '{version}' (1.2, 1.3)");
            }
        }
        if (!tls12 && !tls13)
            throw new ConfigurationException("TlsVersions: no version enabled");
        return (tls12, tls13);
    }

    private static (List<CipherSuiteInfo> Tls12, List<CipherSuiteInfo> Tls13) ParseCiphers(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return (CipherSuites.Tls12Default.ToList(), CipherSuites.Tls13Default.ToList());
        var tls12 = new List<CipherSuiteInfo>();
        var tls13 = new List<CipherSuiteInfo>();
        // Commas, or colons as in OpenSSL's cipher strings.
        foreach (var name in text.Split([',', ':'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!CipherSuites.TryFind(name, out var suite))
                throw new ConfigurationException($"Ciphers: '{name}' is not a supported suite (IANA names, e.g. TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)");
            (suite.IsTls13 ? tls13 : tls12).Add(suite);
        }
        // A list naming only TLS 1.2 suites leaves the TLS 1.3 defaults on (and vice versa): the two sets are
        // chosen independently, as OpenSSL's -cipher and -ciphersuites are.
        return (tls12.Count > 0 ? tls12 : CipherSuites.Tls12Default.ToList(), tls13.Count > 0 ? tls13 : CipherSuites.Tls13Default.ToList());
    }

    private static List<NamedGroup> ParseGroups(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
            return [NamedGroup.X25519, NamedGroup.Secp256r1, NamedGroup.Secp384r1];
        var groups = new List<NamedGroup>();
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            NamedGroup group = name.ToLowerInvariant() switch
            {
                "x25519" => NamedGroup.X25519,
                "secp256r1" or "p-256" or "prime256v1" => NamedGroup.Secp256r1,
                "secp384r1" or "p-384" => NamedGroup.Secp384r1,
                _ => throw new ConfigurationException($"Groups: unknown group '{name}' (x25519, secp256r1, secp384r1)"),
            };
            if (!groups.Contains(group))
                groups.Add(group);
        }
        return groups;
    }
}
