using System.Globalization;
using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>Where the planner put a domain that has <c>spec.placement</c> and no <c>spec.node</c>, and why.</summary>
/// <param name="Node">The node.</param>
/// <param name="Why">One line for the plan: the constraints that held and what decided among the feasible nodes, or that it was kept.</param>
/// <param name="Kept">True when the domain already lives on <paramref name="Node"/> and stays there; false for a new choice.</param>
public sealed record PlacementDecision(string Node, string Why, bool Kept);

/// <summary>
/// Chooses nodes for domains that give <c>spec.placement</c> instead of <c>spec.node</c>. Pure and
/// deterministic: the same specs and live state give the same choices (domains are placed in name
/// order, nodes are compared by fixed criteria and then by name).
/// </summary>
/// <remarks>
/// <para>A domain Reconciler already placed (an owned domain of this source with that name on a
/// reachable node) stays where it is: placement is decided once, recorded in the owner metadata,
/// and never changes on its own when capacity or constraints change (a warning says when the
/// node no longer satisfies them). Setting <c>spec.node</c> moves it (a migration).</para>
/// <para>A new domain goes to a node that passes every constraint: <c>nodeSelector</c> (the
/// Node's labels hold every given label), <c>antiAffinity</c> (no domain of the same group on
/// the node, counting where this plan puts the others), <c>cpus</c> (vcpus at most the node's
/// CPUs), <c>storage and networks</c> (the node of each volume, pool and network the domain
/// uses, when their specs name one), the node checks (<see cref="NodeChecks"/>: a node that would refuse the
/// domain is no candidate, and the placement line names the check), <c>memory</c> (the domain's memory fits in the room left). Room left =
/// min(node memory − memory of every Reconciler-owned domain defined there, free memory − memory
/// of the owned domains that are not running) − memory of the domains this plan brings there
/// (created, moved or placed earlier in the same plan). Running domains already show in the
/// node's free memory; stopped ones keep their room. A node that does not report free memory
/// (the test driver) counts only the first term.</para>
/// <para>When a node cannot be read, a domain that is not found on the readable nodes cannot be
/// placed: it may live on the unreadable one. That is a plan error for that domain only.</para>
/// </remarks>
public static class Placement
{
    /// <summary>The diagnostic code when no node satisfies a domain's placement.</summary>
    public const string InfeasibleCode = "placement-infeasible";

    /// <summary>How a node check (<see cref="NodeChecks"/>) that excludes a node is named among the constraints: <c>check cpu-model</c>.</summary>
    private const string CheckPrefix = "check ";

    /// <summary>The diagnostic code when a placement cannot be decided because a node is unreachable.</summary>
    public const string UnknownCode = "placement-unknown";

    /// <summary>
    /// Decides a node for every domain in <paramref name="desired"/> with a placement and no node.
    /// Domains that cannot be placed get an error in <paramref name="diagnostics"/> and no entry.
    /// </summary>
    public static IReadOnlyDictionary<string, PlacementDecision> Resolve(SpecSet desired, IReadOnlyList<LiveNode> live, List<Diagnostic> diagnostics)
    {
        var decisions = new Dictionary<string, PlacementDecision>(StringComparer.Ordinal);
        var toPlace = desired.Domains.Where(d => d.Node is null && d.Placement is not null).OrderBy(d => d.Name, StringComparer.Ordinal).ToList();
        if (toPlace.Count == 0) return decisions;

        var labels = desired.Nodes.ToDictionary(n => n.Name, n => n.Meta.Labels, StringComparer.Ordinal);
        var reachable = live.Where(n => n.Error is null).OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        var unreachable = live.Where(n => n.Error is not null).Select(n => n.Node).Order(StringComparer.Ordinal).ToList();
        var state = reachable.ToDictionary(n => n.Node, n => new NodeState(n, labels.GetValueOrDefault(n.Node)), StringComparer.Ordinal);
        var specs = desired.Domains.ToDictionary(d => d.Name, StringComparer.Ordinal);

        // Where each owned domain of this source lives now (a placed domain is kept there).
        var ownedOn = new Dictionary<string, List<LiveNode>>(StringComparer.Ordinal);
        foreach (var node in reachable)
        {
            foreach (var d in node.Domains)
            {
                if (d.Owner?.Source != desired.Source || !d.Persistent) continue;
                if (!ownedOn.TryGetValue(d.Name, out var list)) ownedOn[d.Name] = list = [];
                list.Add(node);
            }
        }

        // Where each desired domain will be after this plan, for the ones already decided.
        var planned = new Dictionary<string, string>(StringComparer.Ordinal);
        var single = live.Count == 1 ? live[0].Node : null;
        foreach (var spec in desired.Domains)
        {
            if ((spec.Node ?? (spec.Placement is null ? single : null)) is { } node) planned[spec.Name] = node;
        }
        var pending = new List<DomainSpec>();
        foreach (var spec in toPlace)
        {
            if (ownedOn.TryGetValue(spec.Name, out var found))
            {
                // Prefer the node the metadata says it was placed on (a migration may show it on two).
                var keep = found.FirstOrDefault(n => n.Domains.Any(d => d.Name == spec.Name && d.Config?.Placement?.Node == n.Node)) ?? found[0];
                planned[spec.Name] = keep.Node;
                var current = keep.Domains.First(d => d.Name == spec.Name);
                var recorded = current.Config?.Placement?.Node == keep.Node;
                var unmet = state[keep.Node].Unmet(spec);
                if (unmet.Count > 0)
                {
                    diagnostics.Add(Diagnostic.Warning("placement-kept",
                        $"domain '{spec.Name}' stays on node '{keep.Node}', where it {(recorded ? "was placed" : "is")}, although that node no longer satisfies its placement ({string.Join("; ", unmet)})",
                        spec.Meta.Origin.Find("spec.placement"), "spec.placement",
                        $"placed domains are never moved on their own: set spec.node to move it (a migration), or change spec.placement")
                        .About(ResourceKind.Domain, spec.Name, keep.Node));
                }
                decisions[spec.Name] = new PlacementDecision(keep.Node, recorded ? "kept where it was placed" : "kept where it already is", Kept: true);
            }
            else if (unreachable.Count > 0)
            {
                diagnostics.Add(Diagnostic.Error(UnknownCode,
                    $"domain '{spec.Name}' cannot be placed while node(s) {string.Join(", ", unreachable)} cannot be read: it may already live there",
                    spec.Meta.Origin.Find("spec.placement"), "spec.placement",
                    "bring the node back (or remove it from the specs), or set spec.node; nothing is done for this domain until then")
                    .About(ResourceKind.Domain, spec.Name));
            }
            else
            {
                pending.Add(spec);
            }
        }

        // What each node holds after this plan, before the new placements: owned domains defined
        // there, and desired domains this plan brings there.
        foreach (var node in reachable)
        {
            var s = state[node.Node];
            foreach (var d in node.Domains)
            {
                if (d.Owner is null || d.Config is null) continue;
                s.Reserve(d.Config.MemoryBytes, running: d.RunState != LiveRunState.Stopped);
                if (d.Owner.Source == desired.Source) s.Domains++;
                // A domain's group: its spec's when it is still wanted, else what its metadata says.
                var group = specs.TryGetValue(d.Name, out var spec) && d.Owner.Source == desired.Source ? spec.Placement?.AntiAffinity : d.Config.Placement?.AntiAffinity;
                if (group is not null && (!planned.TryGetValue(d.Name, out var target) || target == node.Node)) s.Join(group, d.Name);
            }
        }
        foreach (var (name, target) in planned.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!state.TryGetValue(target, out var s) || s.Node.Domains.Any(d => d.Name == name && d.Owner is not null)) continue;
            var spec = specs[name];
            s.Bring(spec);
        }

        foreach (var spec in pending)
        {
            var feasible = new List<NodeState>();
            var excluded = new List<(string Constraint, string Node, string Detail)>();
            var needs = Needs(spec, desired);
            foreach (var s in state.Values)
            {
                var fails = s.Exclusions(spec, needs);
                if (fails.Count == 0) feasible.Add(s);
                else excluded.AddRange(fails.Select(w => (w.Constraint, s.Node.Node, w.Detail)));
            }
            if (feasible.Count == 0)
            {
                var byConstraint = excluded
                    .GroupBy(e => e.Constraint)
                    .Select(g => $"{g.Key} excludes {string.Join(", ", g.Select(e => e.Detail.Length == 0 ? e.Node : $"{e.Node} ({e.Detail})"))}");
                diagnostics.Add(Diagnostic.Error(InfeasibleCode,
                    state.Count == 0
                        ? $"domain '{spec.Name}' cannot be placed: no node can be read"
                        : $"domain '{spec.Name}' cannot be placed: no node satisfies its placement: {string.Join("; ", byConstraint)}",
                    spec.Meta.Origin.Find("spec.placement"), "spec.placement",
                    "relax spec.placement, add capacity or a Node with the labels, or set spec.node; nothing is done for this domain, the others are applied")
                    .About(ResourceKind.Domain, spec.Name));
                continue;
            }
            var ranked = spec.Placement!.Spread == PlacementSpread.Domains
                ? feasible.OrderBy(s => s.Domains).ThenByDescending(s => s.Room).ThenBy(s => s.Node.Node, StringComparer.Ordinal)
                : feasible.OrderByDescending(s => s.Room).ThenBy(s => s.Domains).ThenBy(s => s.Node.Node, StringComparer.Ordinal);
            var chosen = ranked.First();
            var why = Explain(spec, chosen, feasible.Count, state.Count);
            var byCheck = excluded.Where(e => e.Constraint.StartsWith(CheckPrefix, StringComparison.Ordinal))
                .Select(e => $"{e.Node} ({e.Constraint[CheckPrefix.Length..]}: {e.Detail})").ToList();
            if (byCheck.Count > 0) why += $"; excluded by node checks: {string.Join(", ", byCheck)}";
            chosen.Bring(spec);
            planned[spec.Name] = chosen.Node.Node;
            decisions[spec.Name] = new PlacementDecision(chosen.Node.Node, why, Kept: false);
        }
        return decisions;
    }

    /// <summary>
    /// The nodes the domain's volumes, pools and networks are on, when their specs say (a domain
    /// can only use storage and networks of its own node); empty when nothing pins it.
    /// </summary>
    private static List<(string What, string Node)> Needs(DomainSpec spec, SpecSet desired)
    {
        var needs = new List<(string What, string Node)>();
        string? PoolNode(string? pool) => desired.Pools.FirstOrDefault(p => p.Name == pool)?.Node;
        foreach (var disk in spec.Disks)
        {
            if (disk.Volume is null) continue;
            var volume = desired.Volumes.FirstOrDefault(v => v.Name == disk.Volume && (disk.Pool is null || v.Pool == disk.Pool));
            var node = volume is not null ? volume.Node ?? PoolNode(volume.Pool) : PoolNode(disk.Pool);
            if (node is not null) needs.Add(($"volume {disk.Volume}", node));
        }
        foreach (var nic in spec.Interfaces)
        {
            if (nic.Network is not null && desired.Networks.FirstOrDefault(n => n.Name == nic.Network)?.Node is { } node)
            {
                needs.Add(($"network {nic.Network}", node));
            }
        }
        return needs;
    }

    private static string Explain(DomainSpec spec, NodeState chosen, int feasible, int total)
    {
        var p = spec.Placement!;
        var held = new List<string>();
        if (p.NodeSelector.Count > 0) held.Add("nodeSelector " + p.SelectorText);
        if (p.AntiAffinity is { } g) held.Add("antiAffinity " + g);
        var fits = $"{feasible} of {total} node{(total == 1 ? "" : "s")} fit" + (held.Count > 0 ? $" ({string.Join(", ", held)})" : "");
        var room = chosen.Room is { } r ? ByteSize.Format(r) : "unknown";
        var decided = p.Spread == PlacementSpread.Domains
            ? $"fewest domains ({chosen.Domains.ToString(CultureInfo.InvariantCulture)}), {room} memory left"
            : $"most memory left ({room}), {chosen.Domains.ToString(CultureInfo.InvariantCulture)} domain{(chosen.Domains == 1 ? "" : "s")}";
        return feasible == 1 ? $"{fits}; {decided}" : $"{fits}; {decided}; ties by node name";
    }

    /// <summary>What one node holds while placements are decided.</summary>
    private sealed class NodeState(LiveNode node, IReadOnlyDictionary<string, string>? labels)
    {
        private readonly Dictionary<string, SortedSet<string>> groups = new(StringComparer.Ordinal);
        private ulong reservedAll;
        private ulong reservedNotRunning;

        public LiveNode Node { get; } = node;

        /// <summary>This source's domains there after the plan (for spread).</summary>
        public int Domains { get; set; }

        /// <summary>Memory left for new domains; null when the node's size is unknown.</summary>
        public ulong? Room
        {
            get
            {
                if (Node.Capacity is not { } c) return null;
                var room = Sub(c.MemoryBytes, reservedAll);
                if (c.FreeMemoryBytes is { } free) room = Math.Min(room, Sub(free, reservedNotRunning));
                return room;
            }
        }

        private static ulong Sub(ulong a, ulong b) => a > b ? a - b : 0;

        /// <summary>An owned domain defined on the node; a running one already shows in free memory.</summary>
        public void Reserve(ulong memory, bool running)
        {
            reservedAll += memory;
            if (!running) reservedNotRunning += memory;
        }

        /// <summary>A desired domain this plan defines on the node (created, moved or placed).</summary>
        public void Bring(DomainSpec spec)
        {
            Reserve(spec.MemoryBytes, running: false);
            Domains++;
            if (spec.Placement?.AntiAffinity is { } group) Join(group, spec.Name);
        }

        public void Join(string group, string domain)
        {
            if (!groups.TryGetValue(group, out var members)) groups[group] = members = new SortedSet<string>(StringComparer.Ordinal);
            members.Add(domain);
        }

        /// <summary>The constraints this node fails for a new domain, each with a detail.</summary>
        public List<(string Constraint, string Detail)> Exclusions(DomainSpec spec, List<(string What, string Node)> needs)
        {
            var result = Unmet(spec, spec.Name).Select(u => (u.Constraint, u.Detail)).ToList();
            var elsewhere = needs.Where(n => n.Node != Node.Node).Select(n => $"{n.What} is on {n.Node}").ToList();
            if (elsewhere.Count > 0) result.Add(("storage and networks", string.Join(", ", elsewhere)));
            foreach (var check in NodeChecks.Run(HardwareDemand.Of(spec), Node).Where(r => r.Outcome == CheckOutcome.Refused))
            {
                result.Add((CheckPrefix + check.Check, check.Detail));
            }
            if (Node.Capacity is not { } c)
            {
                result.Add(("capacity", "its size could not be read"));
                return result;
            }
            if (spec.Vcpus > c.Cpus)
            {
                result.Add(("cpus", $"{spec.Vcpus.ToString(CultureInfo.InvariantCulture)} vCPUs, node has {c.Cpus.ToString(CultureInfo.InvariantCulture)}"));
            }
            if (Room is { } room && spec.MemoryBytes > room)
            {
                result.Add(("memory", $"needs {ByteSize.Format(spec.MemoryBytes)}, {ByteSize.Format(room)} left"));
            }
            return result;
        }

        /// <summary>The label and group constraints the node fails, as text (for a domain that stays).</summary>
        public List<string> Unmet(DomainSpec spec) =>
            Unmet(spec, spec.Name).Select(u => u.Detail.Length == 0 ? u.Constraint : $"{u.Constraint}: {u.Detail}").ToList();

        private IEnumerable<(string Constraint, string Detail)> Unmet(DomainSpec spec, string self)
        {
            var p = spec.Placement!;
            var missing = p.NodeSelector
                .Where(l => labels is null || !labels.TryGetValue(l.Key, out var v) || v != l.Value)
                .OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => $"{l.Key}={l.Value}")
                .ToList();
            if (missing.Count > 0) yield return ("nodeSelector " + p.SelectorText, "lacks " + string.Join(",", missing));
            if (p.AntiAffinity is { } group && groups.TryGetValue(group, out var members) && members.Any(m => m != self))
            {
                yield return ("antiAffinity " + group, "has " + string.Join(", ", members.Where(m => m != self)));
            }
        }
    }
}
