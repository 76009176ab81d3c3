using System.Globalization;
using System.Text;

namespace Reconciler.Core.Fields;

/// <summary>
/// libvirt's cpuset syntax (virBitmapParse): comma-separated CPU numbers <c>N</c>, ranges <c>N-M</c>
/// and exclusions <c>^N</c>. libvirt stores a cpuset as a set and writes it back in its own form
/// (<c>0,1</c> becomes <c>0-1</c>), so cpusets compare by their <see cref="Canonical"/> text.
/// </summary>
internal static class CpuSet
{
    /// <summary>The highest CPU number accepted (libvirt's VIR_DOMAIN_CPUMASK_LEN is 8192).</summary>
    public const int MaxCpu = 8191;

    /// <summary>The pattern of the syntax, for the schema and the reference (ranges and emptiness are checked by <see cref="TryParse"/>).</summary>
    public const string Pattern = "^\\s*\\^?[0-9]+(\\s*-\\s*[0-9]+)?(\\s*,\\s*\\^?[0-9]+(\\s*-\\s*[0-9]+)?)*\\s*$";

    public const string Hint = "a cpuset is CPU numbers and ranges separated by commas, with ^N to exclude one, e.g. \"0-3,^2\" or \"4,6\"";

    /// <summary>The CPUs of <paramref name="text"/>, or false with the reason.</summary>
    public static bool TryParse(string text, out SortedSet<int> cpus, out string error)
    {
        cpus = [];
        error = "";
        var excluded = new HashSet<int>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var exclude = part.StartsWith('^');
            if (exclude) part = part[1..].Trim();
            var dash = part.IndexOf('-', StringComparison.Ordinal);
            if (!Number(dash < 0 ? part : part[..dash], out var first) || (dash >= 0 && (exclude || !Number(part[(dash + 1)..], out _))))
            {
                error = $"'{raw.Trim()}' is not a CPU number or range";
                return false;
            }
            var last = first;
            if (dash >= 0) Number(part[(dash + 1)..], out last);
            if (first > MaxCpu || last > MaxCpu)
            {
                error = $"CPU numbers go up to {MaxCpu}";
                return false;
            }
            if (last < first)
            {
                error = $"the range {first}-{last} runs backwards";
                return false;
            }
            for (var cpu = first; cpu <= last; cpu++)
            {
                if (exclude) excluded.Add(cpu);
                else cpus.Add(cpu);
            }
        }
        cpus.ExceptWith(excluded);
        if (cpus.Count == 0)
        {
            error = "the cpuset names no CPU";
            return false;
        }
        return true;
    }

    /// <summary>libvirt's form of a set: ascending, runs of two or more as <c>a-b</c> (<c>0-1,4</c>).</summary>
    public static string Format(IEnumerable<int> cpus)
    {
        var sorted = cpus.Distinct().Order().ToList();
        var text = new StringBuilder();
        for (var i = 0; i < sorted.Count; i++)
        {
            var start = sorted[i];
            while (i + 1 < sorted.Count && sorted[i + 1] == sorted[i] + 1) i++;
            if (text.Length > 0) text.Append(',');
            text.Append(start.ToString(CultureInfo.InvariantCulture));
            if (sorted[i] != start) text.Append('-').Append(sorted[i].ToString(CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }

    /// <summary>The canonical text of a cpuset; text that is not one is returned trimmed (the validator reports it).</summary>
    public static string Canonical(string text) => TryParse(text, out var cpus, out _) ? Format(cpus) : text.Trim();

    private static bool Number(string text, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
