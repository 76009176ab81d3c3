using System.Globalization;

namespace Reconciler.Host.Dashboard;

/// <summary>How the dashboard writes times, revisions and sizes (UTC, invariant culture).</summary>
internal static class Fmt
{
    public static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "never";

    public static string Iso(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) : "";

    public static string Revision(string? revision) => revision is null ? "—" : DesiredState.Short(revision);

    public static string Seconds(double seconds) => seconds < 1
        ? (seconds * 1000).ToString("0", CultureInfo.InvariantCulture) + " ms"
        : seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    public static string KiB(ulong? kib) => kib is not { } k ? "—"
        : k >= 1024 * 1024 ? (k / (1024.0 * 1024)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB"
        : (k / 1024.0).ToString("0", CultureInfo.InvariantCulture) + " MiB";

    public static string ResourceLink(ResourceStatus r) =>
        $"/resources/{Uri.EscapeDataString(r.Node)}/{Uri.EscapeDataString(r.Kind)}/{Uri.EscapeDataString(r.Name)}";
}
