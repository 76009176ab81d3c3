namespace Reconciler.Engine.Reconcile;

public static partial class ReconcilePass
{
    /// <summary>Why a planned change is not applied in this pass.</summary>
    /// <param name="Outcome">The resource's outcome.</param>
    /// <param name="Reason">Its reason (<see cref="ReconcileReasons"/>).</param>
    /// <param name="Note">What it waits for (the lock holder), said before the change; null: the change alone.</param>
    private sealed record Hold(ResourceOutcome Outcome, string Reason, string? Note = null)
    {
        /// <summary>The whole message, instead of the note and the change.</summary>
        public string? Message { get; init; }

        /// <summary>For <see cref="ResourceOutcome.PrunePending"/>: when the removal is due.</summary>
        public DateTimeOffset? PruneAt { get; init; }
    }

    /// <summary>A planned (or mass-held) change and what the pass does about it: applies it when <paramref name="Hold"/> is null.</summary>
    /// <param name="Change">The change.</param>
    /// <param name="Drift">True when it puts back drift rather than following a spec change.</param>
    /// <param name="Hold">Why it is not applied now, or null.</param>
    private sealed record Decision(ResourceChange Change, bool Drift, Hold? Hold);

    /// <summary>
    /// Every change of the plan with its hold, if any, then every removal the prune guard held
    /// (<see cref="ResourceOutcome.PruneHeld"/>). The first hold that fits wins, in the order of
    /// <see cref="HoldOf"/>.
    /// </summary>
    private static List<Decision> Decide(Plan plan, SpecSet specs, LiveState live, IReadOnlyList<NodeTarget> nodes,
        IReadOnlyDictionary<string, string> busy, PassPolicy policy)
    {
        var specByName = specs.Domains.ToDictionary(d => d.Name, StringComparer.Ordinal);
        var decisions = new List<Decision>(plan.Changes.Count);
        foreach (var change in plan.Changes)
        {
            var spec = (change as DesiredDomainChange)?.Desired ?? specByName.GetValueOrDefault(change.Name);
            var drift = spec is not null && IsDrift(change, spec, live.Find(change.Node, change.Name), specs.Source, policy);
            var reportOnly = drift && ModeOf(spec!, policy) == DriftMode.Report;
            decisions.Add(new Decision(change, drift, HoldOf(change, reportOnly, nodes, busy, policy)));
        }
        foreach (var mass in plan.HeldPrunes)
        {
            var hold = new Hold(ResourceOutcome.PruneHeld, ReconcileReasons.MassPruneHeld) { Message = MassPruneText.Message(mass) };
            decisions.AddRange(mass.Changes.Select(c => new Decision(c, false, hold)));
        }
        return decisions;
    }

    /// <summary>
    /// Why <paramref name="change"/> waits, first match wins: the controller is suspended (or not
    /// the leader); it is drift in report mode; its node is locked by another apply; it is a
    /// removal while the source has not settled; the resource backs off after failures. Null: apply it.
    /// </summary>
    private static Hold? HoldOf(ResourceChange change, bool reportOnly, IReadOnlyList<NodeTarget> nodes, IReadOnlyDictionary<string, string> busy, PassPolicy policy)
    {
        if (policy.Suspend) return new(ResourceOutcome.Suspended, policy.SuspendReason);
        if (reportOnly) return new(ResourceOutcome.DriftReported, ReconcileReasons.DriftDetected);
        // A locked node is said first: its resources wait for the lock (the retry that Waiting
        // schedules must not turn them into BackingOff while the lock is still held).
        if (BusyNode(change, nodes, busy) is { } locked) return new(ResourceOutcome.Waiting, ReconcileReasons.NodeLocked, locked);
        // A removal needs a settled source: a half-written file must never prune.
        if (change.Action == ChangeAction.Destroy && policy.Settle is { } settle)
        {
            return new(ResourceOutcome.PrunePending, ReconcileReasons.PrunePending) { Message = settle.Message(Describe(change)), PruneAt = settle.DueAt };
        }
        if (!policy.MayApply(change.Node, change.Name)) return new(ResourceOutcome.Deferred, ReconcileReasons.BackingOff);
        return null;
    }

    /// <summary>The domain's drift mode: its <see cref="DriftLabel"/> when set, else the policy's.</summary>
    private static DriftMode ModeOf(DomainSpec spec, PassPolicy policy) =>
        spec.Meta.Labels.TryGetValue(DriftLabel, out var label)
            ? (string.Equals(label, "report", StringComparison.OrdinalIgnoreCase) ? DriftMode.Report : DriftMode.Correct)
            : policy.Drift;

    /// <summary>
    /// A change puts back drift when the spec did not change since the resource was last in sync:
    /// known from this controller's memory, else (after a restart) from what the domain's metadata
    /// records of the last applied spec: the definition's hash and the power state and autostart it
    /// asked for. Metadata written before the power state was recorded only covers the definition,
    /// so a power or autostart difference on such a domain counts as a spec change.
    /// </summary>
    private static bool IsDrift(ResourceChange change, DomainSpec spec, LiveDomain? current, string source, PassPolicy policy)
    {
        if (change.Action is ChangeAction.Create or ChangeAction.Destroy or ChangeAction.Migrate) return false;
        if (current?.Owner is not { } owner || owner.Source != source) return false;
        if (policy.LastSyncedKey(change.Node, change.Name) is { } synced) return synced == DesiredKey(spec);
        if (owner.SpecHash != SpecHash.Compute(spec)) return false;
        if (owner.State is { } state && owner.Autostart is { } autostart) return state == spec.State && autostart == spec.Autostart;
        return !change.Fields.Any(f => IsPower(f.Path)) && change.Action == ChangeAction.Update;
    }

    /// <summary>True for <c>spec.state</c> and <c>spec.autostart</c>: what the domain is asked to do, not part of its definition.</summary>
    private static bool IsPower(string path) => new FieldPath(path) is var p && (p == DomainPaths.State || p == DomainPaths.Autostart);

    /// <summary>Why <paramref name="change"/> must wait: its node, or the node it moves from, is locked by another apply; null when neither is.</summary>
    private static string? BusyNode(ResourceChange change, IReadOnlyList<NodeTarget> nodes, IReadOnlyDictionary<string, string> busy)
    {
        foreach (var name in change.TouchedNodes())
        {
            var uri = nodes.FirstOrDefault(n => n.Name == name)?.Uri;
            if (uri is not null && busy.TryGetValue(uri, out var why)) return why;
        }
        return null;
    }
}
