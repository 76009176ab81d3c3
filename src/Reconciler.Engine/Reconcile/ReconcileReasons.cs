namespace Reconciler.Engine.Reconcile;

/// <summary>
/// Every reason the controller gives: a resource's <see cref="ResourceReport.Reason"/> (and so its
/// status conditions), the reasons of conditions that are off, and the source's Ready reasons.
/// Stable CamelCase words: status readers and alerts match on them.
/// </summary>
public static class ReconcileReasons
{
    /// <summary>Already as specified (<see cref="ResourceOutcome.InSync"/>).</summary>
    public const string InSync = "InSync";

    /// <summary>Changed to match a new or changed spec (<see cref="ResourceOutcome.Applied"/>).</summary>
    public const string Applied = "Applied";

    /// <summary>Drift was put back (<see cref="ResourceOutcome.DriftCorrected"/>).</summary>
    public const string DriftCorrected = "DriftCorrected";

    /// <summary>Drift seen and only reported (<see cref="ResourceOutcome.DriftReported"/>).</summary>
    public const string DriftDetected = "DriftDetected";

    /// <summary>The controller is suspended: changes are planned, not made (<see cref="ResourceOutcome.Suspended"/>).</summary>
    public const string Suspended = "Suspended";

    /// <summary>A standby replica: only the elected leader changes anything (<see cref="ResourceOutcome.Suspended"/>).</summary>
    public const string NotLeader = "NotLeader";

    /// <summary>The resource backs off after failures (<see cref="ResourceOutcome.Deferred"/>).</summary>
    public const string BackingOff = "BackingOff";

    /// <summary>Another apply holds the node's lock (<see cref="ResourceOutcome.Waiting"/>).</summary>
    public const string NodeLocked = "NodeLocked";

    /// <summary>The node could not be read (<see cref="ResourceOutcome.NodeUnreachable"/>).</summary>
    public const string NodeUnreachable = "NodeUnreachable";

    /// <summary>The change was tried and failed (<see cref="ResourceOutcome.Failed"/>).</summary>
    public const string ApplyFailed = "ApplyFailed";

    /// <summary>The pass stopped before the change (<see cref="ResourceOutcome.Cancelled"/>).</summary>
    public const string Interrupted = "Interrupted";

    /// <summary>Removed because it left the specs (<see cref="ResourceOutcome.Pruned"/>).</summary>
    public const string Pruned = "Pruned";

    /// <summary>A removal waits for the source to settle (<see cref="ResourceOutcome.PrunePending"/>).</summary>
    public const string PrunePending = "PrunePending";

    /// <summary>A removal is held as part of a mass removal until a person allows it (<see cref="ResourceOutcome.PruneHeld"/>).</summary>
    public const string MassPruneHeld = "MassPruneHeld";

    /// <summary>The reason of a resource a plan error blocks (<see cref="ResourceOutcome.Blocked"/>): the diagnostic's code in CamelCase (<c>not-owned</c> → <c>NotOwned</c>).</summary>
    public static string Blocked(string diagnosticCode) =>
        string.Concat(diagnosticCode.Split('-', StringSplitOptions.RemoveEmptyEntries).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));

    /// <summary>The reason of a Reconciling condition that is off.</summary>
    public const string Idle = "Idle";

    /// <summary>The reason of a Stalled condition that is off.</summary>
    public const string None = "None";

    /// <summary>The source's Ready reason: the revision in force was fetched.</summary>
    public const string Fetched = "Fetched";

    /// <summary>The source's Ready reason: the last fetch failed.</summary>
    public const string FetchFailed = "FetchFailed";

    /// <summary>The source's Ready reason: the newest revision was rejected.</summary>
    public const string InvalidSpec = "InvalidSpec";

    /// <summary>The source's Ready reason: nothing has been read yet.</summary>
    public const string NotFetched = "NotFetched";
}
