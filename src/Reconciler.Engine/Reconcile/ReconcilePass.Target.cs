namespace Reconciler.Engine.Reconcile;

/// <summary>
/// Targeted passes (<see cref="PassPolicy.Scope"/>): at 10,000 domains, planning, deciding and
/// reporting every domain costs seconds of CPU on every pass, while a file change or a libvirt
/// event concerns a few. A targeted pass reads as any pass does, then plans only the domains in
/// its scope, against only the live domains of those names (on every node, so a move is seen).
/// <para>
/// Contract: a targeted pass applies only what the whole pass would apply to those domains. It
/// does so only when their plan cannot depend on any other domain: each scoped spec names its
/// node (no placement, which weighs every domain of every node) and takes no host device or
/// VF (another domain may hold it); and the targeted plan holds nothing but creates, updates,
/// starts and stops of scoped domains and the writes of their seeds. Anything else — a removal
/// (the prune guard counts every owned domain of the node), a move, a change to a pool, volume
/// or network (they weigh what every domain uses) — makes it plan everything from the same read,
/// as a whole pass (<see cref="PassReport.Scope"/> null). Every other domain is left as the last
/// pass reported it.
/// </para>
/// </summary>
public static partial class ReconcilePass
{
    /// <summary>
    /// The scoped plan of <paramref name="scope"/>'s domains, with the scoped live state it was made
    /// from; null when the pass must plan everything (see the type's contract).
    /// </summary>
    private static (SpecSet Specs, Plan Plan, LiveState Live)? PlanScoped(SpecSet specs, LiveState read, IReadOnlySet<string> scope,
        IReadOnlyList<NodeTarget> nodes, PassPolicy policy, Dictionary<string, NodeSession> sessions)
    {
        var domains = specs.Domains.Where(d => scope.Contains(d.Name)).ToList();
        if (!domains.All(Independent)) return null;
        var scopedSpecs = specs with { Domains = domains };
        var scopedLive = Index(read.Nodes.Select(n => n with { Domains = n.Domains.Where(d => scope.Contains(d.Name)).ToList() }).ToList());
        var (plan, live) = PlanChanges(scopedSpecs, scopedLive, nodes, policy, sessions);
        return plan.HeldPrunes.Count == 0 && plan.Changes.All(c => WithinScope(c, scope)) ? (scopedSpecs, plan, live) : null;
    }

    /// <summary>Whether a domain's plan depends on no other domain: its node is named and it takes no host device or VF.</summary>
    internal static bool Independent(DomainSpec spec) =>
        spec.Node is not null && spec.Hostdevs.Count == 0 && spec.Interfaces.All(i => i.Hostdev is null);

    /// <summary>A change a targeted pass may apply: no removal, no move, nothing shared.</summary>
    private static bool WithinScope(ResourceChange change, IReadOnlySet<string> scope) => change switch
    {
        DomainCreate or DomainUpdate or DomainStart or DomainStop => scope.Contains(change.Name),
        SeedChange seed => seed.Action != ChangeAction.Destroy && scope.Contains(seed.Domain),
        _ => false,
    };
}
