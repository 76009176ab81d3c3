using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>What the resource steps of <see cref="Planner.Compute"/> found that the rest of planning needs.</summary>
public sealed class StorageState
{
    /// <summary>Domains (node, name) with a dangling reference: nothing is planned for them.</summary>
    public HashSet<(string Node, string Name)> Blocked { get; } = [];

    /// <summary>Pools (node, name) whose ledger could not be read or that are not ours: nothing in them changes.</summary>
    public HashSet<(string Node, string Name)> FrozenPools { get; } = [];

    /// <summary>The node the specs place each domain on, by domain name.</summary>
    public Dictionary<string, string> WantedOn { get; } = new(StringComparer.Ordinal);

    /// <summary>Owned volumes that move with their domain, by the domain's (target node, name).</summary>
    public Dictionary<(string Node, string Name), List<VolumeMove>> VolumeMoves { get; } = [];

    /// <summary>The source pool of the cloud-init seed of each moving domain, by the domain's (target node, name).</summary>
    public Dictionary<(string Node, string Name), string> SourceSeeds { get; } = [];

    /// <summary>(target node, pool, volume) of every moving volume: created by the move, not by a volume step.</summary>
    public HashSet<(string Node, string Pool, string Volume)> MovingIn { get; } = [];

    /// <summary>(source node, pool, volume) of every moving volume: kept or deleted by the move, not by a volume step.</summary>
    public HashSet<(string Node, string Pool, string Volume)> MovingOut { get; } = [];

    /// <summary>External (unmanaged) objects each domain uses, shown in the plan.</summary>
    public Dictionary<(string Node, string Name), List<string>> External { get; } = [];

    /// <summary>Drops the changes of blocked domains and marks external references in the others' reasons.</summary>
    public void Finish(List<ResourceChange> changes)
    {
        changes.RemoveAll(c => c is DomainChange && Blocked.Contains((c.Node, c.Name)));
        for (var i = 0; i < changes.Count; i++)
        {
            var c = changes[i];
            if (c is DomainCreate or DomainUpdate && External.TryGetValue((c.Node, c.Name), out var ext))
            {
                changes[i] = c with { Reason = c.Reason + "; uses external " + string.Join(", ", ext) };
            }
        }
    }
}
