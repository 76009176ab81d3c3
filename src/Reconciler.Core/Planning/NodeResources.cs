using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// What the resource steps of one reachable node share: the specs placed on it, its live state,
/// the plan's output lists, the domains that stay (<see cref="Kept"/>) and the domains whose
/// references resolved (<see cref="Resolved"/>). The steps run in a fixed order on it (see
/// <see cref="Planner"/>): domain references, pools, volumes, seeds, networks; each later step
/// reads what the earlier ones recorded here and in <see cref="State"/>.
/// </summary>
internal sealed class NodeResources(
    SpecSet desired, LiveNode node, PlanOptions options, StorageState state,
    List<StoragePoolSpec> pools, List<VolumeSpec> volumes, List<NetworkSpec> networks, List<DomainSpec> domains,
    List<ResourceChange> changes, List<string> unchanged, List<Diagnostic> diagnostics)
{
    public SpecSet Desired => desired;
    public LiveNode Node => node;
    public PlanOptions Options => options;
    public StorageState State => state;
    public List<StoragePoolSpec> Pools => pools;
    public List<VolumeSpec> Volumes => volumes;
    public List<NetworkSpec> Networks => networks;
    public List<ResourceChange> Changes => changes;
    public List<string> Unchanged => unchanged;
    public List<Diagnostic> Diagnostics => diagnostics;

    public Dictionary<string, LivePool> LivePools { get; } = node.Pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
    public Dictionary<string, LiveNetwork> LiveNetworks { get; } = node.Networks.ToDictionary(n => n.Name, StringComparer.Ordinal);
    public Dictionary<string, StoragePoolSpec> PoolsByName { get; } = pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
    public Dictionary<string, NetworkSpec> NetworksByName { get; } = networks.ToDictionary(n => n.Name, StringComparer.Ordinal);
    public Dictionary<string, VolumeSpec> VolumesByName { get; } = volumes.ToDictionary(v => v.Name, StringComparer.Ordinal);

    /// <summary>
    /// The live domains that still use storage and networks here. Domains this plan destroys (owned
    /// by this source, no longer in the specs, not protected) do not count: their destroy runs first.
    /// A domain whose spec names another node is moved, not destroyed: it still uses its storage here.
    /// </summary>
    public List<LiveDomain> Kept { get; } = KeptDomains(desired.Source, node, domains, state);

    /// <summary>The node's domains whose references resolved (disk pools filled in, the seed's pool chosen), by name.</summary>
    public Dictionary<string, DomainSpec> Resolved { get; } = new(StringComparer.Ordinal);

    /// <summary>The domain specs placed on this node, as written.</summary>
    public List<DomainSpec> Domains => domains;

    public string Source => desired.Source;

    /// <summary>
    /// The volume records of the ledgers of this node's pools that may change (readable, not in
    /// <see cref="StorageState.FrozenPools"/> when reached), pool by pool, by volume name.
    /// </summary>
    public IEnumerable<(LivePool Pool, string Name, VolumeRecord Record)> LedgerRecords()
    {
        foreach (var pool in node.Pools)
        {
            if (pool.Ledger is null || state.FrozenPools.Contains((node.Node, pool.Name))) continue;
            foreach (var (name, record) in pool.Ledger.Volumes.OrderBy(e => e.Key, StringComparer.Ordinal)) yield return (pool, name, record);
        }
    }

    public static string Bool(bool value) => value ? "true" : "false";

    public static bool IsRunning(LiveDomain d) => d.RunState is LiveRunState.Running or LiveRunState.Paused or LiveRunState.ShuttingDown;

    private static List<LiveDomain> KeptDomains(string source, LiveNode node, List<DomainSpec> domains, StorageState state)
    {
        var wanted = domains.Select(d => d.Name).ToHashSet(StringComparer.Ordinal);
        return node.Domains.Where(d => !(d.Owner is { } o && o.Source == source && !wanted.Contains(d.Name) && !state.WantedOn.ContainsKey(d.Name) && !o.Protect)).ToList();
    }
}
