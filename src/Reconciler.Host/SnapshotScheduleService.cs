using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Engine;
using Reconciler.Engine.Apply;
using Reconciler.Libvirt;

namespace Reconciler.Host;

/// <summary>The clock the snapshot schedule runs on: the system's, or a test's fake one (the rest of the controller keeps its own).</summary>
/// <param name="Time">The time provider.</param>
internal sealed record SnapshotClock(TimeProvider Time);

/// <summary>One of Reconciler's snapshots as <c>/status</c> shows it.</summary>
/// <param name="Name">The snapshot's name.</param>
/// <param name="TakenAt">When it was taken (the time in its name).</param>
/// <param name="Kind">internal or external.</param>
/// <param name="Origin">schedule, update or hand.</param>
/// <param name="Quiesced">Whether the filesystems were frozen; null when no freeze was asked for.</param>
/// <param name="Label">The label given by hand, or null.</param>
public sealed record SnapshotItemStatus(string Name, DateTimeOffset TakenAt, string Kind, string Origin, bool? Quiesced, string? Label);

/// <summary>A domain's snapshots as the controller last saw them.</summary>
/// <param name="Schedule">Its <c>spec.snapshots.schedule</c>, or null.</param>
/// <param name="Keep">Its <c>spec.snapshotsToKeep</c>.</param>
/// <param name="NextAt">The next slot of the schedule, or null.</param>
/// <param name="LastResult">What the last due snapshot came to: Taken, Skipped or Failed; null before one was due.</param>
/// <param name="LastMessage">Why it was skipped or failed (or taken unfrozen), or null.</param>
/// <param name="LastAt">When that was.</param>
/// <param name="Items">Reconciler's snapshots of it, oldest first.</param>
/// <param name="Others">Snapshots anyone else made (never touched).</param>
/// <param name="Error">Why they could not be read, or null.</param>
/// <param name="CheckedAt">When the schedule's last round read them (by the snapshot clock).</param>
public sealed record SnapshotsStatus(string? Schedule, int Keep, DateTimeOffset? NextAt, string? LastResult, string? LastMessage, DateTimeOffset? LastAt,
    IReadOnlyList<SnapshotItemStatus> Items, int Others, string? Error, DateTimeOffset CheckedAt);

/// <summary>Each domain's snapshots after the last round of the schedule, merged into <c>/status</c>.</summary>
internal sealed class SnapshotStore
{
    private readonly Lock _gate = new();
    private Dictionary<(string? Node, string Name), SnapshotsStatus> _domains = [];

    /// <summary>When the last round ran (by the snapshot clock), or null before the first.</summary>
    public DateTimeOffset? LastRoundAt { get; private set; }

    /// <summary>Replaces what is known with a round's reads, keeping each domain's last outcome until a new one.</summary>
    public void Record(SnapshotRound round)
    {
        lock (_gate)
        {
            var next = new Dictionary<(string? Node, string Name), SnapshotsStatus>();
            foreach (var d in round.Domains)
            {
                var outcome = round.Events.LastOrDefault(e => e.Domain == d.Domain);
                var before = _domains.GetValueOrDefault((d.Node, d.Domain));
                DateTimeOffset? nextAt = d.Schedule is { } text && Core.Model.SnapshotSchedule.TryParse(text, out var s, out _) ? s!.Next(round.At) : null;
                next[(d.Node, d.Domain)] = new SnapshotsStatus(d.Schedule, d.Keep, nextAt,
                    outcome?.Outcome.ToString() ?? before?.LastResult, outcome is null ? before?.LastMessage : outcome.Message, outcome is null ? before?.LastAt : round.At,
                    [.. d.Snapshots.Select(i => new SnapshotItemStatus(i.Name, i.TakenAt, i.Kind.ToString().ToLowerInvariant(), i.Origin.ToString().ToLowerInvariant(), i.Quiesced, i.Label))],
                    d.Others, d.Error, round.At);
            }
            _domains = next;
            LastRoundAt = round.At;
        }
    }

    /// <summary><paramref name="doc"/> with each domain's snapshots.</summary>
    public StatusDocument Merge(StatusDocument doc)
    {
        lock (_gate)
        {
            if (_domains.Count == 0) return doc;
            return doc with
            {
                Resources = [.. doc.Resources.Select(r =>
                    r.Kind == nameof(Core.Model.ResourceKind.Domain) && _domains.TryGetValue((r.Node, r.Name), out var s) ? r with { Snapshots = s } : r)],
            };
        }
    }
}

/// <summary>Wakes the snapshot schedule out of its wait: when the nodes change and after every reconcile pass (a domain just defined is snapshotted without waiting for the clock).</summary>
internal sealed class SnapshotWake : IReconcileObserver
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes at the next <see cref="Signal"/>.</summary>
    public Task Next()
    {
        lock (_gate) return _next.Task;
    }

    /// <summary>Wakes whoever waits on <see cref="Next"/>.</summary>
    public void Signal()
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            done = _next;
            _next = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        done.TrySetResult();
    }

    public void PassStarted(string revision)
    {
    }

    public void PassFinished(string revision, Engine.Reconcile.PassReport report, TimeSpan elapsed) => Signal();

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
    }
}

/// <summary>
/// Takes the declared domains' scheduled snapshots (<see cref="SnapshotScheduler"/>) on the
/// injected <see cref="SnapshotClock"/>: a round after each reconcile pass and when the nodes
/// change (<see cref="SnapshotWake"/>), at the earliest next slot, and at least once a minute of
/// that clock (so the listing in <c>/status</c> stays fresh). Whether a snapshot is due is derived
/// from the snapshots on the node, never from memory: a controller restarted after missed slots
/// takes one snapshot per domain, not one per slot. Counts taken, pruned and failed snapshots in
/// <c>/metrics</c>.
/// </summary>
internal sealed partial class SnapshotScheduleService(DesiredState desired, ReconcileService reconcile, NodeConnectionService connections, SnapshotStore store,
    Metrics metrics, SnapshotClock clock, SnapshotWake wake, ILogger<SnapshotScheduleService> logger) : BackgroundService
{
    /// <summary>The longest wait between rounds.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var scheduler = new SnapshotScheduler(connections.Pool);
        void OnNodes() => wake.Signal();
        reconcile.NodesChanged += OnNodes;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var woken = wake.Next();
                var wait = MaxWait;
                if (desired.Good?.Load.Specs is { } specs && reconcile.Nodes.Count > 0)
                {
                    var now = clock.Time.GetUtcNow();
                    try
                    {
                        var round = await scheduler.RunAsync(specs, reconcile.Nodes, now, stoppingToken).ConfigureAwait(false);
                        Record(round);
                        if (round.NextDue is { } due && due - now < wait) wait = due - now;
                    }
                    catch (LibvirtException e)
                    {
                        LogRoundFailed(e.Message);
                    }
                }
                if (wait < TimeSpan.Zero) wait = TimeSpan.Zero;
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var delay = Task.Delay(wait, clock.Time, timer.Token);
                await Task.WhenAny(delay, woken).ConfigureAwait(false);
                await timer.CancelAsync().ConfigureAwait(false);
                stoppingToken.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            reconcile.NodesChanged -= OnNodes;
        }
    }

    private void Record(SnapshotRound round)
    {
        foreach (var e in round.Events)
        {
            switch (e.Outcome)
            {
                case SnapshotOutcome.Taken:
                    metrics.SnapshotTaken("schedule", e.Pruned.Count);
                    LogTaken(e.Node ?? "?", e.Domain, e.Snapshot!, e.Pruned.Count == 0 ? "none" : string.Join(", ", e.Pruned), e.Message ?? "");
                    break;
                case SnapshotOutcome.Skipped:
                    metrics.SnapshotFailed("quiesce");
                    LogNotTaken(e.Node ?? "?", e.Domain, "skipped", e.Message ?? "");
                    break;
                default:
                    metrics.SnapshotFailed("error");
                    LogNotTaken(e.Node ?? "?", e.Domain, "failed", e.Message ?? "");
                    break;
            }
        }
        store.Record(round);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "snapshot {Snapshot} of {Node}/{Domain} taken on schedule; pruned: {Pruned} {Note}")]
    private partial void LogTaken(string node, string domain, string snapshot, string pruned, string note);

    [LoggerMessage(Level = LogLevel.Warning, Message = "scheduled snapshot of {Node}/{Domain} {What}: {Why}")]
    private partial void LogNotTaken(string node, string domain, string what, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "snapshot round failed: {Error}")]
    private partial void LogRoundFailed(string error);
}
