using System.Runtime.Intrinsics;
using Brisk.Crypto.Rsa.MultiBuffer;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// The managed multi-buffer engine ("multibuffer"): 8 requests per batch with AVX-512F, 4 with AVX2, each
/// lane a full blinded, verified RSA-CRT operation (see <see cref="MultiBufferKernel{TVec,TOps}"/>).
/// </summary>
public static class MultiBufferRsaEngine
{
    public const string EngineName = "multibuffer";

    public static bool IsSupported => Avx512Lanes.IsSupported || Avx2Lanes.IsSupported;

    /// <summary>The engine, or null when the CPU has neither AVX-512F nor AVX2 (the server then falls back to system).</summary>
    public static BatchingRsaEngine? Create(RsaBatchOptions? options = null, IRsaEngine? fallback = null, bool preferAvx2 = false)
    {
        IRsaBatchKernel? kernel = Avx512Lanes.IsSupported && !preferAvx2
            ? new MultiBufferKernel<Vector512<ulong>, Avx512Lanes>(EngineName)
            : Avx2Lanes.IsSupported ? new MultiBufferKernel<Vector256<ulong>, Avx2Lanes>(EngineName) : null;
        return kernel is null ? null : new BatchingRsaEngine(kernel, fallback ?? SystemRsaEngine.Instance, options);
    }
}
