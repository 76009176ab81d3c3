using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Finds the owned volumes that move with a domain: the domain's spec now names node T, an owned
/// domain of that name lives on another node S, and one of its disks names a Volume whose spec is
/// now in a pool on T while this source's ledger on S records that volume (complete, not
/// released) in a pool the live domain uses. Such a volume is copied by the domain's move instead
/// of being created empty on T and released (or deleted) on S by separate steps. Runs before the
/// nodes' resource steps; records the moves, the node each domain is wanted on and the moving
/// domains' seed pools in <see cref="StorageState"/>.
/// </summary>
internal static class MovingVolumes
{
    public static void Find(SpecSet desired, IReadOnlyList<LiveNode> live, Dictionary<string, List<DomainSpec>> byNode,
        StorageState state, List<Diagnostic> diagnostics)
    {
        var reachable = live.Where(n => n.Error is null).OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        var poolNodes = desired.Pools.ToDictionary(p => p.Name, p => p.Node ?? (live.Count == 1 ? live[0].Node : null), StringComparer.Ordinal);
        foreach (var (target, specs) in byNode.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            foreach (var spec in specs) state.WantedOn[spec.Name] = target;
            if (reachable.FirstOrDefault(n => n.Node == target) is not { } targetNode) continue;
            foreach (var spec in specs)
            {
                if (targetNode.Domains.Any(d => d.Name == spec.Name)) continue;
                var (source, current) = reachable.Where(n => n.Node != target)
                    .Select(n => (n, n.Domains.FirstOrDefault(d => d.Name == spec.Name && d.Persistent && d.Owner?.Source == desired.Source)))
                    .FirstOrDefault(x => x.Item2 is not null);
                if (source is null || current is null) continue;
                if (spec.CloudInit is { } ci && source.Pools.FirstOrDefault(p => p.Ledger?.Volumes.GetValueOrDefault(ci.SeedVolume) is
                        { Role: VolumeRole.Seed } r && r.Source == desired.Source && r.SpecName == spec.Name) is { } seedPool)
                {
                    state.SourceSeeds[(target, spec.Name)] = seedPool.Name;
                }
                var running = NodeResources.IsRunning(current);
                var moves = new List<VolumeMove>();
                for (var i = 0; i < spec.Disks.Count; i++)
                {
                    if (spec.Disks[i].Volume is not { } name || desired.Volumes.FirstOrDefault(v => v.Name == name) is not { } volume) continue;
                    var volumeNode = volume.Node ?? poolNodes.GetValueOrDefault(volume.Pool);
                    if (volumeNode != target) continue;
                    var from = source.Pools.FirstOrDefault(p => p.Name != volume.Pool && p.Ledger?.Volumes.GetValueOrDefault(name) is
                        { Role: VolumeRole.Volume, Complete: true, Released: false } r && r.Source == desired.Source
                        && p.Volumes.FirstOrDefault(v => v.Name == name) is { } lv && StoragePlanner.Uses(current, p.Name, name, lv.Path));
                    if (from is null) continue;
                    var liveVolume = from.Volumes.First(v => v.Name == name);
                    var field = $"spec.disks[{i}].volume";
                    var where = $"volume '{name}' moves with domain '{spec.Name}' from pool '{from.Name}' on node '{source.Node}' to pool '{volume.Pool}' on node '{target}'";
                    if (running && (spec.Migration ?? MigrationPolicy.Default).Storage != MigrationStorage.Copy)
                    {
                        diagnostics.Add(Diagnostic.Error("volume-move-needs-copy",
                            $"{where}, but the domain runs and spec.migration.storage is shared: a live migration with shared storage does not copy disks",
                            spec.Meta.Origin.Find(spec.Meta.Origin.Fields.ContainsKey("spec.migration") ? "spec.migration.storage" : "spec.node"), "spec.migration.storage",
                            "set spec.migration: {storage: copy} to copy the volume during the live migration, or keep the Volume in its pool and the domain on its node")
                            .About(ResourceKind.Domain, spec.Name, target));
                        state.Blocked.Add((target, spec.Name));
                    }
                    if (liveVolume.BackingPath is not null)
                    {
                        diagnostics.Add(Diagnostic.Error("volume-move-backing",
                            $"{where}, but it is a qcow2 overlay on a backing file ({liveVolume.BackingPath}) that is not on the target; Reconciler does not move overlays",
                            volume.Meta.Origin.Find("spec.pool"), "spec.pool",
                            "keep the Volume in its pool and the domain on its node, or make a new volume on the target (its data is not copied)")
                            .About(ResourceKind.Domain, spec.Name, target));
                        state.Blocked.Add((target, spec.Name));
                    }
                    if (targetNode.Pools.FirstOrDefault(p => p.Name == volume.Pool) is { } toPool && toPool.Volumes.Any(v => v.Name == name))
                    {
                        diagnostics.Add(Diagnostic.Error("volume-move-target-exists",
                            $"{where}, but pool '{volume.Pool}' on node '{target}' already has a volume of that name; it is not overwritten",
                            volume.Meta.Origin.Find("spec.pool"), "spec.pool",
                            $"remove that volume from node '{target}' yourself if it is stale (virsh vol-delete {name} --pool {volume.Pool}), or choose another pool")
                            .About(ResourceKind.Domain, spec.Name, target));
                        state.Blocked.Add((target, spec.Name));
                        continue;
                    }
                    moves.Add(new VolumeMove(name, from.Name, volume.Pool, liveVolume.Format == "qcow2" ? "qcow2" : "raw", liveVolume.CapacityBytes, volume.DeletionPolicy, volume));
                    state.MovingIn.Add((target, volume.Pool, name));
                    state.MovingOut.Add((source.Node, from.Name, name));
                }
                if (moves.Count > 0) state.VolumeMoves[(target, spec.Name)] = moves;
            }
        }
    }
}
