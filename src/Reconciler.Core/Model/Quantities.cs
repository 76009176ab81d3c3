using System.Globalization;

namespace Reconciler.Core.Model;

/// <summary>
/// Byte sizes as users write them (<c>512MiB</c>, <c>1GiB</c>, <c>2GB</c>). A bare number is not a size:
/// the unit is always explicit so that <c>1024</c> never silently means KiB or bytes.
/// </summary>
public static class ByteSize
{
    private static readonly (string Suffix, ulong Factor)[] Units =
    [
        ("KiB", 1UL << 10), ("MiB", 1UL << 20), ("GiB", 1UL << 30), ("TiB", 1UL << 40),
        ("KB", 1_000UL), ("MB", 1_000_000UL), ("GB", 1_000_000_000UL), ("TB", 1_000_000_000_000UL),
        ("B", 1UL),
    ];

    /// <summary>The accepted unit suffixes, for hints and the schema.</summary>
    public const string AcceptedUnits = "B, KiB, MiB, GiB, TiB, KB, MB, GB, TB";

    /// <summary>Parses <paramref name="text"/> into bytes; false (with a reason) when it is not a size.</summary>
    public static bool TryParse(string? text, out ulong bytes, out string? error)
    {
        bytes = 0;
        error = null;
        var s = text?.Trim() ?? "";
        if (s.Length == 0) { error = "a size is required"; return false; }
        foreach (var (suffix, factor) in Units)
        {
            if (!s.EndsWith(suffix, StringComparison.Ordinal)) continue;
            var number = s[..^suffix.Length].Trim();
            if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
            {
                error = $"'{number}' is not a non-negative number";
                return false;
            }
            if (value > (ulong.MaxValue / 2) / factor) { error = "the size is too large"; return false; }
            var total = value * factor;
            if (decimal.Truncate(total) != total) { error = "the size is not a whole number of bytes"; return false; }
            bytes = (ulong)total;
            return true;
        }
        error = decimal.TryParse(s, NumberStyles.Number, CultureInfo.InvariantCulture, out _)
            ? $"'{s}' has no unit"
            : $"'{s}' is not a size";
        return false;
    }

    /// <summary>The shortest exact binary form: <c>1GiB</c>, <c>1536MiB</c>, <c>100B</c>.</summary>
    public static string Format(ulong bytes)
    {
        if (bytes == 0) return "0B";
        foreach (var (suffix, factor) in new[] { ("TiB", 1UL << 40), ("GiB", 1UL << 30), ("MiB", 1UL << 20), ("KiB", 1UL << 10) })
        {
            if (bytes % factor == 0) return (bytes / factor).ToString(CultureInfo.InvariantCulture) + suffix;
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + "B";
    }
}
