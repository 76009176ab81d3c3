namespace Reconciler.Engine;

/// <summary>
/// The snapshots a plan needs, read without making every node read dearer.
/// <para>
/// Contract: reading a node (<see cref="NodeSession.Read"/>) never lists snapshots — that would be
/// one more libvirt call per domain on every read, for the controller on every pass. The planner
/// needs them only for owned domains it moves or prunes (libvirt refuses to migrate a domain with
/// snapshots, and to undefine one without removing their metadata). So a plan is made in two
/// rounds: the first from the live state as read; then the snapshot names of exactly the domains
/// that plan moves (on their source node) or prunes (held prunes too) are read —
/// <c>virDomainListAllSnapshots</c>, one call each — into their <see cref="LiveDomain.Snapshots"/>;
/// when any of them has a snapshot, the plan is made again from that live state. The plan returned
/// is the planner's pure function of the live state returned with it. A plan with no move or prune
/// costs no libvirt call more, and one whose domains have no snapshots no second round.
/// </para>
/// </summary>
internal static class SnapshotReads
{
    /// <summary>
    /// Plans with <paramref name="compute"/>, reads the snapshots of the domains the plan moves or
    /// prunes through <paramref name="sessions"/>, and plans again when any has one. A domain whose
    /// snapshots cannot be read keeps null (none known): apply checks them again before it acts.
    /// </summary>
    /// <param name="compute">The planner (with the prune guard) over a live state.</param>
    /// <param name="live">The nodes as read.</param>
    /// <param name="sessions">The open sessions by node name.</param>
    /// <param name="targets">The nodes: one whose session was already closed (a plan's prefetch reads and closes it) is opened again, only when the plan moves or prunes something on it.</param>
    public static (Plan Plan, IReadOnlyList<LiveNode> Live) Plan(Func<IReadOnlyList<LiveNode>, Plan> compute, IReadOnlyList<LiveNode> live,
        IReadOnlyDictionary<string, NodeSession> sessions, IReadOnlyList<NodeTarget> targets)
    {
        var plan = compute(live);
        var concerned = plan.Changes.Concat(plan.HeldPrunes.SelectMany(h => h.Changes))
            .Select(c => c switch
            {
                DomainMigrate m => (Node: m.FromNode, c.Name),
                DomainDestroy => (Node: c.Node, c.Name),
                _ => default,
            })
            .Where(k => k.Node is not null)
            .ToHashSet();
        if (concerned.Count == 0) return (plan, live);
        var read = new Dictionary<(string Node, string Name), IReadOnlyList<string>>();
        foreach (var byNode in concerned.GroupBy(k => k.Node))
        {
            NodeSession? opened = null;
            try
            {
                if (!sessions.TryGetValue(byNode.Key, out var session))
                {
                    if (targets.FirstOrDefault(t => t.Name == byNode.Key) is not { } target) continue;
                    session = opened = NodeOpener.Open(target);
                }
                foreach (var (node, name) in byNode)
                {
                    using var domain = session.Connection.LookupDomainByName(name);
                    if (domain is not null) read[(node, name)] = domain.ListSnapshotNames();
                }
            }
            catch (LibvirtException)
            {
                // Unknown: apply lists them again before it moves or undefines the domain.
            }
            finally
            {
                opened?.Dispose();
            }
        }
        if (read.Count == 0) return (plan, live);
        var withSnapshots = live.Select(n => n.Domains.Any(d => read.ContainsKey((n.Node, d.Name)))
            ? n with { Domains = n.Domains.Select(d => read.TryGetValue((n.Node, d.Name), out var s) ? d with { Snapshots = s } : d).ToList() }
            : n).ToList();
        return read.Values.Any(s => s.Count > 0) ? (compute(withSnapshots), withSnapshots) : (plan, withSnapshots);
    }
}
