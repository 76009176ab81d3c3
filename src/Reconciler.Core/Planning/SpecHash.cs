using System.Security.Cryptography;
using System.Text;

namespace Reconciler.Core.Planning;

/// <summary>
/// A stable digest of a domain spec's desired fields (not of where it was written), recorded in
/// the owner metadata so status can tell which spec a domain was last applied from.
/// </summary>
public static class SpecHash
{
    /// <summary>
    /// The digests already computed, by spec record: a spec is immutable, so its digest never
    /// changes, and the controller hashes the same records (kept by the spec file cache) on every pass.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Model.DomainSpec, string> Computed = new();

    /// <summary>Hex SHA-256 over the spec's flattened fields, prefixed <c>sha256:</c>.</summary>
    public static string Compute(Model.DomainSpec spec) => Computed.GetValue(spec, Digest);

    private static string Digest(Model.DomainSpec spec)
    {
        var text = new StringBuilder();
        foreach (var field in DomainFields.Flatten(spec))
        {
            text.Append(field.Path).Append('=').Append(field.Value).Append('\n');
        }
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
