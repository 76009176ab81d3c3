using Reconciler.Core.Planning;
using Reconciler.Engine.Reconcile;
using Reconciler.Sources;

namespace Reconciler.Host;

/// <summary>
/// What a pass may do, assembled as it starts: the settings; leadership (only the elected leader
/// changes anything); each resource's backoff and last in-sync key from the status store; an
/// approval of the revision's mass removals; and whether the source has settled for removals.
/// </summary>
internal sealed class PassPolicies(ControllerSettings settings, StatusStore status, Leadership leadership, PruneApprovals approvals, DesiredState desired,
    RuntimeSuspend runtime)
{
    /// <summary>When the loop must run again at the latest: the earliest retry a backoff asked for; null when none did.</summary>
    public DateTimeOffset? NextRetry() => status.NextWake();

    /// <summary>
    /// The policy of a pass over <paramref name="snapshot"/>, and a token cancelled the moment
    /// leadership is lost (a pass started as leader stops between steps then). Called once per
    /// pass: it consumes an approval of another revision's removals.
    /// </summary>
    public (PassPolicy Policy, CancellationToken LeaderLost) For(SourceSnapshot snapshot)
    {
        var (leading, lost) = leadership.ForPass();
        var suspended = settings.Suspend || runtime.On;
        var policy = new PassPolicy(settings.Drift, suspended || !leading, settings.ShutdownTimeout, settings.LockTimeout, settings.Adopt,
            status.MayApply, status.SyncedKey, settings.MaxDisruption,
            suspended || leading ? ReconcileReasons.Suspended : ReconcileReasons.NotLeader,
            MassPrune: approvals.ForPass(snapshot.Revision) ? PruneLimits.Unlimited : settings.MassPrune,
            Settle: desired.Settle(snapshot, settings.PruneSettle));
        return (policy, lost);
    }
}
