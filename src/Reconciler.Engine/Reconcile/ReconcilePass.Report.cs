namespace Reconciler.Engine.Reconcile;

public static partial class ReconcilePass
{
    /// <summary>
    /// One report per desired domain, the first that fits: its node is unreachable; a plan error
    /// about it blocks it; a change was decided for it; it is in sync. Then one per removal (pruned,
    /// held or pending), in decision order.
    /// </summary>
    private static List<ResourceReport> Report(SpecSet specs, LiveState live, IReadOnlyList<NodeTarget> nodes, Plan plan,
        IReadOnlyList<Decision> decisions, ApplyResult? applied)
    {
        var reports = new List<ResourceReport>();
        var outcomes = applied?.Steps.ToDictionary(s => (s.Change.Node, s.Change.Name)) ?? [];
        var byChange = decisions.ToDictionary(d => (d.Change.Node, d.Change.Name));
        var unreachable = live.Nodes.Where(n => n.Error is not null).ToDictionary(n => n.Node, n => n.Error!, StringComparer.Ordinal);
        foreach (var spec in specs.Domains)
        {
            var node = spec.Node ?? (nodes.Count == 1 ? nodes[0].Name : null) ?? "";
            var current = live.Find(node, spec.Name);
            var key = DesiredKey(spec);
            var revision = current?.Owner?.Revision;
            var pending = PendingRestart(spec, current);
            if (unreachable.TryGetValue(node, out var nodeError))
            {
                reports.Add(new(node, ResourceKind.Domain, spec.Name, ResourceOutcome.NodeUnreachable, ReconcileReasons.NodeUnreachable, nodeError, null, false, revision, pending, key));
            }
            else if (BlockingError(plan, spec.Name) is { } blocking)
            {
                reports.Add(new(node, ResourceKind.Domain, spec.Name, ResourceOutcome.Blocked, ReconcileReasons.Blocked(blocking.Code),
                    blocking.Message + (blocking.Hint is null ? "" : $" (hint: {blocking.Hint})"), null, false, revision, pending, key));
            }
            else if (byChange.TryGetValue((node, spec.Name), out var decision))
            {
                reports.Add(Report(decision, outcomes, specs.Revision, revision, pending, key));
            }
            else
            {
                reports.Add(new(node, ResourceKind.Domain, spec.Name, ResourceOutcome.InSync, ReconcileReasons.InSync, null, null, false, revision, pending, key));
            }
        }
        foreach (var removal in decisions.Where(d => d.Change.Action == ChangeAction.Destroy))
        {
            reports.Add(Report(removal with { Drift = false }, outcomes, specs.Revision, null, [], null));
        }
        return reports;
    }

    /// <summary>
    /// The first plan error about domain <paramref name="name"/>: one whose <see cref="Diagnostic.Resource"/>
    /// is that domain. Errors about other resources (a pool, a volume, a network) or about a whole
    /// node (unreachable, a held mass removal) do not block it, even when their message names it.
    /// </summary>
    private static Diagnostic? BlockingError(Plan plan, string name) =>
        plan.Diagnostics.FirstOrDefault(d => d.Severity == Severity.Error && d.Resource is { } about && about.Is(ResourceKind.Domain, name));

    /// <summary>The report of a decided change: its hold, or what applying it did.</summary>
    private static ResourceReport Report(Decision decision, Dictionary<(string, string), StepOutcome> outcomes, string planRevision,
        string? revision, IReadOnlyList<string> pending, string? key)
    {
        var (change, drift, hold) = decision;
        var what = Describe(change);
        if (hold is not null)
        {
            var message = hold.Message ?? (hold.Note is null ? what : $"{hold.Note}; waiting to {what}");
            return new(change.Node, change.Kind, change.Name, hold.Outcome, hold.Reason, message, change, drift, revision, pending, key) { PruneAt = hold.PruneAt };
        }
        if (!outcomes.TryGetValue((change.Node, change.Name), out var step) || step.Status == StepStatus.NotDone)
        {
            return new(change.Node, change.Kind, change.Name, ResourceOutcome.Cancelled, ReconcileReasons.Interrupted, step?.Message ?? what, change, drift, revision, pending, key);
        }
        if (step.Status == StepStatus.Failed)
        {
            return new(change.Node, change.Kind, change.Name, ResourceOutcome.Failed, ReconcileReasons.ApplyFailed, step.Message, change, drift, revision, pending, key);
        }
        if (change.Action == ChangeAction.Destroy)
        {
            return new(change.Node, change.Kind, change.Name, ResourceOutcome.Pruned, ReconcileReasons.Pruned, what, change, false, null, [], null);
        }
        // A change of more than power state and autostart redefined the domain: it now records this revision.
        var defined = change.Action == ChangeAction.Create || change.Fields.Any(f => !IsPower(f.Path));
        var nextBoot = change.Fields.Where(f => f.Disruption == Disruption.NextBoot).Select(f => f.Path);
        return new(change.Node, change.Kind, change.Name, drift ? ResourceOutcome.DriftCorrected : ResourceOutcome.Applied,
            drift ? ReconcileReasons.DriftCorrected : ReconcileReasons.Applied, what, change, drift, defined ? planRevision : revision,
            pending.Union(nextBoot).ToList(), key);
    }

    /// <summary>
    /// Fields the running guest still has at an older value than its spec (applied for the next
    /// boot). Metadata, the description and protection are not part of what the guest runs with.
    /// </summary>
    private static IReadOnlyList<string> PendingRestart(DomainSpec spec, LiveDomain? current)
    {
        if (current?.Running is not { } running || current.Config is not { } config || current.Owner is null) return [];
        var configDiff = DomainFields.Diff(spec, config).Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
        return DomainFields.Diff(spec, running)
            .Select(d => d.Path)
            .Where(p => !configDiff.Contains(p) && new FieldPath(p) is var path
                && BoundFields.Find(path) is not { GuestVisible: false })
            .ToList();
    }

    /// <summary>The change in one line: action, reason and each field's old and new value.</summary>
    private static string Describe(ResourceChange change)
    {
        var fields = change.Fields.Count == 0 ? "" : ": " + string.Join(", ", change.Fields.Select(f => $"{f.Path} {f.Before ?? "(none)"} → {f.After ?? "(none)"}"));
        return $"{change.Action.ToString().ToLowerInvariant()} ({change.Reason}){fields}";
    }
}
