using System.Security.Cryptography;

namespace Brisk.Crypto.Rsa;

/// <summary>
/// An RSA private key as the engines need it: the CRT parameters, big-endian, unsigned, each padded to
/// its natural length (<see cref="ModulusLength"/> for N and D, half of it for the CRT values), as
/// <see cref="RSAParameters"/> gives them. Immutable; engines may attach precomputed state keyed by
/// this instance (for example Montgomery constants) through <see cref="EngineState"/>.
/// </summary>
public sealed class RsaPrivateKey
{
    public RsaPrivateKey(RSAParameters parameters)
    {
        if (parameters.Modulus is null || parameters.Exponent is null || parameters.D is null ||
            parameters.P is null || parameters.Q is null || parameters.DP is null || parameters.DQ is null ||
            parameters.InverseQ is null)
            throw new ArgumentException("An RSA private key needs all CRT parameters.", nameof(parameters));
        Parameters = parameters;
    }

    public RSAParameters Parameters { get; }

    public int ModulusLength => Parameters.Modulus!.Length;

    public int ModulusBits => ModulusLength * 8;

    public ReadOnlySpan<byte> Modulus => Parameters.Modulus;

    public ReadOnlySpan<byte> PublicExponent => Parameters.Exponent;

    /// <summary>Per-engine cached state (Montgomery constants, native handles). Engines key it by their name.</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, object> EngineState { get; } = new();

    public static RsaPrivateKey FromRsa(RSA rsa) => new(rsa.ExportParameters(includePrivateParameters: true));
}
