using Reconciler.Core.Diagnostics;
using Reconciler.Sources;
using Reconciler.Engine.Reconcile;

namespace Reconciler.Host;

/// <summary>
/// What the source last produced: the last good revision (the one in force), and the newest
/// rejected one or the fetch error, if any. A rejected revision never replaces the good one.
/// </summary>
internal sealed class DesiredState
{
    private readonly Lock _gate = new();
    private SourceSnapshot? _good;
    private SourceSnapshot? _rejected;
    private string? _fetchError;
    private DateTimeOffset? _lastFetch;
    private DateTimeOffset? _lastSuccess;
    private string? _latestRevision;
    private DateTimeOffset _latestSince;

    /// <summary>The revision in force, or null before the first good one.</summary>
    public SourceSnapshot? Good
    {
        get { lock (_gate) return _good; }
    }

    /// <summary>Records a fetched snapshot; returns true when what is in force (or rejected) changed.</summary>
    public bool Offer(SourceSnapshot snapshot)
    {
        lock (_gate)
        {
            _lastFetch = _lastSuccess = snapshot.FetchedAt;
            _fetchError = null;
            // The source's content is known unchanged since the first fetch that gave this revision.
            if (_latestRevision != snapshot.Revision) _latestSince = snapshot.FetchedAt;
            _latestRevision = snapshot.Revision;
            if (snapshot.IsValid)
            {
                var changed = _good is null || _good.Revision != snapshot.Revision || _rejected is not null;
                _good = snapshot;
                _rejected = null;
                return changed;
            }
            var newRejection = _rejected?.Revision != snapshot.Revision;
            _rejected = snapshot;
            return newRejection;
        }
    }

    /// <summary>
    /// Whether removals of <paramref name="inForce"/> must still wait for the source to settle: it is
    /// settled when it is the newest revision fetched, that revision was first fetched at least
    /// <paramref name="settle"/> ago, and <paramref name="inForce"/> comes from a read made after
    /// that time (so a fresh read still lacks whatever it removes). Null: removals may go ahead.
    /// </summary>
    public Engine.Reconcile.PruneSettle? Settle(SourceSnapshot inForce, TimeSpan settle)
    {
        ArgumentNullException.ThrowIfNull(inForce);
        if (settle <= TimeSpan.Zero) return null;
        lock (_gate)
        {
            var wait = ControllerSettings.Format(settle);
            if (_latestRevision != inForce.Revision)
            {
                return new(null, $"the source changed again (newest revision {Short(_latestRevision)}{(_rejected is null ? "" : ", rejected")}); removals wait until a valid revision has been unchanged for {wait}");
            }
            var due = _latestSince + settle;
            if (inForce.FetchedAt >= due) return null;
            return new(due, $"the source changed at {_latestSince:HH:mm:ss.fff}Z (revision {Short(inForce.Revision)}); removals wait until it has been unchanged for {wait}");
        }
    }

    /// <summary>Records a failed fetch.</summary>
    public void Failed(string error, DateTimeOffset at)
    {
        lock (_gate)
        {
            _fetchError = error;
            _lastFetch = at;
        }
    }

    /// <summary>The source part of the status document.</summary>
    public SourceStatus Status(string kind, string description)
    {
        lock (_gate)
        {
            Condition condition;
            if (_fetchError is not null)
            {
                condition = new Condition("Ready", "False", ReconcileReasons.FetchFailed, _fetchError);
            }
            else if (_rejected is not null)
            {
                var errors = _rejected.Load.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
                condition = new Condition("Ready", "False", ReconcileReasons.InvalidSpec,
                    $"revision {Short(_rejected.Revision)} is rejected ({errors.Count} error(s)); revision {Short(_good?.Revision)} stays in force: "
                    + string.Join("; ", errors.Take(3).Select(d => d.ToString().Split('\n')[0])));
            }
            else if (_good is null)
            {
                condition = new Condition("Ready", "Unknown", ReconcileReasons.NotFetched, "the source has not been read yet");
            }
            else
            {
                condition = new Condition("Ready", "True", ReconcileReasons.Fetched, $"revision {Short(_good.Revision)}");
            }
            return new SourceStatus(kind, description, _latestRevision, _good?.Revision, _rejected?.Revision,
                _rejected?.Load.Diagnostics.Select(d => d.ToString()).ToList() ?? [], _fetchError, _lastFetch, _lastSuccess, condition);
        }
    }

    public static string Short(string? revision) => revision is null ? "(none)" : revision.Length > 12 ? revision[..12] : revision;
}
