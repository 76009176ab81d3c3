using Reconciler.Core.Diagnostics;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>Choices that change what the planner may propose.</summary>
/// <param name="Adopt">Take over domains with a spec's name that Reconciler does not own (or that another source owns).</param>
/// <param name="SandboxNode">The name of the embedded sandbox node, if one is used.</param>
/// <param name="MaxDisruption">The gate: updates whose disruption exceeds it are plan errors (a domain's updatePolicy may override). Null: no gate.</param>
/// <param name="Now">The time restart windows are checked against; null treats every window as closed. Passed in so the planner stays pure.</param>
public sealed record PlanOptions(bool Adopt = false, string? SandboxNode = null, Disruption? MaxDisruption = null, DateTimeOffset? Now = null);

/// <summary>
/// Computes a <see cref="Plan"/> from the desired specs and the live nodes. A pure function: no
/// I/O, no clock, the same inputs always give the same plan.
/// </summary>
public static partial class Planner
{
    /// <summary>Plans every node in <paramref name="live"/> against <paramref name="desired"/>.</summary>
    public static Plan Compute(SpecSet desired, IReadOnlyList<LiveNode> live, PlanOptions options)
    {
        var diagnostics = new List<Diagnostic>();
        var changes = new List<ResourceChange>();
        var unchanged = new List<string>();
        var nodes = live.ToDictionary(n => n.Node, StringComparer.Ordinal);

        var byNode = new Dictionary<string, List<DomainSpec>>(StringComparer.Ordinal);
        var placed = Placement.Resolve(desired, live, diagnostics);
        var hostdevs = new HostdevSelection();
        foreach (var written in desired.Domains)
        {
            var spec = written;
            if (spec.Node is null && spec.Placement is not null)
            {
                // Placed: the chosen node becomes the spec's node and is recorded in its metadata.
                if (!placed.TryGetValue(spec.Name, out var decision)) continue;
                spec = spec with { Node = decision.Node, Placement = spec.Placement with { Node = decision.Node } };
            }
            else if (spec.Placement is not null)
            {
                // spec.node wins; the placement is not used (nor recorded).
                spec = spec with { Placement = null };
            }
            var nodeName = spec.Node ?? (live.Count == 1 ? live[0].Node : null);
            if (nodeName is null || !nodes.ContainsKey(nodeName))
            {
                diagnostics.Add(Diagnostic.Error("unknown-node",
                    nodeName is null ? $"domain '{spec.Name}' names no node and there are {live.Count} nodes" : $"domain '{spec.Name}' is placed on node '{nodeName}', which is not configured",
                    spec.Meta.Origin.Find(DomainPaths.Node.Text), DomainPaths.Node.Text, "set spec.node to one of: " + string.Join(", ", nodes.Keys) + ", or give spec.placement to let Reconciler choose")
                    .About(ResourceKind.Domain, spec.Name, nodeName));
                continue;
            }
            if (!byNode.TryGetValue(nodeName, out var list)) byNode[nodeName] = list = [];
            // Device selectors get a free matching device of the node; the address is rendered, so the definition records it.
            spec = hostdevs.Resolve(spec, nodes[nodeName]);
            list.Add(spec);
        }

        var storage = PlanResources(desired, live, byNode, options, changes, unchanged, diagnostics);
        var moves = new Moves(desired, live, byNode, storage);
        // Nodes are planned side by side: PlanNode only reads what it shares (specs, live state,
        // moves) and writes to its own lists, which are appended in node order, so the result is
        // the same as planning them one after the other.
        var liveInOrder = live.OrderBy(n => n.Node, StringComparer.Ordinal).ToList();
        var perNode = new (List<ResourceChange> Changes, List<string> Unchanged, List<Diagnostic> Diagnostics)[liveInOrder.Count];
        Parallel.For(0, liveInOrder.Count, i =>
        {
            var node = liveInOrder[i];
            var mine = perNode[i] = ([], [], []);
            var wanted = byNode.TryGetValue(node.Node, out var w) ? w : [];
            if (node.Error is not null)
            {
                mine.Diagnostics.Add(Diagnostic.Error("node-unreachable",
                    $"node '{node.Node}' ({node.Uri}) could not be read: {node.Error}; its {wanted.Count} domain(s) are Unknown and nothing on it is pruned",
                    hint: "check that libvirtd runs there and the URI is right (virsh -c URI version)").About(ResourceKind.Node, node.Node));
                return;
            }
            PlanNode(desired, node, wanted, options, moves, mine.Changes, mine.Unchanged, mine.Diagnostics);
        });
        foreach (var (nodeChanges, nodeUnchanged, nodeDiagnostics) in perNode)
        {
            changes.AddRange(nodeChanges);
            unchanged.AddRange(nodeUnchanged);
            diagnostics.AddRange(nodeDiagnostics);
        }

        storage.Finish(changes);
        var ordered = changes
            .Select(c => c is DesiredDomainChange domain && placed.TryGetValue(c.Name, out var d) ? domain with { Placement = d.Why + HostdevSelection.ChoicesText(domain.Desired) } : c)
            .OrderBy(c => c.Node, StringComparer.Ordinal)
            .ThenBy(c => c.Action == ChangeAction.Destroy ? 1 : 0)
            .ThenBy(c => c.Action == ChangeAction.Destroy ? -(int)c.Kind : (int)c.Kind)
            .ThenBy(c => c.Name, StringComparer.Ordinal)
            .ToList();
        return new Plan(desired.Source, desired.Revision,
            live.Select(n => new PlanNode(n.Node, n.Uri, n.Node == options.SandboxNode, n.Error)).ToList(),
            ordered, diagnostics, unchanged)
        {
            PendingRestarts = PendingRestarts(desired, live),
        };
    }

    private static void PlanNode(SpecSet desired, LiveNode node, List<DomainSpec> wanted, PlanOptions options, Moves moves,
        List<ResourceChange> changes, List<string> unchanged, List<Diagnostic> diagnostics)
    {
        var liveByName = new Dictionary<string, LiveDomain>(node.Domains.Count, StringComparer.Ordinal);
        foreach (var d in node.Domains) liveByName[d.Name] = d;
        var wantedNames = new HashSet<string>(StringComparer.Ordinal);

        foreach (var spec in wanted)
        {
            wantedNames.Add(spec.Name);
            if (!liveByName.TryGetValue(spec.Name, out var current))
            {
                if (moves.MoveTo(spec, node.Node) is { } planned)
                {
                    if (moves.WithSnapshots(planned, diagnostics) is not { } move) continue;
                    if (Checked(spec, node, runningHere: false, diagnostics) is { } moveChecks) changes.Add(move with { Checks = moveChecks });
                    continue;
                }
                if (Checked(spec, node, runningHere: false, diagnostics) is { } checks)
                {
                    changes.Add(new DomainCreate(node.Node, spec.Name, "not on the node", spec) { Checks = checks });
                }
                continue;
            }
            var where = spec.Meta.Origin.Find("metadata.name");
            if (!current.Persistent)
            {
                diagnostics.Add(Diagnostic.Error("transient-conflict",
                    $"a transient domain named '{spec.Name}' runs on node '{node.Node}'; Reconciler does not touch it",
                    where, "metadata.name", "rename the spec, or stop that domain yourself").About(ResourceKind.Domain, spec.Name, node.Node));
                continue;
            }
            string reason;
            if (current.Owner is null || current.Owner.Source != desired.Source)
            {
                if (!options.Adopt)
                {
                    diagnostics.Add(OwnershipRefusal.For(ResourceKind.Domain, spec.Name, node.Node, $"domain '{spec.Name}'", current.Owner?.Source, where,
                        "is not managed by Reconciler", "to take it over, run again with --adopt (its UUID, MACs and disks are kept); or rename the spec"));
                    continue;
                }
                reason = current.Owner is null ? "adopt an unmanaged domain" : $"adopt from {current.Owner.Source}";
            }
            else
            {
                reason = "";
            }
            if (current.Config is null)
            {
                diagnostics.Add(Diagnostic.Error("unreadable-live",
                    $"the definition of domain '{spec.Name}' on node '{node.Node}' could not be read back", where, null,
                    "inspect it with virsh dumpxml --inactive").About(ResourceKind.Domain, spec.Name, node.Node));
                continue;
            }

            var running = current.RunState is LiveRunState.Running or LiveRunState.Paused or LiveRunState.ShuttingDown;
            if (current.Owner is null && current.ForeignXml is { } foreignXml)
            {
                current = current with { Config = AdoptedPatches.Recorded(spec, current.Config, foreignXml) };
            }
            var fields = new List<FieldChange>(Disruptions.Classify(DomainFields.Diff(spec, current.Config), spec, current, options.Now));
            var configChanged = fields.Count > 0 || current.Owner is null || current.Owner.Source != desired.Source;
            if (current.Autostart != spec.Autostart)
            {
                fields.Add(new FieldChange(DomainPaths.Autostart.Text, Bool(current.Autostart), Bool(spec.Autostart), Disruption.None));
            }
            var wantRunning = spec.State == PowerState.Running;
            var stateChanged = wantRunning != running || current.RunState == LiveRunState.Paused;
            if (stateChanged)
            {
                fields.Add(new FieldChange(DomainPaths.State.Text, StateText(current.RunState), wantRunning ? "running" : "stopped",
                    wantRunning ? Disruption.None : Disruption.Restart));
            }
            if (fields.Count == 0 && !configChanged)
            {
                unchanged.Add(spec.Name);
                continue;
            }

            var action = configChanged || current.Autostart != spec.Autostart ? ChangeAction.Update
                : wantRunning ? ChangeAction.Start : ChangeAction.Stop;
            if (reason.Length == 0)
            {
                reason = action switch
                {
                    ChangeAction.Start => $"drift: {StateText(current.RunState)} behind our back",
                    ChangeAction.Stop => "desired stopped",
                    _ => fields.Count == 1 ? $"{fields[0].Path} differs" : $"{fields.Count} fields differ",
                };
            }
            DomainChange change = action switch
            {
                ChangeAction.Update => new DomainUpdate(node.Node, spec.Name, reason, fields, spec, current.Uuid, current.Fingerprint)
                {
                    Restart = running && wantRunning && fields.Any(f => f.Disruption == Disruption.Restart),
                    Kept = fields.Any(f => f.Disruption == Disruption.Replace) ? KeptState.Of(current) : null,
                },
                ChangeAction.Start => new DomainStart(node.Node, spec.Name, reason, fields, spec, current.Uuid, current.Fingerprint),
                _ => new DomainStop(node.Node, spec.Name, reason, fields, current.Uuid, current.Fingerprint),
            };
            if (change is DesiredDomainChange desiredChange)
            {
                if (Checked(spec, node, runningHere: running, diagnostics) is not { } checks) continue;
                change = desiredChange with { Checks = checks };
            }
            changes.Add(change);
            Gate(change, spec, options, diagnostics);
        }

        foreach (var current in node.Domains)
        {
            if (wantedNames.Contains(current.Name) || current.Owner is null || current.Owner.Source != desired.Source) continue;
            if (moves.IsMoving(current, node.Node, diagnostics)) continue;
            if (current.Owner.Protect)
            {
                diagnostics.Add(Diagnostic.Error("protected",
                    $"domain '{current.Name}' on node '{node.Node}' is no longer in the specs but is protected; it is not destroyed",
                    hint: "put its spec back, or set protect: false and apply before removing it").About(ResourceKind.Domain, current.Name, node.Node));
                continue;
            }
            var prune = Moves.PruneWithSnapshots(new DomainDestroy(node.Node, current.Name, "no longer in the specs (disks are kept)", current.Uuid, current.Fingerprint)
            {
                Kept = KeptState.Of(current),
            }, current, diagnostics);
            if (prune is not null) changes.Add(prune);
        }
    }

    /// <summary>
    /// Checks the domain against its node's hardware (<see cref="NodeChecks"/>): a refusal is an
    /// error naming domain, node and reason, and null is returned (nothing of the domain is
    /// applied; the other domains go on); a check that only matters at start, for a stopped
    /// domain, is a warning; a check the node could not answer is a note. Otherwise the results.
    /// </summary>
    private static IReadOnlyList<CheckResult>? Checked(DomainSpec spec, LiveNode node, bool runningHere, List<Diagnostic> diagnostics)
    {
        var results = NodeChecks.Run(HardwareDemand.Of(spec), node, runningHere);
        if (results.Count == 0) return results;
        foreach (var r in results)
        {
            var field = CheckField(r.Check);
            var where = spec.Meta.Origin.Find(field);
            switch (r.Outcome)
            {
                case CheckOutcome.Warned:
                    diagnostics.Add(Diagnostic.Warning(CheckWarningCode, $"domain '{spec.Name}' on node '{node.Node}': {r}", where, field,
                        "it is defined, but starting it there will fail; change it or choose another node before setting state: running")
                        .About(ResourceKind.Domain, spec.Name, node.Node));
                    break;
                case CheckOutcome.Skipped:
                    diagnostics.Add(Diagnostic.Note(CheckSkippedCode, $"domain '{spec.Name}' on node '{node.Node}': {r.Check} check skipped: {r.Detail}", where, field)
                        .About(ResourceKind.Domain, spec.Name, node.Node));
                    break;
            }
        }
        var refused = results.Where(r => r.Outcome == CheckOutcome.Refused).ToList();
        if (refused.Count == 0) return results;
        var first = CheckField(refused[0].Check);
        diagnostics.Add(Diagnostic.Error(CheckRefusedCode,
            $"domain '{spec.Name}' is refused on node '{node.Node}': {string.Join("; ", refused)}",
            spec.Meta.Origin.Find(first), first,
            "ask for what the node can give (virsh domcapabilities lists it), or choose another node; nothing of this domain is applied, the other domains go on")
            .About(ResourceKind.Domain, spec.Name, node.Node));
        return null;
    }

    /// <summary>The spec field a check is about, for the diagnostic's location.</summary>
    internal static string CheckField(string check) => check switch
    {
        "cpu-model" => "spec.cpu.model",
        "cpu-features" => "spec.cpu.features",
        "host-passthrough" => "spec.cpu.mode",
        "uefi" => "spec.firmware",
        "secure-boot" => "spec.secureBoot",
        "tpm" => "spec.tpm",
        "hugepages" => "spec.memoryBacking.hugepages",
        "numa" => "spec.numaTune",
        "hostdev" => "spec.hostdevs",
        "host-interface" or "sriov-vf" => "spec.interfaces",
        _ => "spec",
    };

    /// <summary>The diagnostic code of a domain its node cannot run (<see cref="NodeChecks"/>).</summary>
    public const string CheckRefusedCode = "node-check-refused";

    /// <summary>The diagnostic code of a move that the domain's snapshots block (libvirt cannot migrate a domain with snapshots).</summary>
    public const string SnapshotsBlockMoveCode = "snapshots-block-move";

    /// <summary>The diagnostic code of a prune that a user's snapshots block.</summary>
    public const string SnapshotsBlockPruneCode = "snapshots-block-prune";

    /// <summary>The diagnostic code of a stopped domain that would fail to start on its node.</summary>
    public const string CheckWarningCode = "node-check-at-start";

    /// <summary>The diagnostic code of a check the node's driver could not answer.</summary>
    public const string CheckSkippedCode = "node-check-skipped";

    /// <summary>
    /// The disruption gate: an update whose fields exceed what the command (or the domain's
    /// updatePolicy) allows is a plan error naming each such field. Explicit power-state changes
    /// and prunes are what the specs ask for and are not gated.
    /// </summary>
    private static void Gate(DomainChange change, DomainSpec spec, PlanOptions options, List<Diagnostic> diagnostics)
    {
        if (Disruptions.Allowed(spec.Policy, options.MaxDisruption) is not { } allowed) return;
        var over = change.Fields.Where(f => new FieldPath(f.Path) != DomainPaths.State && f.Disruption > allowed).ToList();
        if (over.Count == 0) return;
        diagnostics.Add(Diagnostic.Error(GateCode,
            $"domain '{change.Name}' on node '{change.Node}': {string.Join(", ", over.Select(f => $"{f.Path} ({DisruptionNames.Of(f.Disruption)})"))} exceed{(over.Count == 1 ? "s" : "")} the allowed disruption '{DisruptionNames.Of(allowed)}'",
            spec.Meta.Origin.Find(over[0].Path), over[0].Path,
            "raise --max-disruption, set spec.updatePolicy (e.g. restart: auto), or make the change in a maintenance window")
            .About(ResourceKind.Domain, change.Name, change.Node));
    }

    /// <summary>The diagnostic code of a gate refusal; apply refuses the whole plan when one is present.</summary>
    public const string GateCode = "exceeds-max-disruption";

    /// <summary>
    /// Owned running domains whose running instance lacks changes of their persistent definition.
    /// Fields whose running value moves by itself (memory: the balloon's) are left out.
    /// Once the guest restarts (by anyone) the two match and the entry is gone.
    /// </summary>
    private static List<PendingRestart> PendingRestarts(SpecSet desired, IReadOnlyList<LiveNode> live)
    {
        var pending = new List<PendingRestart>();
        foreach (var node in live.OrderBy(n => n.Node, StringComparer.Ordinal))
        {
            foreach (var d in node.Domains.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                if (d.Owner?.Source != desired.Source || d.Config is null || d.Running is null) continue;
                // Fields the guest never sees (text, Reconciler's records) are not part of what it runs with.
                var fields = DomainFields.Diff(d.Config, d.Running)
                    .Where(f => BoundFields.Find(new FieldPath(f.Path)) is not ({ RunningValueMoves: true } or { GuestVisible: false })).ToList();
                if (fields.Count > 0) pending.Add(new PendingRestart(node.Node, d.Name, fields));
            }
        }
        return pending;
    }

    private static string Bool(bool value) => value ? "true" : "false";

    private static string StateText(LiveRunState state) => state switch
    {
        LiveRunState.Running => "running",
        LiveRunState.Stopped => "stopped",
        LiveRunState.Paused => "paused",
        LiveRunState.ShuttingDown => "shutting down",
        _ => "crashed",
    };
}
