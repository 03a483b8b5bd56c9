using Brisk.Server.Hosting;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests;

/// <summary>The resumption options: flags, configuration keys, defaults and their validation.</summary>
public sealed class ResumptionOptionsTests
{
    private static BriskServerOptions Options(Action<BriskServerOptions>? configure = null)
    {
        var pki = TestCertificates.Instance;
        var options = new BriskServerOptions
        {
            Certificates = [new CertificateFiles { Cert = pki.ServerEcdsaCert, Key = pki.ServerEcdsaKey }],
        };
        configure?.Invoke(options);
        return options;
    }

    [Fact]
    public void Flags_map_to_configuration_keys()
    {
        Assert.True(CommandLine.TryParse(["--tickets", "off", "--ticket-key-file", "/etc/brisk/tickets.keys", "--session-cache-size", "5"],
            out var settings, out var error, out _), error);
        Assert.Equal("off", settings["Tickets"]);
        Assert.Equal("/etc/brisk/tickets.keys", settings["TicketKeyFile"]);
        Assert.Equal("5", settings["SessionCacheSize"]);
    }

    [Fact]
    public void Defaults_turn_tickets_and_the_session_cache_on()
    {
        var tls = ServerConfiguration.Build(Options()).Tls;
        Assert.NotNull(tls.TicketKeys);
        Assert.Null(tls.TicketKeys.KeyFile);
        Assert.Equal(20000, tls.SessionCache!.Capacity);
        Assert.Equal(2, tls.Tls13TicketCount);
        Assert.Equal(TimeSpan.FromHours(1), tls.TicketLifetime);
        Assert.False(tls.AllowPskWithoutKeyExchange);
    }

    [Fact]
    public void Tickets_and_cache_can_be_turned_off_and_tuned()
    {
        var tls = ServerConfiguration.Build(Options(o =>
        {
            o.Tickets = "off";
            o.SessionCacheSize = 0;
            o.TicketCount = 0;
            o.TicketLifetime = "2h";
            o.AllowPskKe = true;
        })).Tls;
        Assert.Null(tls.TicketKeys);
        Assert.Null(tls.SessionCache);
        Assert.Equal(0, tls.Tls13TicketCount);
        Assert.Equal(TimeSpan.FromHours(2), tls.TicketLifetime);
        Assert.True(tls.AllowPskWithoutKeyExchange);
    }

    [Theory]
    [InlineData("Tickets", "Tickets: 'maybe' is not on or off")]
    [InlineData("TicketKeyFile", "TicketKeyFile: ")]
    [InlineData("TicketKeyFileWithTicketsOff", "TicketKeyFile: set, but Tickets is off")]
    [InlineData("SessionCacheSize", "SessionCacheSize: must be 0 (off) or positive")]
    [InlineData("TicketCount", "TicketCount: must be between 0 and 10")]
    [InlineData("TicketLifetime", "TicketLifetime: at most 7 days")]
    public void Bad_values_are_refused_with_the_key_named(string what, string expected)
    {
        var options = Options(o =>
        {
            switch (what)
            {
                case "Tickets": o.Tickets = "maybe"; break;
                case "TicketKeyFile": o.TicketKeyFile = "/nonexistent/brisk.keys"; break;
                case "TicketKeyFileWithTicketsOff": o.TicketKeyFile = "/nonexistent/brisk.keys"; o.Tickets = "off"; break;
                case "SessionCacheSize": o.SessionCacheSize = -1; break;
                case "TicketCount": o.TicketCount = 11; break;
                case "TicketLifetime": o.TicketLifetime = "192h"; break;
            }
        });
        var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(options));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Malformed_key_file_is_refused_at_start()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "0011\n");
            var error = Assert.Throws<ConfigurationException>(() => ServerConfiguration.Build(Options(o => o.TicketKeyFile = path)));
            Assert.StartsWith("TicketKeyFile: ", error.Message);
            Assert.Contains(":1: a ticket key is 48 bytes", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
