using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.InteropServices;
using Brisk.Server.Transport;

namespace Brisk.Server.Tests;

public sealed class PinnedBlockMemoryPoolTests
{
    [Fact]
    public void Blocks_are_4_KiB_on_the_pinned_heap_and_a_returned_block_is_reused()
    {
        var pool = new PinnedBlockMemoryPool();
        var first = pool.Rent();
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, first.Memory.Length);
        Assert.True(MemoryMarshal.TryGetArray<byte>(first.Memory, out var segment));
        Assert.Equal(0, GC.GetGeneration(segment.Array!) - GC.MaxGeneration); // pinned-object heap reports the oldest generation
        first.Memory.Span.Fill(7);
        first.Dispose();
        first.Dispose(); // a second dispose must not queue the block twice

        var held = Enumerable.Range(0, 64).Select(_ => pool.Rent()).ToList();
        // 64 blocks held at once, each distinct, and the returned one among them exactly once.
        Assert.Equal(64, held.Select(b => MemoryMarshal.TryGetArray<byte>(b.Memory, out var s) ? (s.Array, s.Offset) : default).Distinct().Count());
        Assert.Equal(2, pool.Slabs); // 32 blocks per slab
        foreach (var block in held)
            block.Dispose();
        for (int i = 0; i < 64; i++)
            pool.Rent();
        Assert.Equal(2, pool.Slabs); // everything came back: no new slab
    }

    [Fact]
    public void A_request_larger_than_a_block_is_refused_so_the_pipe_goes_elsewhere()
    {
        var pool = new PinnedBlockMemoryPool();
        Assert.Throws<ArgumentOutOfRangeException>(() => pool.Rent(PinnedBlockMemoryPool.BlockSize + 1));
        Assert.Equal(PinnedBlockMemoryPool.BlockSize, pool.MaxBufferSize);
    }

    [Fact]
    public async Task A_pipe_on_the_pool_carries_data_larger_than_a_block_and_gives_its_blocks_back()
    {
        var pool = new PinnedBlockMemoryPool();
        var pipe = new Pipe(new PipeOptions(pool: pool, minimumSegmentSize: PinnedBlockMemoryPool.BlockSize, useSynchronizationContext: false));
        var data = Enumerable.Range(0, 3 * PinnedBlockMemoryPool.BlockSize + 123).Select(i => (byte)i).ToArray();
        for (int round = 0; round < 20; round++)
        {
            await pipe.Writer.WriteAsync(data);
            var result = await pipe.Reader.ReadAtLeastAsync(data.Length);
            Assert.Equal(data, result.Buffer.ToArray());
            pipe.Reader.AdvanceTo(result.Buffer.End);
        }
        await pipe.Writer.CompleteAsync();
        await pipe.Reader.CompleteAsync();
        Assert.Equal(1, pool.Slabs); // a handful of blocks, reused every round
    }
}
