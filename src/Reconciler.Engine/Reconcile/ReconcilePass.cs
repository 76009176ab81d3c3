namespace Reconciler.Engine.Reconcile;

/// <summary>
/// One level-based reconcile pass for the controller: read every node (afresh on a full read; between
/// full reads, with <c>ReuseDefinitions</c>, only the definitions libvirt sent an event for since they
/// were read: docs/controller.md, "What a pass reads"), plan against the given specs, apply what the policy allows, and report every resource. Stateless: everything it
/// must remember comes in through the policy. A targeted pass (<see cref="PassPolicy.Scope"/>) plans and reports only its
/// domains when that is safe (ReconcilePass.Target.cs).
/// Locking: each node's lock (the one <c>apply</c> takes) is tried for that node alone, all nodes
/// side by side, and held from its read through its apply; a node with nothing to apply is
/// released before the apply starts. A node locked by another apply is still read (its resources
/// are reported), but nothing on it is changed in this pass: its changes, and moves from it, are
/// <see cref="ResourceOutcome.Waiting"/>, and the other nodes are applied as usual.
/// </summary>
public static partial class ReconcilePass
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
        // Lock: every node's lock, side by side; a node another apply holds is read but not changed.
        using var locks = await PassLocks.TakeAsync(nodes, policy.LockWait, ct).ConfigureAwait(false);
        var (sessions, errors) = await ConnectAsync(nodes, connections, ct).ConfigureAwait(false);
        try
        {
            // Read: every node (definitions reused between full reads when the policy says so); an unreadable node becomes an error node, the others go on.
            var read = await ReadAsync(specs, nodes, sessions, errors, policy.ReuseDefinitions, ct).ConfigureAwait(false);
            // Plan: the changes from specs to what was read, with mass removals held by the prune guard
            // (and the snapshots of the domains it moves or prunes read, then planned again: SnapshotReads).
            // A targeted pass plans its scope alone when that is safe (ReconcilePass.Target.cs), else everything.
            var scoped = policy.Scope is { } scope ? PlanScoped(specs, read, scope, nodes, policy, sessions) : null;
            if (scoped is { } s) specs = s.Specs;
            var (plan, live) = scoped is { } t ? (t.Plan, t.Live) : PlanChanges(specs, read, nodes, policy, sessions);
            // Decide: per change, apply it now or hold it (suspended, drift reported, node locked, prune pending, backing off, mass prune held).
            var decisions = Decide(plan, specs, live, nodes, locks.Busy, policy);
            // Apply: the changes no hold stopped; nodes they do not touch are unlocked first.
            var applied = Apply(plan, decisions, sessions, locks, nodes, policy, progress, ct);
            // Report: every desired domain, every removal, with its outcome and reason.
            var reports = Report(specs, live, nodes, plan, decisions, applied);
            return new PassReport(plan, reports, plan.Nodes, applied) { Scope = scoped is null ? null : policy.Scope };
        }
        finally
        {
            Disconnect(sessions, connections);
        }
    }

    /// <summary>Identifies a desired domain: its definition's hash, power state and autostart.</summary>
    public static string DesiredKey(DomainSpec spec) =>
        $"{SpecHash.Compute(spec)}|{spec.State}|{spec.Autostart}".ToLowerInvariant();

    /// <summary>What one pass read: every node, and its domains by node and name.</summary>
    private sealed record LiveState(IReadOnlyList<LiveNode> Nodes, IReadOnlyDictionary<(string Node, string Name), LiveDomain> Domains)
    {
        public LiveDomain? Find(string node, string name) => Domains.GetValueOrDefault((node, name));
    }

    /// <summary>Sessions for every node that answers (the controller's long-lived ones when given), and each other node's error.</summary>
    private static Task<(Dictionary<string, NodeSession> Sessions, Dictionary<string, string> Errors)> ConnectAsync(
        IReadOnlyList<NodeTarget> nodes, NodeConnections? connections, CancellationToken ct) =>
        connections is null ? Workspace.OpenAsync(nodes, ct) : connections.AcquireAsync(nodes, ct);

    /// <summary>Closes this pass's own sessions, or hands the controller's back.</summary>
    private static void Disconnect(Dictionary<string, NodeSession> sessions, NodeConnections? connections)
    {
        if (connections is null)
        {
            Workspace.CloseAll(sessions.Values);
        }
        else
        {
            connections.Release(sessions);
        }
    }

    /// <summary>Reads every node (and the hardware its desired domains need) in parallel; a node that could not be opened or read carries its error.</summary>
    private static async Task<LiveState> ReadAsync(SpecSet specs, IReadOnlyList<NodeTarget> nodes, Dictionary<string, NodeSession> sessions,
        Dictionary<string, string> errors, bool reuse, CancellationToken ct)
    {
        var live = await Workspace.ReadAsync(nodes, sessions, errors, ct, desired: specs, reuse: reuse).ConfigureAwait(false);
        return Index(live);
    }

    private static LiveState Index(IReadOnlyList<LiveNode> live) =>
        new(live, live.SelectMany(n => n.Domains.Select(d => (n.Node, d))).ToDictionary(x => (x.Node, x.d.Name), x => x.d));

    /// <summary>
    /// The plan from <paramref name="specs"/> to <paramref name="read"/>; removals over the policy's mass-prune limit are taken out
    /// and held (<see cref="Plan.HeldPrunes"/>). Returned with the live state it was made from (<see cref="SnapshotReads"/>).
    /// </summary>
    private static (Plan Plan, LiveState Live) PlanChanges(SpecSet specs, LiveState read, IReadOnlyList<NodeTarget> nodes, PassPolicy policy,
        Dictionary<string, NodeSession> sessions)
    {
        var (plan, live) = SnapshotReads.Plan(live => PruneGuard.Apply(Planner.Compute(specs, live, Workspace.Options(nodes, policy.Adopt, policy.MaxDisruption)),
            live, policy.MassPrune ?? PruneLimits.Default), read.Nodes, sessions, nodes);
        return (plan, ReferenceEquals(live, read.Nodes) ? read : Index(live));
    }

    /// <summary>
    /// Applies the changes no hold stopped, in plan order; first releases the lock of every node
    /// they do not touch (neither as target nor as a move's source). Null when nothing is applied:
    /// everything is held, or the pass was cancelled.
    /// </summary>
    private static ApplyResult? Apply(Plan plan, IReadOnlyList<Decision> decisions, Dictionary<string, NodeSession> sessions, PassLocks locks,
        IReadOnlyList<NodeTarget> nodes, PassPolicy policy, TextWriter progress, CancellationToken ct)
    {
        var toApply = decisions.Where(d => d.Hold is null).Select(d => d.Change).ToList();
        var touched = toApply.SelectMany(c => c.TouchedNodes()).ToHashSet(StringComparer.Ordinal);
        locks.ReleaseAllBut(nodes.Where(n => touched.Contains(n.Name)).Select(n => n.Uri));
        if (toApply.Count == 0 || ct.IsCancellationRequested) return null;
        try
        {
            return new Applier(sessions, new ApplyOptions(policy.ShutdownTimeout, VerifyLive: false), progress)
                .Apply(plan with { Changes = toApply }, ct);
        }
        finally
        {
            // Not every change of ours sends a lifecycle event (a live vCPU or memory change, a
            // hotplug): the next read fetches every domain this pass touched.
            foreach (var group in toApply.OfType<DomainChange>().SelectMany(c => c.TouchedNodes().Select(n => (Node: n, c.Name))).GroupBy(x => x.Node, StringComparer.Ordinal))
            {
                if (sessions.TryGetValue(group.Key, out var session)) session.Forget(group.Select(x => x.Name).ToHashSet(StringComparer.Ordinal));
            }
        }
    }
}
