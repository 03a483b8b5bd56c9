using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.DirectoryServices.Protocols;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Brisk.Tls;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

// Namespace ClientDirectory, not Directory: a Brisk.Server.Directory namespace would hide System.IO.Directory
// from all of Brisk.Server.
namespace Brisk.Server.ClientDirectory;

/// <summary>
/// Lets a client in only if its certificate is byte-for-byte one of the <c>userCertificate;binary</c> values of
/// its entry in an LDAP directory (System.DirectoryServices.Protocols over OpenLDAP's libldap on Linux).
///
/// Per handshake: the answer cache (keyed by the certificate's SHA-256), else one lookup shared by every
/// handshake that presents the same certificate meanwhile. A lookup takes one of at most
/// <see cref="LdapDirectoryOptions.MaxConnections"/> pooled connections (connect and bind run on the thread
/// pool, bounded by the timeout, only when a connection is new), then searches with BeginSendRequest, which polls
/// libldap with timer waits in between: no thread is held while the directory answers.
///
/// Outcomes: listed → allow; not found / not listed → the deny alert (certificate_unknown or access_denied);
/// ambiguous, oversized, no usable name → the deny alert; unreachable or timed out → internal_error (fail closed)
/// or allow (fail open); bind refused and other directory errors → internal_error, whatever fail-open says (a
/// configuration fault is not let through). Every lookup is logged and counted on the meter
/// "Brisk.Server.Directory".
/// </summary>
public sealed partial class LdapClientCertificatePolicy : IClientCertificatePolicy, IDisposable
{
    public const string MeterName = "Brisk.Server.Directory";
    private const string CertificateAttribute = "userCertificate;binary";

    private readonly LdapDirectoryOptions _options;
    private readonly TimeProvider _time;
    private readonly DirectoryDecisionCache _cache;
    private readonly ConcurrentDictionary<string, Task<LookupResult>> _inFlight = new(StringComparer.Ordinal);
    private readonly ConcurrentBag<LdapConnection> _idle = [];
    private readonly SemaphoreSlim _connectionSlots;
    private readonly Counter<long> _lookups;
    private readonly Counter<long> _cacheHits;
    private readonly Counter<long> _cacheMisses;
    private readonly Counter<long> _decisions;
    private readonly Histogram<double> _lookupDuration;
    private long _directoryQueries;
    private long _cacheHitCount;
    private long _cacheMissCount;
    private volatile bool _disposed;

    public LdapClientCertificatePolicy(LdapDirectoryOptions options, ILogger? logger = null, TimeProvider? time = null)
    {
        _options = options;
        _time = time ?? TimeProvider.System;
        Logger = logger ?? NullLogger.Instance;
        _cache = new DirectoryDecisionCache(options.CacheSize, options.CacheTimeToLive, _time);
        _connectionSlots = new SemaphoreSlim(options.MaxConnections, options.MaxConnections);
        Meter = new Meter(MeterName);
        _lookups = Meter.CreateCounter<long>("brisk.directory.lookups", unit: "{lookup}", description: "Directory lookups sent, by result");
        _cacheHits = Meter.CreateCounter<long>("brisk.directory.cache.hits", unit: "{lookup}", description: "Client certificates answered from the cache");
        _cacheMisses = Meter.CreateCounter<long>("brisk.directory.cache.misses", unit: "{lookup}", description: "Client certificates that needed the directory");
        _decisions = Meter.CreateCounter<long>("brisk.directory.decisions", unit: "{handshake}", description: "Policy decisions, by decision (allow, deny, fail_open)");
        _lookupDuration = Meter.CreateHistogram<double>("brisk.directory.lookup.duration", unit: "s", description: "Time of one directory lookup");
    }

    /// <summary>Set by the host once its logging is built (the policy is created with the configuration, before).</summary>
    public ILogger Logger { get; set; }

    /// <summary>This policy's instruments (one meter per policy, so tests can listen to exactly theirs).</summary>
    public Meter Meter { get; }

    public LdapDirectoryOptions Options => _options;

    /// <summary>Searches actually sent to the directory (not counting cache hits or shared lookups).</summary>
    public long DirectoryQueries => Interlocked.Read(ref _directoryQueries);

    public long CacheHits => Interlocked.Read(ref _cacheHitCount);

    public long CacheMisses => Interlocked.Read(ref _cacheMissCount);

    public async ValueTask<ClientCertificateDecision> CheckAsync(ClientIdentity client, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        string key = client.Sha256Thumbprint;
        LookupResult result;
        if (_cache.TryGet(key, out var cached))
        {
            Interlocked.Increment(ref _cacheHitCount);
            _cacheHits.Add(1);
            result = new LookupResult(cached, "cached");
        }
        else
        {
            Interlocked.Increment(ref _cacheMissCount);
            _cacheMisses.Add(1);
            // Handshakes presenting the same certificate at once share one search. The shared task is not tied to
            // this handshake's token: one client giving up does not cancel the others' lookup. The task is in the
            // map before the lookup starts, so the lookup's removal of it can never come first and leave a
            // finished lookup behind to answer every later handshake.
            var mine = new TaskCompletionSource<LookupResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            var shared = _inFlight.GetOrAdd(key, mine.Task);
            if (shared == mine.Task)
                _ = LookupAndForgetAsync(key, client.Certificate, mine);
            result = await shared.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        return Decide(client, result);
    }

    private ClientCertificateDecision Decide(ClientIdentity client, LookupResult result)
    {
        ClientCertificateDecision decision;
        string tag;
        switch (result.Outcome)
        {
            case DirectoryOutcome.Listed:
                decision = ClientCertificateDecision.Allow("listed in the directory");
                tag = "allow";
                break;
            case DirectoryOutcome.Unreachable when _options.FailOpen:
                LogFailOpen(Logger, client.Subject, result.Detail);
                decision = ClientCertificateDecision.Allow("directory unreachable, failing open");
                tag = "fail_open";
                break;
            case DirectoryOutcome.Unreachable or DirectoryOutcome.BindFailed or DirectoryOutcome.Error:
                decision = ClientCertificateDecision.Deny(AlertDescription.InternalError, $"directory {Name(result.Outcome)}: {result.Detail}");
                tag = "deny";
                break;
            default:
                decision = ClientCertificateDecision.Deny(_options.DenyAlert, $"{Name(result.Outcome)}: {result.Detail}");
                tag = "deny";
                break;
        }
        _decisions.Add(1, new KeyValuePair<string, object?>("decision", tag));
        if (!decision.IsAllowed)
        {
            if (result.Outcome is DirectoryOutcome.BindFailed or DirectoryOutcome.Error)
                LogDirectoryFault(Logger, client.Subject, Name(result.Outcome), result.Detail);
            else if (result.Outcome == DirectoryOutcome.Unreachable)
                LogFailClosed(Logger, client.Subject, result.Detail);
            else
                LogDenied(Logger, client.Subject, Name(result.Outcome), result.Detail);
        }
        return decision;
    }

    /// <summary>The lookup, its metrics and log; then the in-flight entry goes and only then the waiters get the answer.</summary>
    private async Task LookupAndForgetAsync(string key, X509Certificate2 certificate, TaskCompletionSource<LookupResult> completion)
    {
        var result = new LookupResult(DirectoryOutcome.Error, "lookup did not complete");
        try
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                result = await LookupAsync(certificate).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // E.g. libldap missing (DllNotFoundException): a fault of this machine, reported like any directory
                // error (fail closed). Nothing may escape: this task is not awaited by anyone but the waiters.
                result = new LookupResult(DirectoryOutcome.Error, $"{ex.GetType().Name}: {ex.Message}");
            }
            _lookupDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
            _lookups.Add(1, new KeyValuePair<string, object?>("result", Name(result.Outcome)));
            LogLookup(Logger, certificate.Subject, Name(result.Outcome), result.Detail);
            // Only definite answers are cached: an unreachable directory is asked again next time.
            if (result.Outcome is DirectoryOutcome.Listed or DirectoryOutcome.NotFound or DirectoryOutcome.NotListed)
                _cache.Add(key, result.Outcome);
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<LookupResult>>(key, completion.Task));
            completion.SetResult(result);
        }
    }

    /// <summary>Lookups under way (tests: none may be left behind once all handshakes are answered).</summary>
    internal int LookupsInFlight => _inFlight.Count;

    private async Task<LookupResult> LookupAsync(X509Certificate2 certificate)
    {
        if (!_options.Lookup.TryBuild(certificate, out var baseDn, out var filter, out var missing))
            return new LookupResult(DirectoryOutcome.NoName, missing!);
        var deadline = _time.GetUtcNow() + _options.Timeout;
        if (!await _connectionSlots.WaitAsync(_options.Timeout).ConfigureAwait(false))
            return new LookupResult(DirectoryOutcome.Unreachable, $"no directory connection free within {_options.Timeout.TotalSeconds}s");
        try
        {
            // One retry on a new connection when the directory looks unreachable: a pooled connection may have been
            // closed by the server since its last use, and a new connection's connect + bind can fail once
            // transiently (LDAP error 81 from a running slapd, seen about once in 500 lookups in the tests under
            // load; cause not found). A directory that is really down costs two refused connects.
            for (int attempt = 0; ; attempt++)
            {
                var remaining = deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero)
                    return new LookupResult(DirectoryOutcome.Unreachable, "timed out");
                LdapConnection connection;
                _idle.TryTake(out var pooled);
                try
                {
                    connection = pooled ?? await ConnectAsync(remaining).ConfigureAwait(false);
                }
                catch (LdapException ex)
                {
                    var failure = Classify(ex, binding: true);
                    if (attempt == 0 && failure.Outcome == DirectoryOutcome.Unreachable)
                        continue;
                    return failure;
                }
                catch (TimeoutException)
                {
                    return new LookupResult(DirectoryOutcome.Unreachable, $"connect and bind took longer than {_options.Timeout.TotalSeconds}s");
                }

                Interlocked.Increment(ref _directoryQueries);
                var (result, connectionUsable) = await SearchAsync(connection, baseDn, filter, certificate, deadline).ConfigureAwait(false);
                if (connectionUsable && !_disposed)
                    _idle.Add(connection);
                else if (connectionUsable)
                    connection.Dispose();
                if (attempt == 0 && result.Outcome == DirectoryOutcome.Unreachable)
                    continue;
                return result;
            }
        }
        finally
        {
            _connectionSlots.Release();
        }
    }

    /// <summary>Connect and bind (libldap's calls block), on the thread pool and bounded by <paramref name="timeout"/>.</summary>
    private async Task<LdapConnection> ConnectAsync(TimeSpan timeout)
    {
        var connecting = Task.Run(() =>
        {
            bool ldaps = _options.Server.Scheme.Equals("ldaps", StringComparison.OrdinalIgnoreCase);
            int port = _options.Server.IsDefaultPort || _options.Server.Port <= 0 ? (ldaps ? 636 : 389) : _options.Server.Port;
            var connection = new LdapConnection(new LdapDirectoryIdentifier(_options.Server.Host, port, fullyQualifiedDnsHostName: true, connectionless: false))
            {
                AuthType = _options.BindDn is null ? AuthType.Anonymous : AuthType.Basic,
                Timeout = _options.Timeout,
                AutoBind = false,
            };
            try
            {
                if (_options.BindDn is not null)
                    connection.Credential = new NetworkCredential(_options.BindDn, _options.BindPassword);
                connection.SessionOptions.ProtocolVersion = 3;
                connection.SessionOptions.ReferralChasing = ReferralChasingOptions.None;
                if (ldaps)
                {
                    connection.SessionOptions.SecureSocketLayer = true;
                    if (_options.TrustedCertificatesDirectory is { } trusted && !OperatingSystem.IsWindows())
                    {
                        // libldap keeps one global TLS context; a new one for this connection picks up our CA
                        // directory (LDAP_OPT_X_TLS_CACERTDIR, then LDAP_OPT_X_TLS_NEWCTX).
                        connection.SessionOptions.TrustedCertificatesDirectory = trusted;
                        connection.SessionOptions.StartNewTlsSessionContext();
                    }
                }
                connection.Bind();
                return connection;
            }
            catch
            {
                connection.Dispose();
                throw;
            }
        });
        try
        {
            return await connecting.WaitAsync(timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // The blocked connect ends on its own (network timeout); whatever it yields is not used.
            _ = connecting.ContinueWith(t => { if (t.IsCompletedSuccessfully) t.Result.Dispose(); }, TaskScheduler.Default);
            throw;
        }
    }

    private readonly record struct SearchOutcome(LookupResult Result, bool ConnectionUsable);

    private async Task<SearchOutcome> SearchAsync(LdapConnection connection, string baseDn, string filter, X509Certificate2 certificate, DateTimeOffset deadline)
    {
        var remaining = deadline - _time.GetUtcNow();
        if (remaining <= TimeSpan.Zero)
            return new SearchOutcome(new LookupResult(DirectoryOutcome.Unreachable, "timed out"), ConnectionUsable: true);
        var request = new SearchRequest(baseDn, filter, _options.Lookup.Scope, CertificateAttribute)
        {
            // One entry is expected; asking for two tells "exactly one" from "more than one" (RFC 4511 §4.5.1.4).
            SizeLimit = 2,
            TimeLimit = TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(remaining.TotalSeconds))),
        };
        Task<DirectoryResponse> sending;
        try
        {
            sending = Task.Factory.FromAsync(
                (callback, state) => connection.BeginSendRequest(request, remaining, PartialResultProcessing.NoPartialResultSupport, callback, state),
                connection.EndSendRequest,
                state: null);
        }
        catch (LdapException ex)
        {
            connection.Dispose();
            return new SearchOutcome(Classify(ex, binding: false), ConnectionUsable: false);
        }
        try
        {
            // BeginSendRequest enforces the timeout itself; the extra second only guards against it not doing so.
            var response = (SearchResponse)await sending.WaitAsync(remaining + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return new SearchOutcome(Examine(response.Entries, certificate), ConnectionUsable: true);
        }
        catch (DirectoryOperationException ex) when (ex.Response?.ResultCode == ResultCode.SizeLimitExceeded)
        {
            return new SearchOutcome(new LookupResult(DirectoryOutcome.Ambiguous, $"more than one entry matches {filter} under {baseDn}"), ConnectionUsable: true);
        }
        catch (DirectoryOperationException ex) when (ex.Response?.ResultCode == ResultCode.NoSuchObject)
        {
            return new SearchOutcome(new LookupResult(DirectoryOutcome.NotFound, $"no entry {baseDn}"), ConnectionUsable: true);
        }
        catch (DirectoryOperationException ex)
        {
            return new SearchOutcome(new LookupResult(DirectoryOutcome.Error, $"{ex.Response?.ResultCode}: {ex.Message}"), ConnectionUsable: true);
        }
        catch (LdapException ex)
        {
            connection.Dispose();
            return new SearchOutcome(Classify(ex, binding: false), ConnectionUsable: false);
        }
        catch (TimeoutException)
        {
            _ = sending.ContinueWith(_ => connection.Dispose(), TaskScheduler.Default);
            return new SearchOutcome(new LookupResult(DirectoryOutcome.Unreachable, "search timed out"), ConnectionUsable: false);
        }
    }

    /// <summary>Exactly one entry, a bounded number of certificate values, and the presented DER among them.</summary>
    private LookupResult Examine(SearchResultEntryCollection entries, X509Certificate2 certificate)
    {
        if (entries.Count == 0)
            return new LookupResult(DirectoryOutcome.NotFound, "no entry matches");
        if (entries.Count > 1)
            return new LookupResult(DirectoryOutcome.Ambiguous, $"{entries.Count} entries match");
        var entry = entries[0];
        var values = new List<byte[]>();
        foreach (DirectoryAttribute attribute in entry.Attributes.Values)
        {
            // The server names the attribute as asked ("userCertificate;binary"); accept the bare name too.
            if (!attribute.Name.Equals(CertificateAttribute, StringComparison.OrdinalIgnoreCase) &&
                !attribute.Name.Equals("userCertificate", StringComparison.OrdinalIgnoreCase))
                continue;
            if (values.Count + attribute.Count > _options.MaxCertificateValues)
                return new LookupResult(DirectoryOutcome.Oversized, $"{entry.DistinguishedName} holds more than {_options.MaxCertificateValues} certificates");
            values.AddRange(attribute.GetValues(typeof(byte[])).Cast<byte[]>());
        }
        var presented = certificate.RawData;
        foreach (var value in values)
        {
            if (value.AsSpan().SequenceEqual(presented))
                return new LookupResult(DirectoryOutcome.Listed, entry.DistinguishedName);
        }
        return new LookupResult(DirectoryOutcome.NotListed, $"{entry.DistinguishedName} holds {values.Count} other certificate(s)");
    }

    /// <summary>libldap result codes (RFC 4511 Appendix A; 81+ are client-side codes from OpenLDAP's ldap.h).</summary>
    private static LookupResult Classify(LdapException ex, bool binding)
    {
        var outcome = ex.ErrorCode switch
        {
            48 or 49 or 50 when binding => DirectoryOutcome.BindFailed, // inappropriateAuthentication, invalidCredentials, insufficientAccessRights
            51 or 52 or 81 or 85 or 91 or 112 => DirectoryOutcome.Unreachable, // busy, unavailable, server down, timeout, connect error, send timeout
            _ => DirectoryOutcome.Error,
        };
        return new LookupResult(outcome, $"LDAP error {ex.ErrorCode}: {ex.Message} {ex.ServerErrorMessage}".TrimEnd());
    }

    private static string Name(DirectoryOutcome outcome) => outcome switch
    {
        DirectoryOutcome.Listed => "listed",
        DirectoryOutcome.NotFound => "not_found",
        DirectoryOutcome.NotListed => "not_listed",
        DirectoryOutcome.Ambiguous => "ambiguous",
        DirectoryOutcome.Oversized => "oversized",
        DirectoryOutcome.NoName => "no_name",
        DirectoryOutcome.Unreachable => "unreachable",
        DirectoryOutcome.BindFailed => "bind_failed",
        _ => "error",
    };

    public void Dispose()
    {
        _disposed = true;
        while (_idle.TryTake(out var connection))
            connection.Dispose();
        Meter.Dispose();
    }

    private readonly record struct LookupResult(DirectoryOutcome Outcome, string Detail);

    [LoggerMessage(EventId = 321, Level = LogLevel.Debug, Message = "directory lookup for '{Subject}': {Result} ({Detail})")]
    private static partial void LogLookup(ILogger logger, string subject, string result, string detail);

    [LoggerMessage(EventId = 322, Level = LogLevel.Information, Message = "client certificate '{Subject}' denied by the directory check: {Result} ({Detail})")]
    private static partial void LogDenied(ILogger logger, string subject, string result, string detail);

    [LoggerMessage(EventId = 324, Level = LogLevel.Warning, Message = "directory unreachable, failing closed for '{Subject}': {Detail}")]
    private static partial void LogFailClosed(ILogger logger, string subject, string detail);

    [LoggerMessage(EventId = 325, Level = LogLevel.Error, Message = "directory check failed for '{Subject}' ({Result}), denied: {Detail}")]
    private static partial void LogDirectoryFault(ILogger logger, string subject, string result, string detail);

    [LoggerMessage(EventId = 323, Level = LogLevel.Warning, Message = "directory unreachable, failing open for '{Subject}': {Detail}")]
    private static partial void LogFailOpen(ILogger logger, string subject, string detail);
}
