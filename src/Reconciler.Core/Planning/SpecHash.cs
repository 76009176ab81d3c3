using System.Security.Cryptography;
using System.Text;

namespace Reconciler.Core.Planning;

/// <summary>
/// A stable digest of a domain spec's desired fields (not of where it was written), recorded in
/// the owner metadata so status can tell which spec a domain was last applied from.
/// </summary>
public static class SpecHash
{
    /// <summary>Hex SHA-256 over the spec's flattened fields, prefixed <c>sha256:</c>.</summary>
    public static string Compute(Model.DomainSpec spec)
    {
        var text = new StringBuilder();
        foreach (var field in DomainFields.Flatten(spec))
        {
            text.Append(field.Path).Append('=').Append(field.Value).Append('\n');
        }
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }
}
