using System.Buffers;
using System.Numerics;

namespace Brisk.Server.ProxyProtocol;

/// <summary>
/// CRC32c of a v2 header (proxy-protocol.txt §2.2.3): the Castagnoli CRC of RFC 4960 Appendix B (reflected
/// polynomial 0x82F63B78, initial value and final XOR 0xFFFFFFFF) over the whole header with the checksum's
/// own four bytes counted as zeros, sent in network byte order. BitOperations.Crc32C is the raw update step
/// (SSE4.2's crc32 instruction where available).
/// </summary>
public static class ProxyCrc32c
{
    /// <summary>The CRC of <paramref name="data"/>, with the 4 bytes at <paramref name="zeroedOffset"/> taken as zeros (-1: none).</summary>
    public static uint Compute(ReadOnlySequence<byte> data, long zeroedOffset = -1)
    {
        uint crc = 0xFFFFFFFF;
        long position = 0;
        foreach (var segment in data)
        {
            foreach (byte b in segment.Span)
            {
                bool zeroed = position >= zeroedOffset && position < zeroedOffset + 4 && zeroedOffset >= 0;
                crc = BitOperations.Crc32C(crc, zeroed ? (byte)0 : b);
                position++;
            }
        }
        return ~crc;
    }

    public static uint Compute(ReadOnlySpan<byte> data, int zeroedOffset = -1)
    {
        uint crc = 0xFFFFFFFF;
        for (int i = 0; i < data.Length; i++)
        {
            bool zeroed = zeroedOffset >= 0 && i >= zeroedOffset && i < zeroedOffset + 4;
            crc = BitOperations.Crc32C(crc, zeroed ? (byte)0 : data[i]);
        }
        return ~crc;
    }
}
