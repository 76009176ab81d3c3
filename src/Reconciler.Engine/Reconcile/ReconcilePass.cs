using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Reconcile;

/// <summary>What the controller does about a domain changed behind its back.</summary>
public enum DriftMode
{
    /// <summary>Put it back to the spec (the default).</summary>
    Correct,
    /// <summary>Report it in status and metrics; change nothing.</summary>
    Report,
}

/// <summary>How one pass may act.</summary>
/// <param name="Drift">The global drift mode; a domain's <c>reconciler.dev/drift</c> label overrides it.</param>
/// <param name="Suspend">Plan and report only; change nothing.</param>
/// <param name="ShutdownTimeout">How long a graceful shutdown may take before a hard stop.</param>
/// <param name="LockWait">How long the pass waits for a node whose lock another apply holds before leaving that node's changes for a later pass. Nodes are waited for side by side, so this also bounds how long the other nodes wait; zero: try once.</param>
/// <param name="Adopt">Take over unmanaged domains that have a spec's name.</param>
/// <param name="MayApply">Whether a resource may be changed now (false while it backs off after failures); keyed by node and name.</param>
/// <param name="LastSyncedKey">The <see cref="ResourceReport.DesiredKey"/> the resource had the last time it was in sync, if known: the same key now means any difference is drift.</param>
/// <param name="MaxDisruption">The disruption gate, as <c>apply --max-disruption</c> (a domain's updatePolicy overrides it).</param>
/// <param name="SuspendReason">The reason held changes get when <paramref name="Suspend"/> is set (e.g. <c>NotLeader</c> for a standby replica).</param>
/// <param name="MassPrune">The mass-removal guard (<see cref="PruneGuard"/>); null: <see cref="PruneLimits.Default"/>; <see cref="PruneLimits.Unlimited"/> once a person approved this revision's removals.</param>
/// <param name="Settle">Set while the source has not settled: every removal waits (<see cref="ResourceOutcome.PrunePending"/>); null: removals may go ahead.</param>
public sealed record PassPolicy(
    DriftMode Drift,
    bool Suspend,
    TimeSpan ShutdownTimeout,
    TimeSpan LockWait,
    bool Adopt,
    Func<string, string, bool> MayApply,
    Func<string, string, string?> LastSyncedKey,
    Disruption? MaxDisruption = Disruption.NextBoot,
    string SuspendReason = "Suspended",
    PruneLimits? MassPrune = null,
    PruneSettle? Settle = null);

/// <summary>What a pass did (or did not do) to one resource.</summary>
public enum ResourceOutcome
{
    /// <summary>Already as specified.</summary>
    InSync,
    /// <summary>Changed to match a new or changed spec.</summary>
    Applied,
    /// <summary>Drift was put back.</summary>
    DriftCorrected,
    /// <summary>Drift seen and reported (drift mode report).</summary>
    DriftReported,
    /// <summary>A change is pending but the controller is suspended.</summary>
    Suspended,
    /// <summary>A change is pending but the resource backs off after failures.</summary>
    Deferred,
    /// <summary>The change was tried and failed.</summary>
    Failed,
    /// <summary>The plan refuses to touch it (conflict, protected, unknown node): terminal until the spec or the node changes.</summary>
    Blocked,
    /// <summary>Its node could not be read.</summary>
    NodeUnreachable,
    /// <summary>A change is pending but its node (or the node it moves from) is locked by another apply; retried in a later pass.</summary>
    Waiting,
    /// <summary>The pass was stopped before this change (shutdown).</summary>
    Cancelled,
    /// <summary>Removed from the node because it left the specs.</summary>
    Pruned,
    /// <summary>It left the specs, but the source has not settled yet: removed in a later pass if a fresh read still lacks it.</summary>
    PrunePending,
    /// <summary>It left the specs as part of a mass removal (<see cref="PruneGuard"/>): kept until a person approves the revision's removals.</summary>
    PruneHeld,
}

/// <summary>One resource after a pass.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Kind">Resource kind.</param>
/// <param name="Name">Resource name.</param>
/// <param name="Outcome">What happened.</param>
/// <param name="Reason">A short CamelCase reason for status conditions.</param>
/// <param name="Message">Detail: the change, the error, the diagnostic.</param>
/// <param name="Change">The planned change, if any.</param>
/// <param name="IsDrift">True when the change puts back drift rather than following a spec change.</param>
/// <param name="AppliedRevision">The source revision recorded in the domain's metadata, if any.</param>
/// <param name="PendingRestart">Fields whose new value waits for the guest's next boot.</param>
/// <param name="DesiredKey">Identifies the desired spec (definition, state and autostart); null for a prune.</param>
public sealed record ResourceReport(
    string Node,
    ResourceKind Kind,
    string Name,
    ResourceOutcome Outcome,
    string Reason,
    string? Message,
    ResourceChange? Change,
    bool IsDrift,
    string? AppliedRevision,
    IReadOnlyList<string> PendingRestart,
    string? DesiredKey)
{
    /// <summary>For <see cref="ResourceOutcome.PrunePending"/>: when the removal is due if the source stays as it is.</summary>
    public DateTimeOffset? PruneAt { get; init; }
}

/// <summary>The result of a pass.</summary>
/// <param name="Plan">The plan computed from what was read.</param>
/// <param name="Resources">Every desired resource and every pruned one.</param>
/// <param name="Nodes">Nodes and their read errors.</param>
/// <param name="Applied">Step outcomes of what was applied, or null when nothing was.</param>
public sealed record PassReport(Plan Plan, IReadOnlyList<ResourceReport> Resources, IReadOnlyList<PlanNode> Nodes, ApplyResult? Applied);

/// <summary>
/// One level-based reconcile pass for the controller: read every node afresh, plan against the
/// given specs, apply what the policy allows, and report every resource. Stateless: everything it
/// must remember comes in through the policy.
/// Locking: each node's lock (the one <c>apply</c> takes) is tried for that node alone, all nodes
/// side by side, and held from its read through its apply; a node with nothing to apply is
/// released before the apply starts. A node locked by another apply is still read (its resources
/// are reported), but nothing on it is changed in this pass: its changes, and moves from it, are
/// <see cref="ResourceOutcome.Waiting"/>, and the other nodes are applied as usual.
/// </summary>
public static class ReconcilePass
{
    /// <summary>The label that sets a domain's drift mode (<c>correct</c> or <c>report</c>).</summary>
    public const string DriftLabel = "reconciler.dev/drift";

    /// <summary>Runs one pass. Cancellation stops between steps, never inside one.</summary>
    /// <param name="specs">The desired state.</param>
    /// <param name="nodes">The nodes to read and change.</param>
    /// <param name="policy">What the pass may do.</param>
    /// <param name="progress">Receives the applier's progress lines.</param>
    /// <param name="ct">Stops the pass between steps.</param>
    /// <param name="connections">The controller's long-lived per-node connections (reconnected with backoff), or null to open and close every node for this pass.</param>
    public static async Task<PassReport> RunAsync(SpecSet specs, IReadOnlyList<NodeTarget> nodes, PassPolicy policy, TextWriter progress, CancellationToken ct,
        NodeConnections? connections = null)
    {
        var (locks, busy) = await LockEachAsync(nodes, policy.LockWait, ct).ConfigureAwait(false);
        using var held = locks;
        var (sessions, errors) = connections is null
            ? await Workspace.OpenAsync(nodes, ct).ConfigureAwait(false)
            : await connections.AcquireAsync(nodes, ct).ConfigureAwait(false);
        try
        {
            var live = await Workspace.ReadAsync(nodes, sessions, errors, ct).ConfigureAwait(false);
            var plan = PruneGuard.Apply(Planner.Compute(specs, live, Workspace.Options(nodes, policy.Adopt, policy.MaxDisruption)),
                live, policy.MassPrune ?? PruneLimits.Default);
            var liveByKey = live.SelectMany(n => n.Domains.Select(d => (n.Node, d))).ToDictionary(x => (x.Node, x.d.Name), x => x.d);
            var specByName = specs.Domains.ToDictionary(d => d.Name, StringComparer.Ordinal);

            var decisions = new List<(ResourceChange Change, bool Drift, ResourceOutcome? Held, string Reason, string? Note)>();
            foreach (var change in plan.Changes)
            {
                var spec = change.Desired ?? specByName.GetValueOrDefault(change.Name);
                liveByKey.TryGetValue((change.Node, change.Name), out var current);
                var drift = spec is not null && IsDrift(change, spec, current, specs.Source, policy);
                var mode = spec is not null && spec.Meta.Labels.TryGetValue(DriftLabel, out var label)
                    ? (string.Equals(label, "report", StringComparison.OrdinalIgnoreCase) ? DriftMode.Report : DriftMode.Correct)
                    : policy.Drift;
                ResourceOutcome? hold = null;
                var reason = "";
                string? note = null;
                if (policy.Suspend) (hold, reason) = (ResourceOutcome.Suspended, policy.SuspendReason);
                else if (drift && mode == DriftMode.Report) (hold, reason) = (ResourceOutcome.DriftReported, "DriftDetected");
                // A locked node is said first: its resources wait for the lock (the retry that Waiting
                // schedules must not turn them into BackingOff while the lock is still held).
                else if (BusyNode(change, nodes, busy) is { } locked) (hold, reason, note) = (ResourceOutcome.Waiting, "NodeLocked", locked);
                // A removal needs a settled source: a half-written file must never prune.
                else if (change.Action == ChangeAction.Destroy && policy.Settle is not null) (hold, reason) = (ResourceOutcome.PrunePending, ReconcileReasons.PrunePending);
                else if (!policy.MayApply(change.Node, change.Name)) (hold, reason) = (ResourceOutcome.Deferred, "BackingOff");
                decisions.Add((change, drift, hold, reason, note));
            }

            var toApply = decisions.Where(d => d.Held is null).Select(d => d.Change).ToList();
            // Nodes with nothing to apply are free for other applies from here on.
            var touched = toApply.SelectMany(c => new[] { c.Node, c.FromNode }).OfType<string>().ToHashSet(StringComparer.Ordinal);
            held.Release(nodes.Where(n => touched.Contains(n.Name)).Select(n => n.Uri));
            ApplyResult? applied = null;
            if (toApply.Count > 0 && !ct.IsCancellationRequested)
            {
                applied = new Applier(sessions, new ApplyOptions(policy.ShutdownTimeout, VerifyLive: false), progress)
                    .Apply(plan with { Changes = toApply }, ct);
            }

            var reports = new List<ResourceReport>();
            var outcomes = applied?.Steps.ToDictionary(s => (s.Change.Node, s.Change.Name)) ?? [];
            var byChange = decisions.ToDictionary(d => (d.Change.Node, d.Change.Name));
            var unreachable = live.Where(n => n.Error is not null).ToDictionary(n => n.Node, n => n.Error!, StringComparer.Ordinal);
            foreach (var spec in specs.Domains)
            {
                var node = spec.Node ?? (nodes.Count == 1 ? nodes[0].Name : null) ?? "";
                liveByKey.TryGetValue((node, spec.Name), out var current);
                var key = DesiredKey(spec);
                var revision = current?.Owner?.Revision;
                var pending = PendingRestart(spec, current);
                var blocking = plan.Diagnostics.FirstOrDefault(d => d.Severity == Severity.Error && Mentions(d, spec.Name));
                if (unreachable.TryGetValue(node, out var nodeError))
                {
                    reports.Add(new(node, ResourceKind.Domain, spec.Name, ResourceOutcome.NodeUnreachable, "NodeUnreachable", nodeError, null, false, revision, pending, key));
                }
                else if (blocking is not null)
                {
                    reports.Add(new(node, ResourceKind.Domain, spec.Name, ResourceOutcome.Blocked, Camel(blocking.Code), blocking.Message + (blocking.Hint is null ? "" : $" (hint: {blocking.Hint})"), null, false, revision, pending, key));
                }
                else if (byChange.TryGetValue((node, spec.Name), out var decision))
                {
                    reports.Add(Report(decision.Change, decision.Drift, decision.Held, decision.Reason, decision.Note, outcomes, specs.Revision, revision, pending, key));
                }
                else
                {
                    reports.Add(new(node, ResourceKind.Domain, spec.Name, ResourceOutcome.InSync, "InSync", null, null, false, revision, pending, key));
                }
            }
            foreach (var decision in decisions.Where(d => d.Change.Action == ChangeAction.Destroy))
            {
                var report = Report(decision.Change, false, decision.Held, decision.Reason, decision.Note, outcomes, specs.Revision, null, [], null);
                reports.Add(decision.Held == ResourceOutcome.PrunePending
                    ? report with { Message = policy.Settle!.Message(Describe(decision.Change)), PruneAt = policy.Settle.DueAt }
                    : report);
            }
            foreach (var mass in plan.HeldPrunes)
            {
                reports.AddRange(mass.Changes.Select(c => new ResourceReport(c.Node, c.Kind, c.Name, ResourceOutcome.PruneHeld, ReconcileReasons.MassPruneHeld,
                    MassPruneText.Message(mass), c, false, null, [], null)));
            }
            return new PassReport(plan, reports, plan.Nodes, applied);
        }
        finally
        {
            if (connections is null)
            {
                foreach (var s in sessions.Values) s.Dispose();
            }
            else
            {
                connections.Release(sessions);
            }
        }
    }

    /// <summary>Identifies a desired domain: its definition's hash, power state and autostart.</summary>
    public static string DesiredKey(DomainSpec spec) =>
        $"{SpecHash.Compute(spec)}|{spec.State}|{spec.Autostart}".ToLowerInvariant();

    private static ResourceReport Report(ResourceChange change, bool drift, ResourceOutcome? held, string heldReason, string? note,
        Dictionary<(string, string), StepOutcome> outcomes, string planRevision, string? revision, IReadOnlyList<string> pending, string? key)
    {
        var what = Describe(change);
        if (held is { } h) return new(change.Node, change.Kind, change.Name, h, heldReason, note is null ? what : $"{note}; waiting to {what}", change, drift, revision, pending, key);
        if (!outcomes.TryGetValue((change.Node, change.Name), out var step) || step.Status == StepStatus.NotDone)
        {
            return new(change.Node, change.Kind, change.Name, ResourceOutcome.Cancelled, "Interrupted", step?.Message ?? what, change, drift, revision, pending, key);
        }
        if (step.Status == StepStatus.Failed)
        {
            return new(change.Node, change.Kind, change.Name, ResourceOutcome.Failed, "ApplyFailed", step.Message, change, drift, revision, pending, key);
        }
        if (change.Action == ChangeAction.Destroy)
        {
            return new(change.Node, change.Kind, change.Name, ResourceOutcome.Pruned, "Pruned", what, change, false, null, [], null);
        }
        var defined = change.Action == ChangeAction.Create || change.Fields.Any(f => f.Path is not ("spec.state" or "spec.autostart"));
        var nextBoot = change.Fields.Where(f => f.Disruption == Disruption.NextBoot).Select(f => f.Path);
        return new(change.Node, change.Kind, change.Name, drift ? ResourceOutcome.DriftCorrected : ResourceOutcome.Applied,
            drift ? "DriftCorrected" : "Applied", what, change, drift, defined ? planRevision : revision,
            pending.Union(nextBoot).ToList(), key);
    }

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
        return change.Fields.All(f => f.Path is not ("spec.state" or "spec.autostart")) && change.Action == ChangeAction.Update;
    }

    /// <summary>Fields the running guest still has at an older value than its spec (applied for the next boot).</summary>
    private static IReadOnlyList<string> PendingRestart(DomainSpec spec, LiveDomain? current)
    {
        if (current?.Running is not { } running || current.Config is not { } config || current.Owner is null) return [];
        var configDiff = DomainFields.Diff(spec, config).Select(d => d.Path).ToHashSet(StringComparer.Ordinal);
        return DomainFields.Diff(spec, running)
            .Select(d => d.Path)
            .Where(p => !configDiff.Contains(p) && !p.StartsWith("metadata.", StringComparison.Ordinal) && p is not ("spec.description" or "spec.protect"))
            .ToList();
    }

    private static bool Mentions(Diagnostic d, string name) => d.Message.Contains($"'{name}'", StringComparison.Ordinal);

    private static string Camel(string code) =>
        string.Concat(code.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    private static string Describe(ResourceChange change)
    {
        var fields = change.Fields.Count == 0 ? "" : ": " + string.Join(", ", change.Fields.Select(f => $"{f.Path} {f.Before ?? "(none)"} → {f.After ?? "(none)"}"));
        return $"{change.Action.ToString().ToLowerInvariant()} ({change.Reason}){fields}";
    }

    /// <summary>Why <paramref name="change"/> must wait: its node, or the node it moves from, is locked by another apply; null when neither is.</summary>
    private static string? BusyNode(ResourceChange change, IReadOnlyList<NodeTarget> nodes, IReadOnlyDictionary<string, string> busy)
    {
        foreach (var name in new[] { change.Node, change.FromNode })
        {
            if (name is null) continue;
            var uri = nodes.FirstOrDefault(n => n.Name == name)?.Uri;
            if (uri is not null && busy.TryGetValue(uri, out var why)) return why;
        }
        return null;
    }

    /// <summary>
    /// Tries every node's lock side by side, each waiting at most <paramref name="wait"/>. Returns
    /// the locks taken and, by URI, why each other node is busy (the holder, named by the lock).
    /// </summary>
    private static async Task<(Held Locks, Dictionary<string, string> Busy)> LockEachAsync(IReadOnlyList<NodeTarget> nodes, TimeSpan wait, CancellationToken ct)
    {
        var attempts = nodes.Select(n => n.Uri).Distinct(StringComparer.Ordinal).Select(async uri =>
        {
            try
            {
                return (Uri: uri, Lock: await NodeLock.AcquireAsync(uri, "reconcile controller", wait, ct).ConfigureAwait(false), Busy: (string?)null);
            }
            catch (NodeLockedException e)
            {
                return (Uri: uri, Lock: (NodeLock?)null, Busy: e.Message);
            }
        }).ToList();
        try
        {
            await Task.WhenAll(attempts).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (var a in attempts.Where(a => a.IsCompletedSuccessfully)) a.Result.Lock?.Dispose();
            throw;
        }
        var held = new Held();
        var busy = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (uri, nodeLock, why) in attempts.Select(a => a.Result))
        {
            if (nodeLock is not null) held.Items[uri] = nodeLock;
            else busy[uri] = why!;
        }
        return (held, busy);
    }

    /// <summary>The node locks a pass holds, by URI.</summary>
    private sealed class Held : IDisposable
    {
        public Dictionary<string, IDisposable> Items { get; } = new(StringComparer.Ordinal);

        /// <summary>Releases every lock except those of <paramref name="keep"/>.</summary>
        public void Release(IEnumerable<string> keep)
        {
            var kept = keep.ToHashSet(StringComparer.Ordinal);
            foreach (var uri in Items.Keys.Where(u => !kept.Contains(u)).ToList())
            {
                Items[uri].Dispose();
                Items.Remove(uri);
            }
        }

        public void Dispose()
        {
            foreach (var item in Items.Values) item.Dispose();
            Items.Clear();
        }
    }
}
