using System.Numerics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Brisk.Crypto;

/// <summary>
/// Pooled, fixed-address memory for short-lived secrets: a handshake's key schedule, record keys with their
/// expanded round keys, ephemeral private keys.
/// <para>
/// Why not a pinned array per secret, as before: a secret must not move (a compacting GC would leave a copy
/// behind that nobody erases), but every pinned array lives on the pinned-object heap, which only a gen2
/// collection reclaims; at thousands of handshakes per second those few kilobytes per handshake set off
/// several full collections a second. The blocks here are carved from native slabs that are never freed, so
/// they never move and cost the GC nothing.
/// </para>
/// <para>
/// Ownership: whoever calls <see cref="Rent"/> owns the block and must give it back with
/// <see cref="Return"/>, normally from its Dispose; <see cref="Return"/> erases the block and resets the
/// owner's field to the empty block, so a second Return is harmless and a use after it sees an empty span
/// instead of memory that may already belong to another connection. A block never returned is not reused
/// (its bytes stay until the process ends): the tests count outstanding blocks across whole handshakes.
/// </para>
/// </summary>
public static unsafe class SecretMemory
{
    /// <summary>The largest block; bigger secrets (RSA keys, per-key tables) keep their own pinned arrays.</summary>
    public const int MaxBlockLength = 1024;

    private const int MinBlockShift = 6; // 64-byte blocks: one cache line, so no block shares a line with another owner
    private const int ClassCount = 5;    // 64, 128, 256, 512, 1024
    private const int SlabBytes = 16 * 1024;

    private static readonly SizeClass[] Classes = CreateClasses();
    private static long s_outstanding;

    /// <summary>Blocks rented and not yet returned, process-wide (for leak tests and diagnostics).</summary>
    public static long OutstandingBlocks => Volatile.Read(ref s_outstanding);

    /// <summary>A zeroed block of at least <paramref name="length"/> bytes (1 to <see cref="MaxBlockLength"/>); its span is exactly <paramref name="length"/> long.</summary>
    public static SecretBlock Rent(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, MaxBlockLength);
        int index = ClassIndex(length);
        byte* block = Classes[index].Take();
        Interlocked.Increment(ref s_outstanding);
        return new SecretBlock(block, length, (byte)index);
    }

    /// <summary>Erases the block, gives it back and sets <paramref name="block"/> to the empty block. The empty block is ignored.</summary>
    public static void Return(ref SecretBlock block)
    {
        var returned = block;
        block = default;
        if (returned.Pointer == null)
            return;
        var size = Classes[returned.ClassIndex];
        CryptographicOperations.ZeroMemory(new Span<byte>(returned.Pointer, size.BlockLength));
        size.Give(returned.Pointer);
        Interlocked.Decrement(ref s_outstanding);
    }

    private static int ClassIndex(int length) =>
        length <= 1 << MinBlockShift ? 0 : BitOperations.Log2((uint)(length - 1)) + 1 - MinBlockShift;

    private static SizeClass[] CreateClasses()
    {
        var classes = new SizeClass[ClassCount];
        for (int i = 0; i < ClassCount; i++)
            classes[i] = new SizeClass(1 << (MinBlockShift + i));
        return classes;
    }

    /// <summary>One block size: a stack of free blocks, refilled a slab at a time.</summary>
    private sealed class SizeClass(int blockLength)
    {
        private readonly Lock _lock = new();
        private nint[] _free = new nint[SlabBytes / blockLength];
        private int _count;

        public int BlockLength { get; } = blockLength;

        public byte* Take()
        {
            lock (_lock)
            {
                if (_count == 0)
                    AddSlab();
                return (byte*)_free[--_count];
            }
        }

        public void Give(byte* block)
        {
            lock (_lock)
            {
                if (_count == _free.Length)
                    Array.Resize(ref _free, _free.Length * 2);
                _free[_count++] = (nint)block;
            }
        }

        private void AddSlab()
        {
            // Never freed: blocks of a returned slab could still be referenced by a stale (already emptied) owner
            // copy, and the pool only grows to the peak number of live secrets.
            byte* slab = (byte*)NativeMemory.AlignedAlloc(SlabBytes, 64);
            NativeMemory.Clear(slab, SlabBytes);
            int blocks = SlabBytes / BlockLength;
            if (_free.Length < _count + blocks)
                Array.Resize(ref _free, Math.Max(_free.Length * 2, _count + blocks));
            for (int i = blocks - 1; i >= 0; i--)
                _free[_count++] = (nint)(slab + i * BlockLength);
        }
    }
}

/// <summary>
/// A block from <see cref="SecretMemory"/>: fixed address, <see cref="Length"/> usable bytes. A plain value:
/// the owner keeps it in a field and hands that field to <see cref="SecretMemory.Return"/>.
/// </summary>
public readonly unsafe struct SecretBlock
{
    internal SecretBlock(byte* pointer, int length, byte classIndex)
    {
        Pointer = pointer;
        Length = length;
        ClassIndex = classIndex;
    }

    /// <summary>The block's first byte (null for the empty block). Fixed for the block's life: no pinning needed.</summary>
    public byte* Pointer { get; }

    public int Length { get; }

    internal byte ClassIndex { get; }

    public bool IsEmpty => Pointer == null;

    /// <summary>The block's bytes; empty once returned (through the field that was returned).</summary>
    public Span<byte> Span => new(Pointer, Length);
}
