using Reconciler.Core.Planning;
using Reconciler.Engine.Reconcile;

namespace Reconciler.Host.Dashboard;

/// <summary>One thing that happened to a resource in a pass (anything but "in sync").</summary>
/// <param name="At">When the pass ended.</param>
/// <param name="Revision">The revision the pass reconciled.</param>
/// <param name="Outcome">What happened: Applied, DriftCorrected, DriftReported, Failed…</param>
/// <param name="Reason">The CamelCase reason.</param>
/// <param name="Message">Detail: the change or the error.</param>
public sealed record ResourceEvent(DateTimeOffset At, string Revision, string Outcome, string Reason, string? Message);

/// <summary>A change a pass planned for a resource: its action and each field, desired against live, with its disruption class.</summary>
/// <param name="At">When the pass ended.</param>
/// <param name="Action">create, update, start, stop, destroy or migrate.</param>
/// <param name="Outcome">What became of it.</param>
/// <param name="Fields">Each differing field.</param>
public sealed record ResourceDiff(DateTimeOffset At, string Action, string Outcome, IReadOnlyList<FieldChange> Fields);

/// <summary>One pass as the activity page lists it.</summary>
/// <param name="Number">Passes since the controller started, counting from 1.</param>
/// <param name="At">When it ended.</param>
/// <param name="Revision">The revision it reconciled.</param>
/// <param name="DurationSeconds">How long it took.</param>
/// <param name="Result">success or error.</param>
/// <param name="Error">Why it failed as a whole, if it did.</param>
/// <param name="Happened">Every resource that was not simply in sync.</param>
public sealed record PassEntry(long Number, DateTimeOffset At, string Revision, double DurationSeconds, string Result, string? Error,
    IReadOnlyList<PassHappening> Happened);

/// <summary>What a pass did to one resource.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Kind">Resource kind.</param>
/// <param name="Name">Resource name.</param>
/// <param name="Event">What happened.</param>
public sealed record PassHappening(string Node, string Kind, string Name, ResourceEvent Event);

/// <summary>
/// What the dashboard remembers beyond <c>/status</c>: the last <see cref="MaxPasses"/> passes, and per
/// resource its last <see cref="MaxEvents"/> events and the last change planned for it. Bounded, in memory,
/// lost on restart. Told by the reconcile loop after the status store (so it sees the pass recorded).
/// </summary>
internal sealed class ActivityLog(DashboardSignal signal) : IReconcileObserver
{
    public const int MaxPasses = 50;
    public const int MaxEvents = 20;

    private readonly Lock _gate = new();
    private readonly LinkedList<PassEntry> _passes = new();
    private readonly Dictionary<(string Node, string Name), LinkedList<ResourceEvent>> _events = [];
    private readonly Dictionary<(string Node, string Name), ResourceDiff> _diffs = [];
    private long _count;

    /// <summary>Passes since start.</summary>
    public long PassCount
    {
        get { lock (_gate) return _count; }
    }

    /// <summary>The remembered passes, newest first.</summary>
    public IReadOnlyList<PassEntry> Passes
    {
        get { lock (_gate) return _passes.ToList(); }
    }

    /// <summary>The remembered events of one resource, newest first.</summary>
    public IReadOnlyList<ResourceEvent> Events(string node, string name)
    {
        lock (_gate) return _events.TryGetValue((node, name), out var list) ? list.ToList() : [];
    }

    /// <summary>The last change planned for one resource, or null when none has been since start.</summary>
    public ResourceDiff? LastDiff(string node, string name)
    {
        lock (_gate) return _diffs.GetValueOrDefault((node, name));
    }

    public void PassStarted(string revision)
    {
    }

    public void PassFinished(string revision, PassReport report, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(report);
        var at = DateTimeOffset.UtcNow;
        var happened = new List<PassHappening>();
        lock (_gate)
        {
            foreach (var r in report.Resources)
            {
                var key = (r.Node, r.Name);
                if (r.Change is { } change)
                {
                    _diffs[key] = new ResourceDiff(at, change.Action.ToString().ToLowerInvariant(), r.Outcome.ToString(), change.Fields);
                }
                if (r.Outcome == ResourceOutcome.InSync) continue;
                var e = new ResourceEvent(at, revision, r.Outcome.ToString(), r.Reason, r.Message);
                happened.Add(new PassHappening(r.Node, r.Kind.ToString(), r.Name, e));
                if (!_events.TryGetValue(key, out var list)) _events[key] = list = new LinkedList<ResourceEvent>();
                list.AddFirst(e);
                while (list.Count > MaxEvents) list.RemoveLast();
            }
            var failed = report.Resources.Any(r => r.Outcome == ResourceOutcome.Failed) || report.Nodes.Any(n => n.Error is not null);
            var nodeErrors = report.Nodes.Where(n => n.Error is not null).Select(n => $"{n.Name}: {n.Error}").ToList();
            Add(at, revision, elapsed, failed ? "error" : "success", nodeErrors.Count == 0 ? null : "node unreachable: " + string.Join("; ", nodeErrors), happened);
        }
        signal.Changed();
    }

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(error);
        lock (_gate) Add(DateTimeOffset.UtcNow, revision, elapsed, "error", $"{error.GetType().Name}: {error.Message}", []);
        signal.Changed();
    }

    private void Add(DateTimeOffset at, string revision, TimeSpan elapsed, string result, string? error, IReadOnlyList<PassHappening> happened)
    {
        _count++;
        _passes.AddFirst(new PassEntry(_count, at, revision, elapsed.TotalSeconds, result, error, happened));
        while (_passes.Count > MaxPasses) _passes.RemoveLast();
    }
}

/// <summary>
/// Tells open dashboards that something they show changed (a pass ended, the source was read, an
/// action was taken). A version number that only grows; waiters are woken once per change, so an
/// open page costs nothing between changes.
/// </summary>
internal sealed class DashboardSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _version;

    /// <summary>The current version.</summary>
    public long Version
    {
        get { lock (_gate) return _version; }
    }

    /// <summary>Records a change and wakes every waiter.</summary>
    public void Changed()
    {
        TaskCompletionSource woken;
        lock (_gate)
        {
            _version++;
            woken = _next;
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        woken.TrySetResult();
    }

    /// <summary>
    /// The version once it is past <paramref name="seen"/> (at once if it already is), or the
    /// current version after <paramref name="timeout"/>; null when <paramref name="ct"/> is cancelled.
    /// </summary>
    public async Task<long?> WaitAsync(long seen, TimeSpan timeout, CancellationToken ct)
    {
        Task next;
        lock (_gate)
        {
            if (_version > seen) return _version;
            next = _next.Task;
        }
        try
        {
            await next.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        return Version;
    }
}
