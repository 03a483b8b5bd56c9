namespace Brisk.Server.ClientDirectory;

/// <summary>What one directory lookup found; the metric tag "result" is the snake_case name.</summary>
public enum DirectoryOutcome
{
    /// <summary>One entry, and the presented certificate is byte-for-byte one of its userCertificate;binary values.</summary>
    Listed,
    /// <summary>No entry matches.</summary>
    NotFound,
    /// <summary>The entry exists but does not hold this certificate.</summary>
    NotListed,
    /// <summary>More than one entry matched (the size limit was hit): no single user to check against.</summary>
    Ambiguous,
    /// <summary>The entry holds more certificate values than allowed.</summary>
    Oversized,
    /// <summary>The certificate lacks the name the lookup template needs (e.g. no e-mail SAN).</summary>
    NoName,
    /// <summary>The directory could not be reached or did not answer within the timeout.</summary>
    Unreachable,
    /// <summary>The directory refused our bind (wrong DN or password): a configuration fault.</summary>
    BindFailed,
    /// <summary>Any other directory error.</summary>
    Error,
}
