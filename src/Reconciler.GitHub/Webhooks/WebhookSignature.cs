using System.Security.Cryptography;
using System.Text;

namespace Reconciler.GitHub.Webhooks;

/// <summary>What the <c>X-Hub-Signature-256</c> check found.</summary>
public enum SignatureCheck
{
    /// <summary>The HMAC matches.</summary>
    Valid,
    /// <summary>No <c>X-Hub-Signature-256</c> header.</summary>
    Missing,
    /// <summary>The header is not <c>sha256=</c> and 64 hex digits.</summary>
    Malformed,
    /// <summary>Well formed, wrong value.</summary>
    Mismatch,
}

/// <summary>
/// GitHub's webhook signature: <c>X-Hub-Signature-256: sha256=HEX(HMAC-SHA256(secret, body))</c>,
/// computed over the raw body bytes and compared in constant time.
/// </summary>
public static class WebhookSignature
{
    /// <summary>The header GitHub signs with.</summary>
    public const string Header = "X-Hub-Signature-256";

    private const string Prefix = "sha256=";

    /// <summary>The header value GitHub would send for <paramref name="body"/>.</summary>
    public static string Sign(ReadOnlySpan<byte> body, string secret) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    /// <summary>Checks <paramref name="header"/> against <paramref name="body"/>.</summary>
    public static SignatureCheck Verify(string? header, ReadOnlySpan<byte> body, string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        if (string.IsNullOrWhiteSpace(header)) return SignatureCheck.Missing;
        var value = header.Trim();
        if (!value.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || value.Length != Prefix.Length + 64) return SignatureCheck.Malformed;
        Span<byte> given = stackalloc byte[32];
        if (Convert.FromHexString(value.AsSpan(Prefix.Length), given, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
        {
            return SignatureCheck.Malformed;
        }
        Span<byte> expected = stackalloc byte[32];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given) ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }
}
