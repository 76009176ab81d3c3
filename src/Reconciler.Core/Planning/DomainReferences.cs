using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// The first resource step of a node: resolves what each domain placed on it references. A disk's
/// volume gets its pool and format (from its Volume spec, else from the live pools), the cloud-init
/// seed gets its pool, and every network an interface names must be in the specs on this node or
/// live there. A resolved domain goes to <see cref="NodeResources.Resolved"/> (external objects it
/// uses to <see cref="StorageState.External"/>); a domain with any dangling reference is reported
/// and recorded in <see cref="StorageState.Blocked"/>.
/// </summary>
internal sealed class DomainReferences(NodeResources r)
{
    public void Resolve(DomainSpec domain)
    {
        var errors = 0;
        var external = new List<string>();
        var disks = new List<DiskSpec>(domain.Disks.Count);
        var seed = domain.CloudInit?.SeedVolume;
        for (var i = 0; i < domain.Disks.Count; i++)
        {
            var disk = domain.Disks[i];
            if (disk.Volume is null || disk.Volume == seed)
            {
                disks.Add(disk);
                continue;
            }
            var field = $"spec.disks[{i}].volume";
            var pool = ResolveVolume(domain, disk, field, external);
            if (pool is null)
            {
                errors++;
                disks.Add(disk);
                continue;
            }
            // The disk is read in the volume's own format: a qcow2 volume attached as raw would hand the guest the qcow2 metadata.
            var format = VolumeFormatOf(disk.Volume, pool);
            if (disk.Format is not null && format is not null && disk.Format != format)
            {
                errors++;
                r.Diagnostics.Add(Diagnostic.Error("format-mismatch",
                    $"domain '{domain.Name}' attaches volume '{disk.Volume}' as {disk.Format}, but the volume is {format}",
                    domain.Meta.Origin.Find($"spec.disks[{i}].format"), $"spec.disks[{i}].format", "remove format: from the disk (it follows the volume)")
                    .About(ResourceKind.Domain, domain.Name, r.Node.Node));
            }
            disks.Add(disk with { Pool = pool, Format = disk.Format ?? format });
        }
        var cloudInit = domain.CloudInit;
        if (cloudInit is not null)
        {
            var pool = cloudInit.Pool ?? disks.FirstOrDefault(d => d.Volume is not null && d.Volume != seed && d.Pool is not null)?.Pool;
            if (pool is null)
            {
                errors++;
                r.Diagnostics.Add(Diagnostic.Error("cloud-init-pool",
                    $"domain '{domain.Name}' has cloudInit but no pool for its seed volume",
                    domain.Meta.Origin.Find("spec.cloudInit"), "spec.cloudInit.pool",
                    "set cloudInit.pool, or give the domain a disk that names a volume (the seed goes to that volume's pool)")
                    .About(ResourceKind.Domain, domain.Name, r.Node.Node));
            }
            else if (!PoolKnown(pool))
            {
                errors++;
                r.Diagnostics.Add(Dangling(domain, "spec.cloudInit.pool", $"pool '{pool}' (for its cloud-init seed)"));
            }
            else
            {
                cloudInit = cloudInit with { Pool = pool };
                for (var i = 0; i < disks.Count; i++)
                {
                    if (disks[i].Volume == seed) disks[i] = disks[i] with { Pool = pool };
                }
            }
        }
        for (var i = 0; i < domain.Interfaces.Count; i++)
        {
            if (domain.Interfaces[i].Network is not { } net) continue;
            if (r.NetworksByName.ContainsKey(net)) continue;
            if (r.LiveNetworks.ContainsKey(net))
            {
                external.Add($"network {net}");
                continue;
            }
            errors++;
            var elsewhere = r.Desired.Networks.FirstOrDefault(n => n.Name == net);
            r.Diagnostics.Add(elsewhere is null
                ? Dangling(domain, $"spec.interfaces[{i}].network", $"network '{net}'")
                : Diagnostic.Error("cross-node-reference",
                    $"domain '{domain.Name}' on node '{r.Node.Node}' uses network '{net}', which is placed on node '{elsewhere.Node}' (at {elsewhere.Meta.Origin.Location})",
                    domain.Meta.Origin.Find($"spec.interfaces[{i}].network"), $"spec.interfaces[{i}].network",
                    "a domain's networks must be on its own node").About(ResourceKind.Domain, domain.Name, r.Node.Node));
        }
        if (errors > 0)
        {
            r.State.Blocked.Add((r.Node.Node, domain.Name));
            return;
        }
        if (external.Count > 0) r.State.External[(r.Node.Node, domain.Name)] = external;
        r.Resolved[domain.Name] = domain with { Disks = disks, CloudInit = cloudInit };
    }

    private string? ResolveVolume(DomainSpec domain, DiskSpec disk, string field, List<string> external)
    {
        var name = disk.Volume!;
        if (r.VolumesByName.TryGetValue(name, out var spec))
        {
            if (disk.Pool is not null && disk.Pool != spec.Pool)
            {
                r.Diagnostics.Add(Diagnostic.Error("dangling-reference",
                    $"domain '{domain.Name}' uses volume '{name}' in pool '{disk.Pool}', but the Volume spec '{name}' (at {spec.Meta.Origin.Location}) is in pool '{spec.Pool}'",
                    domain.Meta.Origin.Find(field), field, $"remove pool: from the disk, or write pool: {spec.Pool}")
                    .About(ResourceKind.Domain, domain.Name, r.Node.Node));
                return null;
            }
            return spec.Pool;
        }
        if (r.Desired.Volumes.FirstOrDefault(v => v.Name == name) is { } other)
        {
            r.Diagnostics.Add(Diagnostic.Error("cross-node-reference",
                $"domain '{domain.Name}' on node '{r.Node.Node}' uses volume '{name}', which is on another node (spec at {other.Meta.Origin.Location})",
                domain.Meta.Origin.Find(field), field,
                $"a domain's volumes must be on its own node: to move the volume with the domain, set the Volume's pool to a pool on node '{r.Node.Node}' (a running domain also needs spec.migration.storage: copy)")
                .About(ResourceKind.Domain, domain.Name, r.Node.Node));
            return null;
        }
        if (disk.Pool is { } pool)
        {
            if (r.LivePools.TryGetValue(pool, out var lp) && lp.Volumes.Any(v => v.Name == name))
            {
                external.Add($"volume {pool}/{name}");
                return pool;
            }
            if (lp is { Active: false })
            {
                r.Diagnostics.Add(Diagnostic.Error("pool-inactive",
                    $"domain '{domain.Name}' uses volume '{name}' in pool '{pool}', which is inactive on node '{r.Node.Node}' so the volume cannot be checked",
                    domain.Meta.Origin.Find(field), field, $"start the pool (virsh pool-start {pool}), or add a StoragePool spec for it")
                    .About(ResourceKind.Domain, domain.Name, r.Node.Node));
                return null;
            }
            r.Diagnostics.Add(Dangling(domain, field, $"volume '{name}' in pool '{pool}'"));
            return null;
        }
        var found = r.LivePools.Values.Where(p => p.Volumes.Any(v => v.Name == name)).Select(p => p.Name).Order(StringComparer.Ordinal).ToList();
        if (found.Count == 1)
        {
            external.Add($"volume {found[0]}/{name}");
            return found[0];
        }
        r.Diagnostics.Add(found.Count == 0
            ? Dangling(domain, field, $"volume '{name}'")
            : Diagnostic.Error("ambiguous-reference",
                $"domain '{domain.Name}' uses volume '{name}', which exists in several pools on node '{r.Node.Node}': {string.Join(", ", found)}",
                domain.Meta.Origin.Find(field), field, "add pool: to the disk").About(ResourceKind.Domain, domain.Name, r.Node.Node));
        return null;
    }

    /// <summary>qcow2 or raw: from the Volume spec, else from the live volume (anything but qcow2 is read as raw).</summary>
    private string? VolumeFormatOf(string volume, string pool)
    {
        if (r.VolumesByName.TryGetValue(volume, out var spec) && spec.Pool == pool) return spec.Format.ToString().ToLowerInvariant();
        var live = r.LivePools.GetValueOrDefault(pool)?.Volumes.FirstOrDefault(v => v.Name == volume);
        return live?.Format switch
        {
            null => null,
            "qcow2" => "qcow2",
            _ => "raw",
        };
    }

    private Diagnostic Dangling(DomainSpec domain, string field, string what) =>
        Diagnostic.Error("dangling-reference",
            $"domain '{domain.Name}' uses {what}, which is neither in the specs nor on node '{r.Node.Node}'",
            domain.Meta.Origin.Find(field), field,
            "add a spec for it, create it on the node, or fix the name").About(ResourceKind.Domain, domain.Name, r.Node.Node);

    private bool PoolKnown(string pool) => r.PoolsByName.ContainsKey(pool) || r.LivePools.ContainsKey(pool);
}
