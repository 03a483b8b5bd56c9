using System.Security.Cryptography;
using Brisk.Crypto.Native;

namespace Brisk.Crypto.Hashing;

/// <summary>
/// A running SHA-256/SHA-384 computation whose whole state lives inline in this struct: copying the
/// struct forks the hash (the basis of <see cref="TranscriptHash"/> and of HMAC). Backed by libcrypto's
/// SHA2 block functions. Not thread-safe; callers own their instance.
/// </summary>
internal unsafe struct Sha2State
{
    private Sha2ContextBuffer _context;
    private HashKind _kind;

    public readonly HashKind Kind => _kind;

    public void Initialize(HashKind kind)
    {
        _kind = kind;
        fixed (void* ctx = &_context)
        {
            int ok = kind == HashKind.Sha256 ? LibCrypto.Digest.SHA256_Init(ctx) : LibCrypto.Digest.SHA384_Init(ctx);
            if (ok != 1)
                throw new CryptographicException("libcrypto: SHA-2 init failed.");
        }
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        fixed (void* ctx = &_context)
        fixed (byte* p = data)
        {
            // SHA*_Update cannot fail for a valid context; its result is ignored like OpenSSL's own callers do.
            bool isShort = data.Length <= LibCrypto.Digest.ShortInput;
            if (_kind == HashKind.Sha256)
            {
                if (isShort)
                    LibCrypto.Digest.SHA256_UpdateShort(ctx, p, (nuint)data.Length);
                else
                    LibCrypto.Digest.SHA256_Update(ctx, p, (nuint)data.Length);
            }
            else if (isShort)
                LibCrypto.Digest.SHA384_UpdateShort(ctx, p, (nuint)data.Length);
            else
                LibCrypto.Digest.SHA384_Update(ctx, p, (nuint)data.Length);
        }
    }

    /// <summary>Writes the digest and leaves this state finalized (reinitialize before reuse).</summary>
    public void Finish(Span<byte> destination)
    {
        int length = _kind.HashLength();
        if (destination.Length < length)
            throw new ArgumentException($"The destination needs {length} bytes.", nameof(destination));
        fixed (void* ctx = &_context)
        fixed (byte* output = destination)
        {
            if (_kind == HashKind.Sha256)
                LibCrypto.Digest.SHA256_Final(output, ctx);
            else
                LibCrypto.Digest.SHA384_Final(output, ctx);
        }
    }

    /// <summary>Erases the state (it holds key-derived pads when used inside HMAC).</summary>
    public void Clear()
    {
        fixed (void* ctx = &_context)
            CryptographicOperations.ZeroMemory(new Span<byte>(ctx, LibCrypto.Digest.ContextSize));
    }
}
