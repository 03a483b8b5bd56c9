using System.Runtime.InteropServices;

namespace Brisk.Crypto.Native;

/// <summary>
/// Direct calls into the system libcrypto (OpenSSL 3). .NET's own wrappers add 1–4 µs of fixed cost per
/// call and have no X25519; handshake primitives call libcrypto directly instead. The declarations are
/// split by area into partial files (LibCrypto.Ec.cs, LibCrypto.Rsa.cs, …).
/// </summary>
internal static partial class LibCrypto
{
    internal const string Library = "libcrypto.so.3";
}
