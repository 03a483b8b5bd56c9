using static Brisk.Server.Tests.ClientDirectory.DirectoryEndToEndTests;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// ldaps:// to a slapd with its own test CA: with --client-directory-ca-dir naming that CA the lookup works; without
/// it (libldap's default trust does not know the CA) the directory is unusable and the server fails closed.
/// </summary>
public sealed class DirectoryLdapsTests
{
    [Fact]
    public async Task Ldaps_with_the_directory_ca_admits_and_without_it_fails_closed()
    {
        await using var slapd = await SlapdServer.StartAsync(ldaps: true);
        if (slapd is null)
            return;
        var client = DirectoryPki.Instance.Client("ldaps-client", "ldaps client");
        await slapd.AddPersonAsync("uid=ldaps", "ldaps client", null, client.Der);

        await using (var trusting = await StartServerAsync(slapd, o =>
        {
            o.ClientDirectory = slapd.LdapsUrl;
            o.ClientDirectoryCaDir = slapd.CaDirectory;
        }))
        {
            using var metrics = new DirectoryMetrics(Policy(trusting).Meter);
            AssertAdmitted(await ConnectAsync(trusting, "-tls1_3", client), "-tls1_3");
            Assert.Equal(1, metrics.Count("brisk.directory.lookups", "result=listed"));
        }

        await using var untrusting = await StartServerAsync(slapd, o => o.ClientDirectory = slapd.LdapsUrl);
        using var untrustingMetrics = new DirectoryMetrics(Policy(untrusting).Meter);
        AssertRefused(await ConnectAsync(untrusting, "-tls1_3", client), "internal error");
        // libldap reports the failed certificate verification as "can't contact LDAP server" (81): unreachable.
        Assert.Equal(1, untrustingMetrics.Count("brisk.directory.lookups", "result=unreachable"));
    }
}
