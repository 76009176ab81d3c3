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
/// <param name="ReuseDefinitions">
/// Whether the read may reuse a definition a long-lived connection read before and libvirt sent no
/// lifecycle event for since (see NodeSession.Reuse.cs); false: every definition is fetched (the
/// periodic resync, and every pass on connections opened for the pass).
/// </param>
/// <param name="Scope">
/// The domains a targeted pass is about (those changed in the specs or named by a libvirt event since
/// the last pass); null: every resource. The pass plans and reports only these when that is safe,
/// and everything otherwise (ReconcilePass.Target.cs); <see cref="PassReport.Scope"/> says which it did.
/// </param>
public sealed record PassPolicy(
    DriftMode Drift,
    bool Suspend,
    TimeSpan ShutdownTimeout,
    TimeSpan LockWait,
    bool Adopt,
    Func<string, string, bool> MayApply,
    Func<string, string, string?> LastSyncedKey,
    Disruption? MaxDisruption = Disruption.NextBoot,
    string SuspendReason = ReconcileReasons.Suspended,
    PruneLimits? MassPrune = null,
    PruneSettle? Settle = null,
    bool ReuseDefinitions = false,
    IReadOnlySet<string>? Scope = null);

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
/// <param name="Reason">A short CamelCase reason for status conditions (<see cref="ReconcileReasons"/>).</param>
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
public sealed record PassReport(Plan Plan, IReadOnlyList<ResourceReport> Resources, IReadOnlyList<PlanNode> Nodes, ApplyResult? Applied)
{
    /// <summary>
    /// The domains this pass planned and reported, when it was a targeted pass that kept to its
    /// scope: every other resource is as the last pass reported it. Null: the pass planned and
    /// reported every resource.
    /// </summary>
    public IReadOnlySet<string>? Scope { get; init; }
}
