using Reconciler.Core.Diagnostics;

namespace Reconciler.Specs.Validation;

/// <summary>
/// Rules across pools, volumes, networks and domains of one spec set (references to objects that
/// are only on the node are checked by the planner, which sees the node).
/// </summary>
internal static class StorageSpecChecks
{
    public static void Check(IReadOnlyList<StoragePoolSpec> pools, IReadOnlyList<VolumeSpec> volumes, IReadOnlyList<NetworkSpec> networks,
        IReadOnlyList<DomainSpec> domains, List<Diagnostic> diagnostics)
    {
        var poolsByName = pools.GroupBy(p => p.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var v in volumes)
        {
            if (v.Node is not null && poolsByName.TryGetValue(v.Pool, out var pool) && pool.Node is not null && pool.Node != v.Node)
            {
                diagnostics.Add(Diagnostic.Error(BadReference,
                    $"volume '{v.Name}' says node '{v.Node}' but its pool '{pool.Name}' (at {pool.Meta.Origin.Location}) is on node '{pool.Node}'",
                    v.Meta.Origin.Find("spec.node"), "spec.node", "remove spec.node from the volume: it follows its pool"));
            }
        }

        foreach (var d in domains)
        {
            if (d.CloudInit is not { } ci) continue;
            if (volumes.FirstOrDefault(v => v.Name == ci.SeedVolume) is { } clash)
            {
                diagnostics.Add(Diagnostic.Error(DuplicateName,
                    $"volume '{clash.Name}' has the name of domain '{d.Name}''s cloud-init seed (at {d.Meta.Origin.Find("spec.cloudInit")})",
                    clash.Meta.Origin.Find("metadata.name"), "metadata.name", "rename the volume: NAME-cidata.iso is reserved for seeds"));
            }
        }

        foreach (var group in pools.Where(p => p.Path.Length > 0).GroupBy(p => (p.Node, Path: p.Path.TrimEnd('/'))))
        {
            var list = group.ToList();
            for (var i = 1; i < list.Count; i++)
            {
                diagnostics.Add(Diagnostic.Error(DuplicateDisk,
                    $"storage pool '{list[i].Name}' has the same path {list[i].Path} as pool '{list[0].Name}' (at {list[0].Meta.Origin.Find("spec.path")})",
                    list[i].Meta.Origin.Find("spec.path"), "spec.path", "give each pool its own directory"));
            }
        }

        PoolTypeChecks.Check(pools, volumes, diagnostics);

        foreach (var group in networks.GroupBy(n => n.Node))
        {
            var list = group.ToList();
            for (var i = 0; i < list.Count; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    var (a, b) = (list[j], list[i]);
                    if (a.Bridge is not null && a.Bridge == b.Bridge && a.Mode != NetworkMode.Bridge && b.Mode != NetworkMode.Bridge)
                    {
                        diagnostics.Add(Diagnostic.Error(DuplicateName,
                            $"network '{b.Name}' uses bridge {b.Bridge}, which network '{a.Name}' (at {a.Meta.Origin.Find("spec.bridge")}) creates too",
                            b.Meta.Origin.Find("spec.bridge"), "spec.bridge", "give each network its own bridge name (or leave it out)"));
                    }
                    if (a.Ipv4 is { } x && b.Ipv4 is { } y && Ipv4.TryParse(x.Address, out var ax) && Ipv4.TryParse(y.Address, out var by)
                        && x.Prefix is >= 8 and <= 30 && y.Prefix is >= 8 and <= 30 && Ipv4.Overlaps(ax, x.Prefix, by, y.Prefix))
                    {
                        diagnostics.Add(Diagnostic.Error(OverlappingNetwork,
                            $"network '{b.Name}' ({y.Address}/{y.Prefix}) overlaps network '{a.Name}' ({x.Address}/{x.Prefix}, at {a.Meta.Origin.Find("spec.ipv4.address")})",
                            b.Meta.Origin.Find("spec.ipv4.address"), "spec.ipv4.address", "networks on one node need subnets that do not overlap"));
                    }
                }
            }
        }
    }
}
