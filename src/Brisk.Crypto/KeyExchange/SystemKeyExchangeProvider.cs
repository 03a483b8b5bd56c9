using System.Security.Cryptography;

namespace Brisk.Crypto.KeyExchange;

/// <summary>
/// ECDHE on secp256r1/secp384r1 through .NET's <see cref="ECDiffieHellman"/>: the baseline the libcrypto
/// provider is measured against. .NET has no X25519, so that group is reported unsupported.
/// </summary>
public sealed class SystemKeyExchangeProvider : IKeyExchangeProvider
{
    public static readonly SystemKeyExchangeProvider Instance = new();

    public string Name => "system";

    public bool IsSupported(NamedGroup group) => group is NamedGroup.Secp256r1 or NamedGroup.Secp384r1;

    public IEphemeralKey Generate(NamedGroup group)
    {
        if (!IsSupported(group))
            throw new NotSupportedException($"System key exchange does not support {group}.");
        return new SystemKey(group);
    }

    private static ECCurve CurveOf(NamedGroup group) =>
        group == NamedGroup.Secp256r1 ? ECCurve.NamedCurves.nistP256 : ECCurve.NamedCurves.nistP384;

    private sealed class SystemKey : IEphemeralKey
    {
        private readonly ECDiffieHellman _key;
        private readonly byte[] _publicKey;

        public SystemKey(NamedGroup group)
        {
            Group = group;
            _key = ECDiffieHellman.Create(CurveOf(group));
            ECParameters parameters = _key.ExportParameters(includePrivateParameters: false);
            int coordinateLength = (group.PublicKeyLength() - 1) / 2;
            _publicKey = new byte[group.PublicKeyLength()];
            _publicKey[0] = 0x04;
            parameters.Q.X.AsSpan().CopyTo(_publicKey.AsSpan(1, coordinateLength));
            parameters.Q.Y.AsSpan().CopyTo(_publicKey.AsSpan(1 + coordinateLength, coordinateLength));
        }

        public NamedGroup Group { get; }

        public ReadOnlySpan<byte> PublicKey => _publicKey;

        public bool TryDeriveSharedSecret(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
        {
            int coordinateLength = (Group.PublicKeyLength() - 1) / 2;
            int secretLength = Group.SharedSecretLength();
            // RFC 8422 §5.11 / RFC 8446 §4.2.8.2: uncompressed points only.
            if (peerPublicKey.Length != Group.PublicKeyLength() || peerPublicKey[0] != 0x04 || sharedSecret.Length < secretLength)
                return false;
            try
            {
                var parameters = new ECParameters
                {
                    Curve = CurveOf(Group),
                    Q = new ECPoint
                    {
                        X = peerPublicKey.Slice(1, coordinateLength).ToArray(),
                        Y = peerPublicKey.Slice(1 + coordinateLength, coordinateLength).ToArray(),
                    },
                };
                // ImportParameters validates that the point is on the curve.
                using var peer = ECDiffieHellman.Create(parameters);
                byte[] secret = _key.DeriveRawSecretAgreement(peer.PublicKey);
                try
                {
                    if (secret.Length != secretLength)
                        return false;
                    secret.CopyTo(sharedSecret);
                    return true;
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(secret);
                }
            }
            catch (CryptographicException)
            {
                sharedSecret[..secretLength].Clear();
                return false;
            }
        }

        public void Dispose() => _key.Dispose();
    }
}
