namespace Brisk.Crypto.Rsa;

/// <summary>
/// Computes raw private results for up to <see cref="Lanes"/> requests at once (possibly for different
/// keys of the same modulus length). Blinding and verification are the kernel's job: it must set
/// <see cref="RsaBatchItem.Verified"/> only for results that passed the public-key check. Used by
/// <see cref="BatchingRsaEngine"/>; one kernel instance is called from many threads at once.
/// </summary>
internal interface IRsaBatchKernel
{
    string Name { get; }

    int Lanes { get; }

    /// <summary>Below this many pending requests the batcher uses its fallback engine (unless configured otherwise).</summary>
    int DefaultMinimumBatch => Math.Max(1, Lanes / 2);

    bool Supports(RsaPrivateKey key);

    /// <summary>Requests whose groups are equal may share a batch (same modulus length, or same modulus for Fiat).</summary>
    object GroupOf(RsaPrivateKey key);

    /// <summary>Requests in one call share <see cref="RsaPrivateKey.ModulusLength"/> (the batcher groups them).</summary>
    void Compute(ReadOnlySpan<RsaBatchItem> items);
}

/// <summary>One request as the kernel sees it. Buffers are owned by the caller of PrivateAsync.</summary>
internal sealed class RsaBatchItem
{
    public RsaBatchItem(RsaPrivateKey key, ReadOnlyMemory<byte> input, Memory<byte> output)
    {
        Key = key;
        Input = input;
        Output = output;
    }

    public RsaPrivateKey Key { get; }
    public ReadOnlyMemory<byte> Input { get; }
    public Memory<byte> Output { get; }

    /// <summary>Set by the kernel when Output holds a result that passed verification.</summary>
    public bool Verified { get; set; }

    /// <summary>Test hook: the kernel corrupts this item's result before verifying it.</summary>
    internal bool InjectFault { get; set; }
}
