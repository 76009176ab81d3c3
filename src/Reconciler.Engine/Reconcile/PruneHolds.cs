using System.Globalization;

namespace Reconciler.Engine.Reconcile;

/// <summary>
/// The source in force has not been unchanged long enough for removals: every removal of the pass
/// is <see cref="ResourceOutcome.PrunePending"/> until <paramref name="DueAt"/>, when a fresh read of
/// the source that still lacks the resource lets it go. Creates and updates are not affected.
/// </summary>
/// <param name="DueAt">When the removals are due if the source stays as it is; null when that is not known yet (the newest revision is rejected).</param>
/// <param name="Why">Why they wait, e.g. <c>the spec directory changed 1.2s ago; removals wait until it has been unchanged for 5s</c>.</param>
public sealed record PruneSettle(DateTimeOffset? DueAt, string Why)
{
    /// <summary>The status message of a pending removal of <paramref name="what"/>.</summary>
    public string Message(string what) => DueAt is { } due
        ? string.Create(CultureInfo.InvariantCulture, $"prune pending until {due:yyyy-MM-ddTHH:mm:ss.fffZ}: {Why}; then, if a fresh read still lacks it: {what}")
        : $"prune pending: {Why}; then: {what}";
}

/// <summary>The message of a domain removal held by <see cref="PruneGuard"/>.</summary>
internal static class MassPruneText
{
    public static string Message(HeldPrune held) => string.Create(CultureInfo.InvariantCulture,
        $"mass removal held: revision {held.Revision} would remove {held.Count} of the {held.Owned} domains owned on node {held.Node}; "
        + $"if intended, approve it with `reconcile approve-prune {held.Revision}`, else put the specs back");
}
