using Brisk.Crypto.Aead;

namespace Brisk.Crypto.Tests.Aead;

/// <summary>Theory data: every managed path this CPU supports, crossed with the algorithms.</summary>
public static class AeadTestPaths
{
    public static readonly AeadAlgorithm[] Algorithms = [AeadAlgorithm.Aes128Gcm, AeadAlgorithm.Aes256Gcm, AeadAlgorithm.ChaCha20Poly1305];

    public static TheoryData<string> Paths()
    {
        var data = new TheoryData<string>();
        foreach (var path in ManagedAeadProvider.SupportedPaths)
            data.Add(ManagedAeadProvider.PathToName(path));
        return data;
    }

    public static TheoryData<string, AeadAlgorithm> PathsAndAlgorithms()
    {
        var data = new TheoryData<string, AeadAlgorithm>();
        foreach (var path in ManagedAeadProvider.SupportedPaths)
            foreach (var algorithm in Algorithms)
                data.Add(ManagedAeadProvider.PathToName(path), algorithm);
        return data;
    }

    public static ManagedAeadProvider Provider(string pathName)
    {
        Assert.True(ManagedAeadProvider.TryParsePath(pathName, out var path), pathName);
        return ManagedAeadProvider.Create(path);
    }
}
