namespace Brisk.Crypto.Tests;

public sealed unsafe class SecretMemoryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(32)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(240)]
    [InlineData(768)]
    [InlineData(SecretMemory.MaxBlockLength)]
    public void A_rented_block_is_zeroed_exactly_as_long_as_asked_and_aligned_to_a_cache_line(int length)
    {
        var block = SecretMemory.Rent(length);
        try
        {
            Assert.Equal(length, block.Span.Length);
            Assert.True(block.Span.IndexOfAnyExcept((byte)0) < 0);
            Assert.Equal(0, (long)block.Pointer % 64);
            block.Span.Fill(0xA5);
        }
        finally
        {
            SecretMemory.Return(ref block);
        }
    }

    [Fact]
    public void Return_erases_the_whole_block_and_empties_the_owners_field()
    {
        var block = SecretMemory.Rent(100); // the 128-byte class
        byte* pointer = block.Pointer;
        new Span<byte>(pointer, 128).Fill(0x5A);
        SecretMemory.Return(ref block);
        Assert.True(block.IsEmpty);
        Assert.Equal(0, block.Span.Length);
        // The slab stays mapped (it is never freed), so the erased bytes can be checked in place.
        Assert.True(new ReadOnlySpan<byte>(pointer, 128).IndexOfAnyExcept((byte)0) < 0);
        SecretMemory.Return(ref block); // a second return of the emptied field does nothing
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(SecretMemory.MaxBlockLength + 1)]
    public void Lengths_out_of_range_are_refused(int length)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => SecretMemory.Rent(length));
    }

    [Fact]
    public void Blocks_rented_at_the_same_time_never_overlap_even_across_threads()
    {
        const int Threads = 4, Rounds = 2000;
        int failures = 0;
        Parallel.For(0, Threads, thread =>
        {
            var held = new SecretBlock[8];
            for (int round = 0; round < Rounds; round++)
            {
                int slot = round % held.Length;
                if (!held[slot].IsEmpty)
                {
                    // Still carrying this owner's pattern: nobody else was given the block meanwhile.
                    byte expected = (byte)(thread * 31 + slot + 1);
                    if (held[slot].Span.IndexOfAnyExcept(expected) >= 0)
                        Interlocked.Increment(ref failures);
                    SecretMemory.Return(ref held[slot]);
                }
                held[slot] = SecretMemory.Rent(16 + (round * 37 % 1000));
                held[slot].Span.Fill((byte)(thread * 31 + slot + 1));
            }
            for (int slot = 0; slot < held.Length; slot++)
                SecretMemory.Return(ref held[slot]);
        });
        Assert.Equal(0, failures);
    }
}
