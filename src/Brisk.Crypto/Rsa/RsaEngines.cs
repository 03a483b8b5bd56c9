namespace Brisk.Crypto.Rsa;

/// <summary>
/// Engine selection by name for the server options (<c>system</c>, <c>multibuffer</c>, <c>native</c>,
/// <c>fiat</c>). Returns null when the engine cannot run here (CPU features, missing native library);
/// the caller then falls back to <see cref="SystemRsaEngine"/>.
/// </summary>
public static class RsaEngines
{
    public static IReadOnlyList<string> Names { get; } = ["system", MultiBufferRsaEngine.EngineName, NativeRsaEngine.EngineName, FiatRsaEngine.EngineName];

    /// <param name="name">Engine name.</param>
    /// <param name="options">Batching policy (e.g. <c>rsa-batch-wait</c> → <see cref="RsaBatchOptions.MaxWait"/>).</param>
    /// <param name="fiatBatchSize">Keys combined per Fiat root (2–8; Shacham–Boneh use 4).</param>
    public static IRsaEngine? Create(string name, RsaBatchOptions? options = null, int fiatBatchSize = 4) => name switch
    {
        "system" => SystemRsaEngine.Instance,
        MultiBufferRsaEngine.EngineName => MultiBufferRsaEngine.Create(options),
        NativeRsaEngine.EngineName => NativeRsaEngine.Create(options),
        FiatRsaEngine.EngineName => FiatRsaEngine.Create(fiatBatchSize, options),
        _ => throw new ArgumentException($"Unknown RSA engine '{name}'; known: {string.Join(", ", Names)}.", nameof(name)),
    };
}
