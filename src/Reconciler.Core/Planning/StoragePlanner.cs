using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Plans the storage of one node, as part of <see cref="Planner.Compute"/>: its pools, then its
/// volumes, then its cloud-init seeds (each step reads the pools the one before froze). Pure, like
/// the planner. Ownership of pools and volumes comes from each pool's ledger
/// (<see cref="StorageLedger"/>); see specs/storage.md.
/// </summary>
public static class StoragePlanner
{
    /// <summary>Runs the pool, volume and seed steps on a node whose domain references are resolved.</summary>
    internal static void Plan(NodeResources node)
    {
        new PoolPlanner(node).Plan();
        new VolumePlanner(node).Plan();
        new SeedPlanner(node).Plan();
    }

    /// <summary>True when a live domain's persistent or running definition uses the volume (by pool/name or by path).</summary>
    internal static bool Uses(LiveDomain domain, string pool, string volume, string? path)
    {
        static bool In(DomainSpec? spec, string pool, string volume, string? path) =>
            spec is not null && spec.Disks.Any(d =>
                (d.Volume == volume && d.Pool == pool) || (path is not null && d.Path == path));
        return In(domain.Config, pool, volume, path) || In(domain.Running, pool, volume, path);
    }

    /// <summary>The size libvirt reports for a requested capacity (qemu-img rounds up to 512-byte sectors).</summary>
    public static ulong RoundedSize(ulong bytes) => (bytes + 511) / 512 * 512;

    /// <summary>
    /// The size a pool of type <paramref name="poolType"/> (libvirt's spelling) makes of a requested
    /// capacity: whole 4MiB LVM extents in a logical pool (the default extent size), else 512-byte sectors.
    /// </summary>
    public static ulong RoundedSize(ulong bytes, string? poolType) =>
        poolType == "logical" ? (bytes + (4UL << 20) - 1) / (4UL << 20) * (4UL << 20) : RoundedSize(bytes);
}
