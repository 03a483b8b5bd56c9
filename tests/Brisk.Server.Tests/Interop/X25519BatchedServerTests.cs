using Brisk.Crypto.KeyExchange;
using Brisk.Server.Tests.Backends;
using Brisk.Server.Tests.Infrastructure;

namespace Brisk.Server.Tests.Interop;

/// <summary>
/// The server derives X25519 secrets through <see cref="IEphemeralKey.DeriveSharedSecretAsync"/>: with the
/// native provider and an IFMA CPU they go through the batcher (8-lane kernel, or the scalar kernel for a
/// lone request). Concurrent OpenSSL handshakes of both versions must all succeed, and the start-up log
/// names the derivation path (EventId 490).
/// </summary>
public sealed class X25519BatchedServerTests
{
    [Fact]
    public async Task OpenSsl_concurrent_x25519_handshakes_go_through_the_batcher()
    {
        if (!ExternalTool.Require("openssl"))
            return;
        var logs = new CapturingLoggerProvider();
        await using var server = await ServerFixture.StartAsync(loggerFactory: logs.CreateFactory());
        var native = server.Configuration.Tls.KeyExchange as NativeKeyExchangeProvider;
        if (native is not null)
            Assert.Same(NativeKeyExchangeProvider.Batched, native);
        if (native is not null)
            Assert.True(logs.Contains("490 x25519 derivation: "), string.Join("\n", logs.Lines));

        long before = X25519Metrics.LaneDerivations + X25519Metrics.ScalarDerivations;
        const int Handshakes = 12;
        var runs = Enumerable.Range(0, Handshakes)
            .Select(i => OpenSslClient.RunAsync(server, i % 2 == 0 ? "-tls1_3" : "-tls1_2", "-groups", "X25519"))
            .ToArray();
        foreach (var result in await Task.WhenAll(runs))
        {
            Assert.Contains("Server Temp Key: X25519", result.StandardOutput);
            Assert.Contains("HTTP/1.1 200 OK", result.StandardOutput);
        }
        if (native is { BatchesDerivations: true })
            Assert.True(X25519Metrics.LaneDerivations + X25519Metrics.ScalarDerivations - before >= Handshakes,
                "the server's derivations did not go through the batcher");
    }

    [Theory]
    [InlineData("on")]
    [InlineData("off")]
    public async Task X25519Batch_option_selects_the_batched_or_the_plain_native_provider(string setting)
    {
        await using var server = await ServerFixture.StartAsync(o => o.X25519Batch = setting);
        if (server.Configuration.Tls.KeyExchange is not NativeKeyExchangeProvider native)
            return; // libcrypto: nothing to batch
        Assert.Same(setting == "on" ? NativeKeyExchangeProvider.Batched : NativeKeyExchangeProvider.Instance, native);
        if (setting == "off")
            Assert.False(native.BatchesDerivations);
    }
}
