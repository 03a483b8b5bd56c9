using System.Runtime.InteropServices;

namespace Brisk.Crypto.Native;

internal static partial class LibCrypto
{
    /// <summary>Whether libcrypto.so.3 can be used in this process (nested to stay clear of other areas' names).</summary>
    internal static partial class Probe
    {
        [LibraryImport(Library)] private static partial nuint OpenSSL_version_num();

        private static readonly Lazy<bool> s_available = new(ProbeLibrary);

        /// <summary>True when libcrypto.so.3 loads and reports OpenSSL ≥ 3.0. Never throws.</summary>
        internal static bool IsAvailable => s_available.Value;

        private static bool ProbeLibrary()
        {
            try
            {
                if (!NativeLibrary.TryLoad(Library, typeof(LibCrypto).Assembly, null, out _))
                    return false;
                // 0xMNN00PP0L: major version in the top nibble.
                return (OpenSSL_version_num() >> 28) >= 3;
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
            {
                return false;
            }
        }
    }
}
