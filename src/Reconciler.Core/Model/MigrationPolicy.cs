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

/// <summary>How a running domain is moved when its spec's node changes.</summary>
/// <param name="Storage">Shared or copied storage.</param>
public sealed record MigrationPolicy(MigrationStorage Storage = MigrationStorage.Shared)
{
    /// <summary>The policy of a domain that gives none: shared storage.</summary>
    public static MigrationPolicy Default { get; } = new();
}
