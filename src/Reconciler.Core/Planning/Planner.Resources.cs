using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

public static partial class Planner
{
    /// <summary>
    /// Plans the resources domains use — storage pools, volumes, cloud-init seeds and networks — on
    /// every reachable node, and resolves the domains in <paramref name="byNode"/> in place (disk
    /// pools filled in, the seed's pool chosen). Per node, in this order: domain references, then
    /// storage (<see cref="StoragePlanner"/>), then networks (<see cref="NetworkPlanner"/>). A
    /// domain with a dangling reference is reported and kept in the list (so it is not pruned); the
    /// returned state removes its changes in <see cref="StorageState.Finish"/>. Ownership of pools
    /// and volumes comes from each pool's ledger (<see cref="StorageLedger"/>), of networks from
    /// their <c>&lt;metadata&gt;</c>; see specs/storage.md.
    /// </summary>
    private static StorageState PlanResources(SpecSet desired, IReadOnlyList<LiveNode> live, Dictionary<string, List<DomainSpec>> byNode,
        PlanOptions options, List<ResourceChange> changes, List<string> unchanged, List<Diagnostic> diagnostics)
    {
        var state = new StorageState();
        var nodes = live.ToDictionary(n => n.Node, StringComparer.Ordinal);
        string? Single() => live.Count == 1 ? live[0].Node : null;
        var poolSpecs = desired.Pools.ToDictionary(p => p.Name, StringComparer.Ordinal);

        string? Place(ResourceKind kind, string what, ResourceMeta meta, string? node, string field)
        {
            var name = node ?? Single();
            if (name is not null && nodes.ContainsKey(name)) return name;
            diagnostics.Add(Diagnostic.Error("unknown-node",
                name is null ? $"{what} '{meta.Name}' names no node and there are {live.Count} nodes" : $"{what} '{meta.Name}' is placed on node '{name}', which is not configured",
                meta.Origin.Find(field), field, "set spec.node to one of: " + string.Join(", ", nodes.Keys)).About(kind, meta.Name, name));
            return null;
        }

        var pools = new Dictionary<string, List<StoragePoolSpec>>(StringComparer.Ordinal);
        var volumes = new Dictionary<string, List<VolumeSpec>>(StringComparer.Ordinal);
        var networks = new Dictionary<string, List<NetworkSpec>>(StringComparer.Ordinal);
        foreach (var p in desired.Pools)
        {
            if (Place(ResourceKind.StoragePool, "storage pool", p.Meta, p.Node, "spec.node") is { } n) Add(pools, n, p);
        }
        foreach (var v in desired.Volumes)
        {
            var node = v.Node ?? (poolSpecs.TryGetValue(v.Pool, out var ps) ? ps.Node ?? Single() : null);
            if (Place(ResourceKind.Volume, "volume", v.Meta, node, v.Node is null ? "spec.pool" : "spec.node") is { } n) Add(volumes, n, v);
        }
        foreach (var net in desired.Networks)
        {
            if (Place(ResourceKind.Network, "network", net.Meta, net.Node, "spec.node") is { } n) Add(networks, n, net);
        }

        MovingVolumes.Find(desired, live, byNode, state, diagnostics);

        foreach (var node in live.OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            if (node.Error is not null) continue;
            var resources = new NodeResources(desired, node, options, state,
                pools.GetValueOrDefault(node.Node) ?? [], volumes.GetValueOrDefault(node.Node) ?? [], networks.GetValueOrDefault(node.Node) ?? [],
                byNode.GetValueOrDefault(node.Node) ?? [], changes, unchanged, diagnostics);
            var references = new DomainReferences(resources);
            foreach (var domain in resources.Domains) references.Resolve(domain);
            StoragePlanner.Plan(resources);
            new NetworkPlanner(resources).Plan();
            if (byNode.TryGetValue(node.Node, out var list))
            {
                for (var i = 0; i < list.Count; i++)
                {
                    if (resources.Resolved.TryGetValue(list[i].Name, out var resolved)) list[i] = resolved;
                }
            }
        }
        return state;
    }

    private static void Add<T>(Dictionary<string, List<T>> map, string key, T value)
    {
        if (!map.TryGetValue(key, out var list)) map[key] = list = [];
        list.Add(value);
    }
}
