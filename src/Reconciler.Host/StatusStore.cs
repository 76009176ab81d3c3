using Reconciler.Engine.Reconcile;

namespace Reconciler.Host;

/// <summary>
/// Everything the controller knows about each resource and node between passes: conditions,
/// failures and backoff, the last in-sync spec key (to tell drift from spec changes), readiness.
/// </summary>
internal sealed class StatusStore(ControllerSettings settings, TimeProvider clock, RuntimeSuspend? runtime = null)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Node, string Name), Entry> _resources = [];
    private readonly Dictionary<string, NodeStatus> _nodes = new(StringComparer.Ordinal);
    private PassStatus? _lastPass;
    private bool _ready;
    private DateTimeOffset? _globalRetryAt;
    private int _globalFailures;
    private IReadOnlyList<HeldPruneStatus> _heldPrunes = [];

    private sealed class Entry
    {
        public required ResourceStatus Status { get; set; }
        public string? SyncedKey { get; set; }
        public int Failures { get; set; }
        public DateTimeOffset? RetryAt { get; set; }
    }

    public bool Ready
    {
        get { lock (_gate) return _ready; }
    }

    /// <summary>Whether a resource may be changed now (not backing off).</summary>
    public bool MayApply(string node, string name)
    {
        lock (_gate)
        {
            return !_resources.TryGetValue((node, name), out var e) || e.RetryAt is null || e.RetryAt <= clock.GetUtcNow();
        }
    }

    public string? SyncedKey(string node, string name)
    {
        lock (_gate)
        {
            return _resources.TryGetValue((node, name), out var e) ? e.SyncedKey : null;
        }
    }

    /// <summary>When the loop should run next at the latest, given backoffs.</summary>
    public DateTimeOffset? NextWake()
    {
        lock (_gate)
        {
            var retries = _resources.Values.Select(e => e.RetryAt).Append(_globalRetryAt).OfType<DateTimeOffset>().ToList();
            return retries.Count == 0 ? null : retries.Min();
        }
    }

    /// <summary>Takes in a pass's report; a targeted pass's (<see cref="PassReport.Scope"/>) changes only the resources in its scope.</summary>
    public void Record(PassReport report, string revision, TimeSpan duration)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            _globalFailures = 0;
            _globalRetryAt = null;
            var seen = new HashSet<(string, string)>();
            foreach (var r in report.Resources)
            {
                var key = (r.Node, r.Name);
                if (r.Outcome == ResourceOutcome.Pruned)
                {
                    _resources.Remove(key);
                    continue;
                }
                seen.Add(key);
                _resources.TryGetValue(key, out var entry);
                var failures = entry?.Failures ?? 0;
                // A retry that fell due is the pass that just ran: kept, it would ask for a pass now,
                // again and again, while the outcome is one that sets no new retry (a node unreachable).
                DateTimeOffset? retryAt = entry?.RetryAt is { } due && due > now ? due : null;
                DateTimeOffset? failedAt = entry?.Status.LastFailureAt;
                string? lastError = entry?.Status.LastError;
                switch (r.Outcome)
                {
                    case ResourceOutcome.Failed:
                        failures++;
                        failedAt = now;
                        retryAt = now + Backoff.Delay(failures, settings.BackoffBase, settings.BackoffMax);
                        lastError = r.Message;
                        break;
                    case ResourceOutcome.InSync or ResourceOutcome.Applied or ResourceOutcome.DriftCorrected:
                        failures = 0;
                        retryAt = null;
                        failedAt = null;
                        lastError = null;
                        break;
                    case ResourceOutcome.Deferred:
                        // Left alone because its retry was not due when the pass decided. If it fell
                        // due since, that retry is still owed: kept (due now), not dropped as the pass
                        // that ran it — else nothing asks for it, and the resource waits for the resync.
                        retryAt ??= entry?.RetryAt;
                        break;
                    case ResourceOutcome.Blocked:
                        lastError = r.Message;
                        break;
                    case ResourceOutcome.Waiting:
                        // Not a failure: another apply holds the node; look again soon, but not
                        // sooner than a failure's backoff already asked for.
                        var soon = now + settings.BackoffBase;
                        retryAt = retryAt is { } later && later > soon ? later : soon;
                        break;
                }
                var (state, conditions) = Conditions(r, failures, retryAt);
                var synced = r.Outcome is ResourceOutcome.InSync or ResourceOutcome.Applied or ResourceOutcome.DriftCorrected ? r.DesiredKey : entry?.SyncedKey;
                var transition = entry is null || entry.Status.State != state ? now : entry.Status.LastTransitionAt;
                var status = new ResourceStatus(r.Node, r.Kind.ToString(), r.Name, state, r.Reason, r.Message, conditions,
                    r.AppliedRevision, lastError, r.PendingRestart, r.IsDrift && r.Outcome != ResourceOutcome.DriftCorrected,
                    failures, retryAt, transition, failedAt, r.PruneAt);
                _resources[key] = new Entry { Status = status, SyncedKey = synced, Failures = failures, RetryAt = retryAt };
            }
            var scope = report.Scope;
            foreach (var gone in _resources.Keys.Where(k => !seen.Contains(k) && (scope is null || scope.Contains(k.Name))).ToList()) _resources.Remove(gone);
            foreach (var node in report.Nodes)
            {
                var events = _nodes.TryGetValue(node.Name, out var n) && n.EventsConnected;
                _nodes[node.Name] = new NodeStatus(node.Name, node.Uri, node.Error is null, events, node.Error ?? (events ? null : n?.LastError));
            }
            foreach (var stale in _nodes.Keys.Where(k => report.Nodes.All(n => n.Name != k)).ToList()) _nodes.Remove(stale);
            var applied = report.Applied?.Steps.Count(s => s.Status == Engine.Apply.StepStatus.Done) ?? 0;
            _lastPass = new PassStatus(now, revision, duration.TotalSeconds, report.Plan.Changes.Count, applied, null);
            if (scope is null) _heldPrunes = report.Plan.HeldPrunes.Select(h => new HeldPruneStatus(h.Node, h.Revision, h.Count, h.Owned, h.Changes.Select(c => c.Name).ToList())).ToList();
            if (report.Nodes.All(n => n.Error is null)) _ready = true;
        }
    }

    /// <summary>A pass that could not run at all; retried with backoff.</summary>
    public TimeSpan PassFailed(string? revision, string error, TimeSpan duration)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            _globalFailures++;
            var delay = Backoff.Delay(_globalFailures, settings.BackoffBase, settings.BackoffMax);
            _globalRetryAt = now + delay;
            _lastPass = new PassStatus(now, revision, duration.TotalSeconds, 0, 0, error);
            return delay;
        }
    }

    public void EventConnection(string node, string uri, bool connected, string? error)
    {
        lock (_gate)
        {
            _nodes.TryGetValue(node, out var n);
            _nodes[node] = new NodeStatus(node, uri, n?.Reachable ?? connected, connected, error ?? (connected ? null : n?.LastError));
        }
    }

    public IReadOnlyDictionary<string, int> CountByState()
    {
        lock (_gate)
        {
            return _resources.Values.GroupBy(e => e.Status.State).ToDictionary(g => g.Key, g => g.Count());
        }
    }

    /// <summary>The mass removals the last pass held.</summary>
    public IReadOnlyList<HeldPruneStatus> HeldPrunes
    {
        get { lock (_gate) return _heldPrunes; }
    }

    public StatusDocument Snapshot(SourceStatus source)
    {
        lock (_gate)
        {
            return new StatusDocument(1, _ready, settings.Suspend || runtime?.On == true, settings.Drift.ToString().ToLowerInvariant(), source,
                _nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList(), _lastPass,
                _resources.Values.Select(e => e.Status).OrderBy(s => s.Node, StringComparer.Ordinal).ThenBy(s => s.Name, StringComparer.Ordinal).ToList())
            {
                HeldPrunes = _heldPrunes,
            };
        }
    }

    private static (string State, IReadOnlyList<Condition> Conditions) Conditions(ResourceReport r, int failures, DateTimeOffset? retryAt)
    {
        Condition Ready(string status, string? reason = null) => new("Ready", status, reason ?? r.Reason, r.Message);
        Condition Reconciling(bool on, string? message = null) => new("Reconciling", on ? "True" : "False", on ? r.Reason : ReconcileReasons.Idle, on ? message ?? r.Message : null);
        Condition Stalled(bool on) => new("Stalled", on ? "True" : "False", on ? r.Reason : ReconcileReasons.None, on ? r.Message : null);
        return r.Outcome switch
        {
            ResourceOutcome.InSync or ResourceOutcome.Applied or ResourceOutcome.DriftCorrected =>
                ("Ready", [Ready("True"), Reconciling(false), Stalled(false)]),
            ResourceOutcome.DriftReported => ("Drifted", [Ready("False"), Reconciling(false), Stalled(false)]),
            ResourceOutcome.Suspended => ("Suspended", [Ready("False"), Reconciling(false), Stalled(false)]),
            ResourceOutcome.Blocked => ("Stalled", [Ready("False"), Reconciling(false), Stalled(true)]),
            // Its node cannot be reached (libvirt's error in the message): its state is unknown and
            // nothing can progress until the node is reconnected (which happens with backoff).
            ResourceOutcome.NodeUnreachable => ("Unknown", [Ready("Unknown"), Reconciling(false), Stalled(true)]),
            // Another apply holds its node's lock: the change waits for a later pass (not a failure).
            ResourceOutcome.Waiting => ("Reconciling", [Ready("False"), Reconciling(true), Stalled(false)]),
            // Left the specs, but the source has not settled: removed later if a fresh read still lacks it.
            ResourceOutcome.PrunePending => ("Reconciling", [Ready("False"), Reconciling(true), Stalled(false)]),
            // Part of a mass removal: nothing happens until a person approves (reconcile approve-prune).
            ResourceOutcome.PruneHeld => ("Stalled", [Ready("False"), Reconciling(false), Stalled(true)]),
            ResourceOutcome.Failed or ResourceOutcome.Deferred =>
                ("Reconciling", [Ready("False"), Reconciling(true, $"{failures} failure(s); next retry {retryAt:O}: {r.Message}"), Stalled(false)]),
            _ => ("Reconciling", [Ready("Unknown"), Reconciling(true), Stalled(false)]),
        };
    }
}
