using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Brisk.Crypto.Native;

internal static partial class LibCrypto
{
    /// <summary>
    /// SHA-256/SHA-384 through libcrypto's low-level SHA2 functions on a caller-owned context.
    /// </summary>
    /// <remarks>
    /// These (deprecated in OpenSSL 3, exported by every libcrypto.so.3) run the same assembly block
    /// functions as the EVP digests but with no EVP_MD_CTX allocation and no provider dispatch, and their
    /// context is a plain struct (SHA256_CTX 112 bytes, SHA512_CTX 216 bytes, fixed by the 3.x ABI) that
    /// can be copied with memcpy: exactly what a running TLS transcript hash needs. Measured on this
    /// machine (64-byte input): SHA-256 ~0.1–0.2 µs vs ~0.47 µs for SHA256.HashData; see
    /// docs/performance-platform.md. Calls that touch at most <see cref="ShortInput"/> bytes suppress the
    /// GC transition (they run well under a microsecond and never call back into managed code).
    /// </remarks>
    internal static unsafe partial class Digest
    {
        /// <summary>Bytes of state reserved for either context (≥ sizeof(SHA512_CTX) = 216).</summary>
        internal const int ContextSize = 224;

        /// <summary>Longest update that may run without a GC transition (well under 1 µs even for SHA-384 without SHA extensions).</summary>
        internal const int ShortInput = 512;

        [LibraryImport(Library), SuppressGCTransition] internal static partial int SHA256_Init(void* ctx);
        [LibraryImport(Library), SuppressGCTransition] internal static partial int SHA256_Final(byte* digest, void* ctx);
        [LibraryImport(Library)] internal static partial int SHA256_Update(void* ctx, byte* data, nuint length);
        [LibraryImport(Library, EntryPoint = "SHA256_Update"), SuppressGCTransition] internal static partial int SHA256_UpdateShort(void* ctx, byte* data, nuint length);

        [LibraryImport(Library), SuppressGCTransition] internal static partial int SHA384_Init(void* ctx);
        [LibraryImport(Library), SuppressGCTransition] internal static partial int SHA384_Final(byte* digest, void* ctx);
        [LibraryImport(Library)] internal static partial int SHA384_Update(void* ctx, byte* data, nuint length);
        [LibraryImport(Library, EntryPoint = "SHA384_Update"), SuppressGCTransition] internal static partial int SHA384_UpdateShort(void* ctx, byte* data, nuint length);
    }
}

/// <summary>Inline storage for a SHA256_CTX or SHA512_CTX (8-byte aligned, 224 bytes).</summary>
[InlineArray(LibCrypto.Digest.ContextSize / sizeof(ulong))]
internal struct Sha2ContextBuffer
{
    private ulong _element0;
}
