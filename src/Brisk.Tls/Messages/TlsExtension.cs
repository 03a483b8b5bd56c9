using System.Runtime.CompilerServices;
using Brisk.Tls.Codec;
using Brisk.Tls.Protocol;

namespace Brisk.Tls.Messages;

/// <summary>
/// One extension as it appeared on the wire. <see cref="Data"/> is a slice of the parsed message's own copy
/// of its body (see <c>EncodedBody</c> on the message), so it stays valid after the input buffer is reused.
/// </summary>
public readonly record struct TlsExtension(ExtensionType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>Writes extension_type and reserves the uint16 extension_data length; close with <see cref="TlsWriter.EndVector"/>.</summary>
    public static int Begin(TlsWriter writer, ExtensionType type)
    {
        writer.WriteUInt16((ushort)type);
        return writer.BeginVector(2);
    }

    /// <summary>Writes an extension whose extension_data is empty (extended_master_secret, early_data, ...).</summary>
    public static void WriteEmpty(TlsWriter writer, ExtensionType type)
    {
        writer.WriteUInt16((ushort)type);
        writer.WriteUInt16(0);
    }
}

/// <summary>
/// Detects a repeated extension type. RFC 8446 §4.2: "There MUST NOT be more than one extension of the
/// same type in a given extension block"; RFC 5246 §7.4.1.4 says the same. Violations are illegal_parameter.
/// Types below 64 (all the common ones) live in a bit mask; the rest (GREASE, renegotiation_info, private
/// types) in a small inline list, then a HashSet, so a hostile list of thousands of types stays linear.
/// </summary>
internal struct ExtensionTypeSet
{
    private ulong _lowTypes;
    private HighTypes _high;
    private int _highCount;
    private HashSet<ushort>? _overflow;

    public void Add(ExtensionType type)
    {
        ushort value = (ushort)type;
        if (value < 64)
        {
            ulong bit = 1UL << value;
            if ((_lowTypes & bit) != 0)
            {
                ThrowDuplicate(type);
            }

            _lowTypes |= bit;
            return;
        }

        if (_overflow is not null)
        {
            if (!_overflow.Add(value))
            {
                ThrowDuplicate(type);
            }

            return;
        }

        for (int i = 0; i < _highCount; i++)
        {
            if (_high[i] == value)
            {
                ThrowDuplicate(type);
            }
        }

        if (_highCount < HighTypes.Capacity)
        {
            _high[_highCount++] = value;
            return;
        }

        _overflow = new HashSet<ushort>(HighTypes.Capacity * 2) { value };
        for (int i = 0; i < _highCount; i++)
        {
            _overflow.Add(_high[i]);
        }
    }

    private static void ThrowDuplicate(ExtensionType type) =>
        TlsProtocolException.ThrowIllegalParameter($"duplicate extension {type} ({(ushort)type})");

    [InlineArray(Capacity)]
    private struct HighTypes
    {
        public const int Capacity = 8;
        private ushort _element;
    }
}
