namespace Reconciler.Specs.Kinds;

/// <summary>
/// The <c>spec.snapshots</c> object of a Domain: snapshots as declared policy (a schedule, the kind,
/// the guest-agent freeze). Never rendered to XML and never compared: changing it disturbs nothing
/// (disruption class none); the controller reads it when it decides whether a snapshot is due.
/// </summary>
internal static class SnapshotFields
{
    private const string ScheduleHint = "e.g. schedule: \"Mon-Fri 02:00\", \"Sat,Sun 03:30\", \"02:00,14:00\" (UTC) or \"every 6h\"";

    public static readonly ObjectDef Def = new("Snapshots",
        "Snapshots Reconciler takes on a schedule (`reconcile run`), by hand (`reconcile snapshot NAME DIR`) and before updates (snapshotBeforeUpdate). " +
        "They are named reconciler-YYYYMMDDTHHMMSSZ (a -2, -3… suffix when several fall in one second), record who made them (schedule, update or hand) in their description, " +
        "and are pruned to spec.snapshotsToKeep; snapshots anyone else made are never touched. Changing this object disturbs nothing (disruption class none).",
    [
        new FieldDef("schedule", FieldType.String,
            "When the controller takes one, in UTC: optional days (Mon…Sun, comma-separated or a range such as Mon-Fri) then one or more times HH:MM; " +
            "or `every Nh` / `every Nm` (at multiples of the interval from midnight UTC; at least 5m). A slot missed while the controller was down is made up once when it runs again (not once per missed slot): " +
            "the newest scheduled snapshot on the node says when the last one was taken.")
        {
            DefaultText = "none (no scheduled snapshots)", Example = "\"Mon-Fri 02:00\"", Libvirt = "virDomainSnapshotCreateXML, when due",
        },
        new FieldDef("kind", FieldType.Enum,
            "internal: inside each qcow2 image, memory included (the guest pauses while its memory is written; every disk must be qcow2; `reconcile rollback` restores it). " +
            "external: disk-only — a qcow2 overlay is put beside each writable file disk (named <disk>.<snapshot>) and the guest writes into it from then on; no memory is saved and the guest does not pause beyond the freeze. Pruning one merges its overlays back into the files below (block commit) while the domain runs; a stopped domain keeps it until it runs, and a failed merge leaves the chain usable and is retried. `reconcile rollback` cannot restore an external snapshot on libvirt 9.0 and refuses. Volume, block and network disks cannot have overlays: such a domain needs kind: internal.")
        {
            Allowed = ["internal", "external"], Default = "internal", Example = "internal", Libvirt = "virDomainSnapshotCreateXML (internal: no flags; external: VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)",
        },
        new FieldDef("quiesce", FieldType.Boolean,
            "Freeze the guest's filesystems through the QEMU guest agent (fsfreeze) for the moment of the snapshot, so that they are consistent; needs qemu-ga in the guest and spec.devices.agentChannel.")
        {
            Default = false, Example = "true", Libvirt = "virDomainFSFreeze / virDomainFSThaw around the snapshot",
        },
        new FieldDef("onQuiesceFailure", FieldType.Enum,
            "With quiesce: true, when the guest agent does not answer or cannot freeze: skip takes no snapshot this time (recorded as failed, in status and metrics); " +
            "proceed takes it unfrozen (crash-consistent) and says so in its description.")
        {
            Allowed = ["skip", "proceed"], Default = "skip", Example = "proceed", Libvirt = "none (Reconciler only)",
        },
    ]);

    public static readonly FieldDef Snapshots = new("snapshots", FieldType.Object, "Scheduled, consistent snapshots of the domain (see also snapshotsToKeep).")
    {
        Item = Def, DefaultText = "{kind: internal, quiesce: false} (no schedule)", Example = "{schedule: \"Mon-Fri 02:00\", kind: internal, quiesce: true}", Libvirt = "virDomainSnapshotCreateXML",
    };

    /// <summary>The model of <paramref name="snapshots"/>; null when it is absent. A bad schedule is a located error.</summary>
    public static SnapshotPolicy? Build(ParsedObject? snapshots, DocumentContext context)
    {
        if (snapshots is null) return null;
        var where = context.Fields.GetValueOrDefault(snapshots.Path, context.Start);
        var schedule = snapshots.Get<string>("schedule");
        if (schedule is not null && !SnapshotSchedule.TryParse(schedule, out _, out var why))
        {
            var path = snapshots.FieldPath("schedule");
            context.Error(DiagnosticCodes.InvalidValue, $"'{schedule}' is not a schedule: {why}", context.Fields.GetValueOrDefault(path, where), path, ScheduleHint);
        }
        var kind = snapshots.Get<string>("kind") == "external" ? SnapshotKind.External : SnapshotKind.Internal;
        return new SnapshotPolicy(
            schedule,
            kind,
            snapshots.Get<bool>("quiesce"),
            snapshots.Get<string>("onQuiesceFailure") == "proceed" ? QuiesceFailure.Proceed : QuiesceFailure.Skip);
    }
}
