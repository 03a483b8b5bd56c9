using System.Buffers;

namespace Brisk.Tls.Codec;

/// <summary>
/// The array pool for buffers a connection holds across an await: the handshake reassembler and transcript
/// (for the whole handshake) and a flight being built (while its signature is computed, possibly in a batch).
/// <see cref="ArrayPool{T}.Shared"/> caches only a few dozen arrays per size and core, fine for a rent and return
/// on one thread, but with dozens of handshakes in flight most of these rentals missed it and allocated (measured
/// with the runtime's allocation counter). This pool keeps up to <see cref="ArraysPerSize"/> arrays of each size.
/// </summary>
internal static class TlsBuffers
{
    public const int ArraysPerSize = 1024;

    /// <summary>Arrays up to 64 KiB are pooled; a larger request is allocated and dropped on return.</summary>
    public static ArrayPool<byte> Pool { get; } = ArrayPool<byte>.Create(maxArrayLength: 64 * 1024, maxArraysPerBucket: ArraysPerSize);
}
