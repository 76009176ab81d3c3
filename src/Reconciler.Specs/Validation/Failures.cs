using FluentValidation;
using FluentValidation.Results;

namespace Reconciler.Specs.Validation;

/// <summary>
/// What a validator attaches to a failure (as <see cref="ValidationFailure.CustomState"/>): a hint, and
/// other manifest paths the rule depends on (a failure is not reported when one of them already had a parse error).
/// </summary>
/// <param name="Hint">What to do about it.</param>
/// <param name="Related">Other fields the rule read.</param>
public sealed record FailureState(string? Hint, IReadOnlyList<string> Related);

internal static class Failures
{
    /// <summary>Adds a failure at a manifest field path (<c>spec.disks[0].path</c>).</summary>
    public static void Add<T>(ValidationContext<T> context, string code, string path, string message, string? hint = null, params string[] related) =>
        context.AddFailure(new ValidationFailure(path, message)
        {
            ErrorCode = code,
            CustomState = new FailureState(hint, related),
        });

    /// <summary>
    /// Checks that <paramref name="mac"/> is a MAC address (six hex pairs) and a unicast one (the first
    /// byte even), adding an <c>invalid-mac</c> failure at <paramref name="path"/> with the hint given
    /// for each otherwise.
    /// </summary>
    /// <returns>True when it is a well-formed unicast address.</returns>
    public static bool CheckMac<T>(ValidationContext<T> context, string path, string mac, string formatHint, string unicastHint)
    {
        if (!Regexes.Mac.IsMatch(mac))
        {
            Add(context, InvalidMac, path, $"'{Printable(mac)}' is not a MAC address", formatHint);
            return false;
        }
        if ((Convert.ToInt32(mac[..2], 16) & 1) == 1)
        {
            Add(context, InvalidMac, path, $"'{mac}' is a multicast address", unicastHint);
            return false;
        }
        return true;
    }

    /// <summary>Checks the name and labels common to every kind.</summary>
    public static void CheckMeta<T>(ResourceMeta meta, ValidationContext<T> context)
    {
        if (!Regexes.Name.IsMatch(meta.Name))
        {
            Add(context, DiagnosticCodes.InvalidName, "metadata.name", $"'{Printable(meta.Name)}' is not a valid name", Patterns.NameHint);
        }
        CheckLabels(meta.Labels, "metadata.labels.", context);
    }

    /// <summary>Checks label keys and values (metadata labels, a placement's node selector); <paramref name="prefix"/> starts each field path.</summary>
    public static void CheckLabels<T>(IReadOnlyDictionary<string, string> labels, string prefix, ValidationContext<T> context)
    {
        foreach (var (key, value) in labels)
        {
            var path = prefix + key;
            if (key.Length > 253 + 1 + 63 || !Regexes.LabelKey.IsMatch(key))
            {
                Add(context, DiagnosticCodes.InvalidLabel, path, $"'{Printable(key)}' is not a valid label key", Patterns.LabelHint);
            }
            else if (!Regexes.LabelValue.IsMatch(value))
            {
                Add(context, DiagnosticCodes.InvalidLabel, path, $"'{Printable(value)}' is not a valid value for label '{key}'", Patterns.LabelHint);
            }
        }
    }

    /// <summary>The value with control characters escaped, shortened for a message.</summary>
    public static string Printable(string value)
    {
        var s = string.Concat(value.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
        return s.Length > 80 ? s[..80] + "…" : s;
    }
}
