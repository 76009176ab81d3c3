using Reconciler.Engine.Reconcile;

namespace Reconciler.Host;

/// <summary>
/// What the reconcile loop tells about each pass; status, metrics, GitHub reporting and the log
/// each take it in (<see cref="ReconcileObservers"/>). Called on the loop's thread, one pass at a
/// time: <see cref="PassStarted"/> once the pass's nodes are known, then <see cref="PassFinished"/>
/// or <see cref="PassFailed"/> (which may also come without <see cref="PassStarted"/>, when the
/// nodes could not be resolved). Observers must not throw.
/// </summary>
internal interface IReconcileObserver
{
    /// <summary>A pass over <paramref name="revision"/> starts.</summary>
    void PassStarted(string revision);

    /// <summary>The pass ran to its end; <paramref name="report"/> has every resource's outcome and every node's read error.</summary>
    void PassFinished(string revision, PassReport report, TimeSpan elapsed);

    /// <summary>The pass could not run (an unexpected error); the loop retries it after a backoff.</summary>
    void PassFailed(string revision, Exception error, TimeSpan elapsed);
}

/// <summary>Tells every observer, in the order given (the status store first, so anything told later sees the pass recorded).</summary>
internal sealed class ReconcileObservers(IReadOnlyList<IReconcileObserver> observers) : IReconcileObserver
{
    public void PassStarted(string revision)
    {
        foreach (var o in observers) o.PassStarted(revision);
    }

    public void PassFinished(string revision, PassReport report, TimeSpan elapsed)
    {
        foreach (var o in observers) o.PassFinished(revision, report, elapsed);
    }

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
        foreach (var o in observers) o.PassFailed(revision, error, elapsed);
    }
}
