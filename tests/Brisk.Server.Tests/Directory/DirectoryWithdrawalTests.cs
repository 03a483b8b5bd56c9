using Brisk.Server.Tests.Interop;
using static Brisk.Server.Tests.ClientDirectory.DirectoryEndToEndTests;

namespace Brisk.Server.Tests.ClientDirectory;

/// <summary>
/// Withdrawing a certificate from its entry (ldapmodify) takes effect for new handshakes and for resumptions of
/// sessions made while it was listed: the policy is asked again when a session with a client certificate resumes.
/// Own slapd (the test modifies the directory); no cache, so the change is seen at once.
/// </summary>
public sealed class DirectoryWithdrawalTests
{
    [Theory]
    [InlineData("-tls1_2", "TLSv1.2")]
    [InlineData("-tls1_3", "TLSv1.3")]
    public async Task Withdrawn_certificate_is_refused_also_when_resuming(string version, string versionName)
    {
        await using var slapd = await SlapdServer.StartAsync();
        if (slapd is null)
            return;
        var client = DirectoryPki.Instance.Client("withdrawn", "withdrawn");
        await slapd.AddPersonAsync("uid=withdrawn", "withdrawn", null, client.Der);
        await using var server = await StartServerAsync(slapd, o => o.ClientDirectoryCacheTtl = "0");
        var session = Path.Combine(slapd.WorkDirectory, "session.pem");
        var arguments = new[] { version, "-cert", client.Cert, "-key", client.Key };

        AssertAdmitted(await OpenSslClient.RunAsync(server, [.. arguments, "-sess_out", session]), version);
        var resumed = await OpenSslClient.RunAsync(server, [.. arguments, "-sess_in", session]);
        Assert.True(resumed.StandardOutput.Contains($"Reused, {versionName}"), resumed.ToString());
        AssertAdmitted(resumed, version);

        await slapd.ModifyAsync($"""
            dn: uid=withdrawn,{SlapdServer.People}
            changetype: modify
            delete: userCertificate;binary
            """);
        AssertRefused(await OpenSslClient.RunAsync(server, [.. arguments, "-sess_in", session]), "certificate unknown");
        AssertRefused(await OpenSslClient.RunAsync(server, arguments), "certificate unknown");
    }
}
