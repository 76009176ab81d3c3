using Reconciler.Core.Model;
using Reconciler.Core.Fields;
using Reconciler.Specs.Parsing;

namespace Reconciler.Specs.Kinds;

/// <summary>The <c>spec.migration</c> object of a Domain: how a live migration moves it when spec.node changes.</summary>
internal static class MigrationFields
{
    public static readonly ObjectDef Def = new("Migration",
        "How a running domain is live-migrated when its spec.node changes (a stopped one is always moved by defining it on the target; its disks are not copied, except Reconciler-managed Volumes moved with it, which are downloaded and uploaded).",
    [
        new FieldDef("storage", FieldType.Enum,
            "shared: the disks are on storage both nodes see (NFS, Ceph, a SAN), only memory and device state move, and libvirt refuses the migration when a disk is not on a shared filesystem; " +
            "copy: the disks are copied to the target while the guest runs — libvirt first creates each image on the target in the storage pool that holds its path (or that a volume disk names), so that pool must exist there. The source's copy is kept. " +
            "A Reconciler-managed Volume moves with the domain when its spec.pool is changed to a pool on the new node in the same edit: Reconciler creates it there (same format and capacity), the migration copies it (copy is required for a running domain), and the source copy then follows the Volume's deletionPolicy (Retain keeps it, Delete deletes it after a successful move).")
        {
            Allowed = ["shared", "copy"], Default = "shared", Example = "copy", Libvirt = "virDomainMigrateToURI3 / virDomainMigrate3 with VIR_MIGRATE_NON_SHARED_DISK for copy",
        },
    ]);

    public static readonly FieldDef Migration = new("migration", FieldType.Object, "How a live migration treats the disks when spec.node changes.")
    {
        Item = Def, DefaultText = "{storage: shared}", Example = "{storage: copy}", Libvirt = "virDomainMigrateToURI3 / virDomainMigrate3 flags",
    };

    public static MigrationPolicy? Build(ParsedObject? migration) =>
        migration is null ? null : new MigrationPolicy(migration.Get<string>("storage") == "copy" ? MigrationStorage.Copy : MigrationStorage.Shared);
}
