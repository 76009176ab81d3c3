using Reconciler.Core.Diagnostics;

namespace Reconciler.Specs.Validation;

/// <summary>
/// Rules that tie volumes to the type of their pool (when the pool's spec is in the set) and pools
/// of one node to each other: no volumes in an iscsi pool (libvirt cannot create LUNs), only raw
/// volumes in logical and rbd pools, logical volume sizes in whole LVM extents (else the node
/// rounds them up and the plan would never settle), and a block device or volume group used by one
/// logical pool only.
/// </summary>
internal static class PoolTypeChecks
{
    public static void Check(IReadOnlyList<StoragePoolSpec> pools, IReadOnlyList<VolumeSpec> volumes, List<Diagnostic> diagnostics)
    {
        var byName = pools.GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var v in volumes)
        {
            if (!byName.TryGetValue(v.Pool, out var pool)) continue;
            var type = PoolTypes.Xml(pool.Type);
            if (!PoolTypes.HoldsVolumes(pool.Type))
            {
                diagnostics.Add(Diagnostic.Error(ConflictingFields,
                    $"volume '{v.Name}' is in pool '{pool.Name}' (at {pool.Meta.Origin.Location}), an iscsi pool: its volumes are the target's LUNs, which libvirt cannot create",
                    v.Meta.Origin.Find("spec.pool"), "spec.pool", "attach the LUN to a domain as a disk, or put the volume in a dir, logical, netfs or rbd pool"));
                continue;
            }
            if (v.Format == VolumeFormat.Qcow2 && !PoolTypes.HoldsQcow2(pool.Type))
            {
                diagnostics.Add(Diagnostic.Error(ConflictingFields,
                    $"volume '{v.Name}' is qcow2, but its pool '{pool.Name}' is a {type} pool whose volumes hold raw data",
                    v.Meta.Origin.Find(v.Meta.Origin.Fields.ContainsKey("spec.format") ? "spec.format" : "metadata.name"), "spec.format", "set format: raw"));
            }
            if (v.BaseImage is { Mode: BaseImageMode.Backing } && !PoolTypes.HoldsQcow2(pool.Type))
            {
                diagnostics.Add(Diagnostic.Error(ConflictingFields,
                    $"volume '{v.Name}' wants a backing file, which a {type} pool cannot hold",
                    v.Meta.Origin.Find("spec.baseImage.mode"), "spec.baseImage.mode", "use mode: copy"));
            }
            if (pool.Type == StoragePoolType.Logical && v.SizeBytes % StoragePatterns.LvmExtent != 0)
            {
                var up = (v.SizeBytes + StoragePatterns.LvmExtent - 1) / StoragePatterns.LvmExtent * StoragePatterns.LvmExtent;
                diagnostics.Add(Diagnostic.Error(InvalidSize,
                    $"volume '{v.Name}' is in logical pool '{pool.Name}', whose volumes are whole 4MiB LVM extents; {ByteSize.Format(v.SizeBytes)} would become {ByteSize.Format(up)}",
                    v.Meta.Origin.Find("spec.size"), "spec.size", $"write size: {ByteSize.Format(up)}"));
            }
        }

        var devices = new Dictionary<(string? Node, string Device), StoragePoolSpec>();
        var groups = new Dictionary<(string? Node, string Vg), StoragePoolSpec>();
        foreach (var pool in pools.Where(p => p.Type == StoragePoolType.Logical && p.Source is not null))
        {
            for (var i = 0; i < pool.Source!.Devices.Count; i++)
            {
                var device = pool.Source.Devices[i];
                if (devices.TryGetValue((pool.Node, device), out var first) && first.Name != pool.Name)
                {
                    diagnostics.Add(Diagnostic.Error(DuplicateDisk,
                        $"logical pool '{pool.Name}' uses device {device}, which pool '{first.Name}' (at {first.Meta.Origin.Find("spec.devices")}) uses too",
                        pool.Meta.Origin.Find($"spec.devices[{i}]"), "spec.devices", "a physical volume belongs to one volume group"));
                }
                else
                {
                    devices[(pool.Node, device)] = pool;
                }
            }
            var vg = pool.Source.Name ?? pool.Name;
            if (groups.TryGetValue((pool.Node, vg), out var other))
            {
                diagnostics.Add(Diagnostic.Error(DuplicateName,
                    $"logical pools '{other.Name}' and '{pool.Name}' both name volume group {vg}",
                    pool.Meta.Origin.Find(pool.Meta.Origin.Fields.ContainsKey("spec.volumeGroup") ? "spec.volumeGroup" : "metadata.name"), "spec.volumeGroup", "one pool per volume group"));
            }
            else
            {
                groups[(pool.Node, vg)] = pool;
            }
        }
    }
}
