using System.Globalization;
using System.Text.RegularExpressions;

namespace Reconciler.Core.Model;

/// <summary>Where a domain's disks are during a live migration.</summary>
public enum MigrationStorage
{
    /// <summary>On storage both nodes see (NFS, Ceph, a SAN): only memory and device state move.</summary>
    Shared,

    /// <summary>
    /// On each node's own storage: the disks are copied to the target while the guest runs
    /// (<c>VIR_MIGRATE_NON_SHARED_DISK</c>); libvirt creates each image on the target first, in the
    /// target's storage pool that holds its path (or names it, for volume disks).
    /// </summary>
    Copy,
}

/// <summary>What Reconciler does when a live migration outlasts its timeout.</summary>
public enum MigrationTimeoutAction
{
    /// <summary>Cancel the migration (<c>virDomainAbortJob</c>): the guest keeps running on the source and the step fails saying so.</summary>
    Abort,

    /// <summary>Switch to post-copy (<c>virDomainMigrateStartPostCopy</c>): the guest runs on the target at once and fetches the rest of its memory from the source. Needs <c>postCopy: true</c>.</summary>
    Postcopy,

    /// <summary>Pause the guest on the source (<c>virDomainSuspend</c>) so that its memory stops changing and the migration completes; it resumes on the target.</summary>
    Pause,
}

/// <summary>What a move does about a domain's snapshots, which libvirt refuses to migrate.</summary>
public enum MigrationSnapshots
{
    /// <summary>A domain with any snapshot is not moved: the plan has an error naming them.</summary>
    Refuse,

    /// <summary>Reconciler's own snapshots (name prefix <see cref="MigrationPolicy.OwnSnapshotPrefix"/>) are deleted first; anyone else's still block the move.</summary>
    Delete,
}

/// <summary>The timeout of a live migration: <paramref name="PerGiB"/> for each GiB of the guest's memory, then <paramref name="Action"/>.</summary>
/// <param name="PerGiB">Time allowed per GiB of memory (the domain's <c>memory</c>).</param>
/// <param name="Action">What happens when the time is up.</param>
public sealed partial record MigrationTimeout(TimeSpan PerGiB, MigrationTimeoutAction Action = MigrationTimeoutAction.Abort)
{
    /// <summary>The time a guest of <paramref name="memoryBytes"/> may take (at least one millisecond).</summary>
    public TimeSpan For(ulong memoryBytes) =>
        TimeSpan.FromMilliseconds(Math.Max(1, PerGiB.TotalMilliseconds * memoryBytes / (1024.0 * 1024 * 1024)));

    /// <summary>A duration as written in a spec: a whole number followed by ms, s, m or h (<c>30s</c>, <c>2m</c>).</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = default;
        var m = DurationRegex().Match(text ?? "");
        if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n)) return false;
        var ms = m.Groups[2].Value switch { "ms" => n, "s" => n * 1000, "m" => n * 60_000, _ => n * 3_600_000 };
        if (ms <= 0 || ms > TimeSpan.FromDays(1).TotalMilliseconds) return false;
        value = TimeSpan.FromMilliseconds(ms);
        return true;
    }

    /// <summary>The shortest spelling of <paramref name="value"/> in the spec's units (<c>30s</c>, <c>1500ms</c>, <c>2m</c>).</summary>
    public static string FormatDuration(TimeSpan value)
    {
        var ms = (long)value.TotalMilliseconds;
        if (ms % 3_600_000 == 0) return $"{ms / 3_600_000}h";
        if (ms % 60_000 == 0) return $"{ms / 60_000}m";
        return ms % 1000 == 0 ? $"{ms / 1000}s" : $"{ms}ms";
    }

    /// <summary>The pattern of a duration (for the JSON Schema).</summary>
    public const string DurationPattern = "^[0-9]{1,9}(ms|s|m|h)$";

    [GeneratedRegex("^([0-9]{1,9})(ms|s|m|h)$")]
    private static partial Regex DurationRegex();
}

/// <summary>
/// How a running domain is moved when its spec's node changes. Reconciler-only: nothing of it is in
/// the domain's definition, so changing it changes nothing on the live domain (disruption none, no diff).
/// </summary>
/// <param name="Storage">Shared or copied storage.</param>
public sealed record MigrationPolicy(MigrationStorage Storage = MigrationStorage.Shared)
{
    /// <summary>The policy of a domain that gives none: shared storage, libvirt's defaults otherwise.</summary>
    public static MigrationPolicy Default { get; } = new();

    /// <summary>The name prefix of the snapshots Reconciler makes (and may delete); anyone else's are a user's.</summary>
    public const string OwnSnapshotPrefix = "reconciler-";

    /// <summary>The bandwidth limit in MiB/s (<c>VIR_MIGRATE_PARAM_BANDWIDTH</c>); null: libvirt's default (unlimited).</summary>
    public ulong? BandwidthMiBps { get; init; }

    /// <summary>Throttle the guest's vCPUs when memory does not converge (<c>VIR_MIGRATE_AUTO_CONVERGE</c>).</summary>
    public bool AutoConverge { get; init; }

    /// <summary>Allow switching to post-copy (<c>VIR_MIGRATE_POSTCOPY</c>); only the timeout's postcopy action switches.</summary>
    public bool PostCopy { get; init; }

    /// <summary>Compress the memory stream (<c>VIR_MIGRATE_COMPRESSED</c>).</summary>
    public bool Compressed { get; init; }

    /// <summary>The timeout, or null for none (the migration runs until libvirt finishes or fails it).</summary>
    public MigrationTimeout? Timeout { get; init; }

    /// <summary>Whether Reconciler's own snapshots may be deleted so that the domain can move.</summary>
    public MigrationSnapshots Snapshots { get; init; }

    /// <summary>True for a snapshot Reconciler made (its name has <see cref="OwnSnapshotPrefix"/>).</summary>
    public static bool IsOwnSnapshot(string name) => name.StartsWith(OwnSnapshotPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The policy as the plan line of a live move shows it: <c>shared, 200 MiB/s, auto-converge,
    /// timeout 30s/GiB → abort</c> (storage always; the rest only when set).
    /// </summary>
    public string Describe()
    {
        var parts = new List<string> { Storage == MigrationStorage.Copy ? "copy" : "shared" };
        if (BandwidthMiBps is { } bw) parts.Add($"{bw} MiB/s");
        if (AutoConverge) parts.Add("auto-converge");
        if (PostCopy) parts.Add("post-copy allowed");
        if (Compressed) parts.Add("compressed");
        if (Timeout is { } t) parts.Add($"timeout {MigrationTimeout.FormatDuration(t.PerGiB)}/GiB → {t.Action.ToString().ToLowerInvariant()}");
        return string.Join(", ", parts);
    }
}
