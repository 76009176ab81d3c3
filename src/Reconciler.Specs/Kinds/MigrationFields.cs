namespace Reconciler.Specs.Kinds;

/// <summary>
/// The <c>spec.migration</c> object of a Domain: how a live migration moves it when spec.node
/// changes. Reconciler-only (not rendered to XML, not compared): changing it changes nothing on
/// the live domain.
/// </summary>
internal static class MigrationFields
{
    private const ulong MiB = 1024 * 1024;

    public static readonly ObjectDef TimeoutDef = new("MigrationTimeout",
        "How long a live migration may take, per GiB of the domain's memory, and what happens then. Reconciler watches the migration while libvirt runs it.",
    [
        new FieldDef("perGiB", FieldType.String, "Time allowed per GiB of `memory` (a whole number with ms, s, m or h); a 4GiB guest with 30s may take 2m.")
        {
            Required = true, Pattern = MigrationTimeout.DurationPattern, Example = "30s", Libvirt = "none (Reconciler watches the job: virDomainGetJobStats)",
        },
        new FieldDef("action", FieldType.Enum,
            "abort: cancel the migration, the guest keeps running on the source and the step fails saying so; " +
            "postcopy: switch to post-copy (the guest runs on the target at once and fetches the rest of its memory; needs postCopy: true); " +
            "pause: pause the guest on the source so that the migration completes (it resumes on the target).")
        {
            Allowed = ["abort", "postcopy", "pause"], Default = "abort", Example = "postcopy", Libvirt = "virDomainAbortJob / virDomainMigrateStartPostCopy / virDomainSuspend",
        },
    ]);

    public static readonly ObjectDef Def = new("Migration",
        "How a running domain is live-migrated when its spec.node changes (a stopped one is always moved by defining it on the target; its disks are not copied, except Reconciler-managed Volumes moved with it, which are downloaded and uploaded). " +
        "Nothing of it is in the domain's definition: changing it changes nothing on the live domain.",
    [
        new FieldDef("storage", FieldType.Enum,
            "shared: the disks are on storage both nodes see (NFS, Ceph, a SAN), only memory and device state move, and libvirt refuses the migration when a disk is not on a shared filesystem; " +
            "copy: the disks are copied to the target while the guest runs — libvirt first creates each image on the target in the storage pool that holds its path (or that a volume disk names), so that pool must exist there. The source's copy is kept. " +
            "A Reconciler-managed Volume moves with the domain when its spec.pool is changed to a pool on the new node in the same edit: Reconciler creates it there (same format and capacity), the migration copies it (copy is required for a running domain), and the source copy then follows the Volume's deletionPolicy (Retain keeps it, Delete deletes it after a successful move).")
        {
            Allowed = ["shared", "copy"], Default = "shared", Example = "copy", Libvirt = "virDomainMigrateToURI3 / virDomainMigrate3 with VIR_MIGRATE_NON_SHARED_DISK for copy",
        },
        new FieldDef("bandwidth", FieldType.Size, "The most the migration may send per second (a size per second, whole MiB).")
        {
            Sizes = new SizeRange(MiB, 1024 * 1024 * MiB, MiB), DefaultText = "unlimited", Example = "200MiB", Libvirt = "VIR_MIGRATE_PARAM_BANDWIDTH (MiB/s)",
        },
        new FieldDef("autoConverge", FieldType.Boolean, "Slow the guest's vCPUs down when its memory changes faster than it is sent, so that the migration finishes.")
        {
            Default = false, Example = "true", Libvirt = "VIR_MIGRATE_AUTO_CONVERGE",
        },
        new FieldDef("postCopy", FieldType.Boolean, "Allow post-copy migration; Reconciler switches to it only on a timeout with action: postcopy.")
        {
            Default = false, Example = "true", Libvirt = "VIR_MIGRATE_POSTCOPY (and virDomainMigrateStartPostCopy)",
        },
        new FieldDef("compressed", FieldType.Boolean, "Compress the memory sent (QEMU's xbzrle cache): less data, more CPU on both nodes.")
        {
            Default = false, Example = "true", Libvirt = "VIR_MIGRATE_COMPRESSED",
        },
        new FieldDef("timeout", FieldType.Object, "A time limit per GiB of memory, and what happens after it.")
        {
            Item = TimeoutDef, DefaultText = "none", Example = "{perGiB: 30s, action: abort}", Libvirt = "virDomainAbortJob / virDomainMigrateStartPostCopy / virDomainSuspend",
        },
        new FieldDef("snapshots", FieldType.Enum,
            "libvirt refuses to migrate a domain that has snapshots. refuse: such a move is a plan error naming them; " +
            "delete: Reconciler's own snapshots (named reconciler-…) are deleted first. Anyone else's snapshots always block the move, by name.")
        {
            Allowed = ["refuse", "delete"], Default = "refuse", Example = "delete", Libvirt = "virDomainSnapshotDelete",
        },
    ]);

    public static readonly FieldDef Migration = new("migration", FieldType.Object, "How a live migration moves the domain when spec.node changes: storage, bandwidth, convergence, timeout, snapshots.")
    {
        Item = Def, DefaultText = "{storage: shared}", Example = "{storage: copy, bandwidth: 200MiB, autoConverge: true, timeout: {perGiB: 30s, action: abort}}",
        Libvirt = "virDomainMigrateToURI3 / virDomainMigrate3 flags and typed parameters",
    };

    /// <summary>The model of <paramref name="migration"/>; located errors for a perGiB that is not a duration and for action postcopy without postCopy: true.</summary>
    public static MigrationPolicy? Build(ParsedObject? migration, DocumentContext context)
    {
        if (migration is null) return null;
        MigrationTimeout? timeout = null;
        if (migration.Get<ParsedObject>("timeout") is { } t && t.Get<string>("perGiB") is { } perGiB)
        {
            var action = t.Get<string>("action") switch
            {
                "postcopy" => MigrationTimeoutAction.Postcopy,
                "pause" => MigrationTimeoutAction.Pause,
                _ => MigrationTimeoutAction.Abort,
            };
            var where = context.Fields.GetValueOrDefault(t.FieldPath("perGiB"), context.Start);
            if (!MigrationTimeout.TryParseDuration(perGiB, out var span))
            {
                context.Error(DiagnosticCodes.InvalidValue, $"'{perGiB}' is not a duration", where, t.FieldPath("perGiB"),
                    "write a whole number with ms, s, m or h, more than zero and at most a day, e.g. perGiB: 30s");
            }
            else if (action == MigrationTimeoutAction.Postcopy && !migration.Get<bool>("postCopy"))
            {
                context.Error(DiagnosticCodes.ConflictingFields, "timeout action postcopy needs postCopy: true",
                    context.Fields.GetValueOrDefault(t.FieldPath("action"), where), t.FieldPath("action"),
                    "add postCopy: true to spec.migration, or choose action: abort or pause");
            }
            else
            {
                timeout = new MigrationTimeout(span, action);
            }
        }
        return new MigrationPolicy(migration.Get<string>("storage") == "copy" ? MigrationStorage.Copy : MigrationStorage.Shared)
        {
            BandwidthMiBps = migration.Get<ulong?>("bandwidth") is { } bytes ? bytes / MiB : null,
            AutoConverge = migration.Get<bool>("autoConverge"),
            PostCopy = migration.Get<bool>("postCopy"),
            Compressed = migration.Get<bool>("compressed"),
            Timeout = timeout,
            Snapshots = migration.Get<string>("snapshots") == "delete" ? MigrationSnapshots.Delete : MigrationSnapshots.Refuse,
        };
    }
}
