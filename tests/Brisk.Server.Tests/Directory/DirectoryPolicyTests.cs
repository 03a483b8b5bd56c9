using System.Security.Cryptography.X509Certificates;
using Brisk.Server.ClientDirectory;
using Brisk.Tls;
using Brisk.Tls.Credentials;
using Brisk.Tls.Protocol;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// The policy called directly (no TLS) against the shared slapd: every handshake asks when the cache is off, a
/// lookup shared by concurrent handshakes leaves nothing behind, and the cache answers within its TTL.
/// </summary>
public sealed class DirectoryPolicyTests(SharedDirectory directory) : IClassFixture<SharedDirectory>
{
    private static LdapClientCertificatePolicy Policy(SlapdServer slapd, TimeSpan cacheTtl) => new(new LdapDirectoryOptions
    {
        Server = new Uri(slapd.Url),
        Lookup = new DirectoryLookupTemplate(SlapdServer.People, DirectoryLookupTemplate.DefaultFilter),
        Timeout = TimeSpan.FromSeconds(5),
        CacheTimeToLive = cacheTtl,
    });

    private static ClientIdentity Identity(ClientCertificateFiles files) =>
        ClientCertificateValidator.DescribeIdentity(X509CertificateLoader.LoadCertificate(files.Der));

    [Fact]
    public async Task Without_a_cache_every_check_queries_the_directory()
    {
        if (directory.Slapd is not { } slapd)
            return;
        using var policy = Policy(slapd, TimeSpan.Zero);
        var alice = Identity(directory.Alice);
        for (int i = 1; i <= 30; i++)
        {
            var decision = await policy.CheckAsync(alice, CancellationToken.None);
            Assert.True(decision.IsAllowed, decision.Reason);
            Assert.Equal(i, policy.DirectoryQueries);
            Assert.Equal(0, policy.LookupsInFlight);
        }
    }

    [Fact]
    public async Task Concurrent_checks_share_lookups_and_leave_none_behind()
    {
        if (directory.Slapd is not { } slapd)
            return;
        using var policy = Policy(slapd, TimeSpan.Zero);
        var alice = Identity(directory.Alice);
        var dave = Identity(directory.Dave);
        var checks = Enumerable.Range(0, 32).Select(i => policy.CheckAsync(i % 2 == 0 ? alice : dave, CancellationToken.None).AsTask()).ToArray();
        var decisions = await Task.WhenAll(checks);
        for (int i = 0; i < decisions.Length; i++)
        {
            Assert.True(decisions[i].IsAllowed == (i % 2 == 0), decisions[i].Reason);
            if (i % 2 == 1)
                Assert.True(decisions[i].Alert == AlertDescription.CertificateUnknown, decisions[i].Reason);
        }
        Assert.InRange(policy.DirectoryQueries, 2, 32);
        Assert.Equal(0, policy.LookupsInFlight);
        long before = policy.DirectoryQueries;
        Assert.True((await policy.CheckAsync(alice, CancellationToken.None)).IsAllowed);
        Assert.Equal(before + 1, policy.DirectoryQueries);
    }

    [Fact]
    public async Task With_a_cache_only_the_first_check_queries()
    {
        if (directory.Slapd is not { } slapd)
            return;
        using var policy = Policy(slapd, TimeSpan.FromMinutes(5));
        var alice = Identity(directory.Alice);
        for (int i = 0; i < 10; i++)
            Assert.True((await policy.CheckAsync(alice, CancellationToken.None)).IsAllowed);
        Assert.Equal(1, policy.DirectoryQueries);
        Assert.Equal(9, policy.CacheHits);
        Assert.Equal(1, policy.CacheMisses);
    }
}
