using Reconciler.Core.Diagnostics;
using Reconciler.Sources;

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
                condition = new Condition("Ready", "False", "FetchFailed", _fetchError);
            }
            else if (_rejected is not null)
            {
                var errors = _rejected.Load.Diagnostics.Where(d => d.Severity == Severity.Error).ToList();
                condition = new Condition("Ready", "False", "InvalidSpec",
                    $"revision {Short(_rejected.Revision)} is rejected ({errors.Count} error(s)); revision {Short(_good?.Revision)} stays in force: "
                    + string.Join("; ", errors.Take(3).Select(d => d.ToString().Split('\n')[0])));
            }
            else if (_good is null)
            {
                condition = new Condition("Ready", "Unknown", "NotFetched", "the source has not been read yet");
            }
            else
            {
                condition = new Condition("Ready", "True", "Fetched", $"revision {Short(_good.Revision)}");
            }
            return new SourceStatus(kind, description, _latestRevision, _good?.Revision, _rejected?.Revision,
                _rejected?.Load.Diagnostics.Select(d => d.ToString()).ToList() ?? [], _fetchError, _lastFetch, _lastSuccess, condition);
        }
    }

    public static string Short(string? revision) => revision is null ? "(none)" : revision.Length > 12 ? revision[..12] : revision;
}
