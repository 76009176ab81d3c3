using System.Globalization;
using System.Text;

namespace Reconciler.Host;

/// <summary>
/// The controller's metrics, written in the Prometheus text exposition format (version 0.0.4).
/// Counters and one histogram; gauges are read from the status store when scraped.
/// </summary>
internal sealed class Metrics
{
    private static readonly double[] Buckets = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];
    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _passes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _errors = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _fetches = new(StringComparer.Ordinal);
    private readonly long[] _bucketCounts = new long[Buckets.Length];
    private double _durationSum;
    private long _durationCount;
    private long _driftCorrections;
    private long _driftDetected;
    private long _events;
    private readonly Dictionary<string, long> _snapshotsTaken = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _snapshotsFailed = new(StringComparer.Ordinal);
    private long _snapshotsPruned;
    private long _targeted;
    private double _fullReadCpu;
    private double _resyncPeriod;

    /// <summary>A full read (the resync) took <paramref name="cpu"/> of the process's CPU; the next is due <paramref name="period"/> after it.</summary>
    public void FullRead(TimeSpan cpu, TimeSpan period)
    {
        lock (_gate)
        {
            _fullReadCpu = cpu.TotalSeconds;
            _resyncPeriod = period.TotalSeconds;
        }
    }

    /// <summary>A pass ran; <paramref name="targeted"/>: it planned only the domains in its scope (<see cref="Engine.Reconcile.PassReport.Scope"/>).</summary>
    public void Pass(string result, TimeSpan duration, bool targeted = false)
    {
        lock (_gate)
        {
            _passes[result] = _passes.GetValueOrDefault(result) + 1;
            if (targeted) _targeted++;
            var s = duration.TotalSeconds;
            _durationSum += s;
            _durationCount++;
            for (var i = 0; i < Buckets.Length; i++)
            {
                if (s <= Buckets[i]) _bucketCounts[i]++;
            }
        }
    }

    public void Error(string kind, int count = 1)
    {
        if (count <= 0) return;
        lock (_gate) _errors[kind] = _errors.GetValueOrDefault(kind) + count;
    }

    public void Fetch(string result)
    {
        lock (_gate) _fetches[result] = _fetches.GetValueOrDefault(result) + 1;
    }

    public void Drift(int corrected, int detected)
    {
        lock (_gate)
        {
            _driftCorrections += corrected;
            _driftDetected += detected;
        }
    }

    public void Event()
    {
        lock (_gate) _events++;
    }

    /// <summary>A snapshot taken (by <paramref name="origin"/>), and how many older ones were pruned after it.</summary>
    public void SnapshotTaken(string origin, int pruned)
    {
        lock (_gate)
        {
            _snapshotsTaken[origin] = _snapshotsTaken.GetValueOrDefault(origin) + 1;
            _snapshotsPruned += pruned;
        }
    }

    /// <summary>A due snapshot not taken: <c>quiesce</c> (the freeze failed, onQuiesceFailure: skip) or <c>error</c> (libvirt refused).</summary>
    public void SnapshotFailed(string reason)
    {
        lock (_gate) _snapshotsFailed[reason] = _snapshotsFailed.GetValueOrDefault(reason) + 1;
    }

    public string Render(StatusDocument status, IReadOnlyDictionary<string, int> byState)
    {
        var b = new StringBuilder();
        lock (_gate)
        {
            Header(b, "reconciler_reconcile_total", "counter", "Reconcile passes, by result.");
            foreach (var result in new[] { "success", "error" }) Line(b, "reconciler_reconcile_total", $"result=\"{result}\"", _passes.GetValueOrDefault(result));
            Single(b, "reconciler_reconcile_targeted_total", "counter", "Reconcile passes that planned only the domains a revision changed or libvirt events named (counted in reconciler_reconcile_total too).", _targeted);
            Single(b, "reconciler_full_read_cpu_seconds", "gauge", "CPU time of the last full read (the resync: every definition read again), with the memory trim after it.", _fullReadCpu);
            Single(b, "reconciler_resync_period_seconds", "gauge", "How long after a full read the next is due (--resync; auto: --interval, stretched to 100x the last full read's CPU time).", _resyncPeriod);
            Header(b, "reconciler_reconcile_duration_seconds", "histogram", "Duration of reconcile passes.");
            for (var i = 0; i < Buckets.Length; i++)
            {
                Line(b, "reconciler_reconcile_duration_seconds_bucket", $"le=\"{Buckets[i].ToString(CultureInfo.InvariantCulture)}\"", _bucketCounts[i]);
            }
            Line(b, "reconciler_reconcile_duration_seconds_bucket", "le=\"+Inf\"", _durationCount);
            Line(b, "reconciler_reconcile_duration_seconds_sum", null, _durationSum);
            Line(b, "reconciler_reconcile_duration_seconds_count", null, _durationCount);
            Single(b, "reconciler_drift_corrections_total", "counter", "Domains put back to their spec after a change behind the controller's back.", _driftCorrections);
            Single(b, "reconciler_drift_detected_total", "counter", "Drift seen and left alone (report mode, suspended, backing off).", _driftDetected);
            Header(b, "reconciler_errors_total", "counter", "Errors, by kind (apply, source, invalid_spec, node, lock, internal).");
            foreach (var kind in new[] { "apply", "source", "invalid_spec", "node", "lock", "internal" }.Union(_errors.Keys))
            {
                Line(b, "reconciler_errors_total", $"kind=\"{kind}\"", _errors.GetValueOrDefault(kind));
            }
            Header(b, "reconciler_source_fetch_total", "counter", "Source fetches, by result.");
            foreach (var result in new[] { "success", "invalid", "error" }) Line(b, "reconciler_source_fetch_total", $"result=\"{result}\"", _fetches.GetValueOrDefault(result));
            Single(b, "reconciler_libvirt_events_total", "counter", "libvirt domain lifecycle events received.", _events);
            Header(b, "reconciler_snapshots_taken_total", "counter", "Snapshots the controller took, by origin.");
            foreach (var origin in new[] { "schedule" }.Union(_snapshotsTaken.Keys)) Line(b, "reconciler_snapshots_taken_total", $"origin=\"{origin}\"", _snapshotsTaken.GetValueOrDefault(origin));
            Single(b, "reconciler_snapshots_pruned_total", "counter", "Reconciler's snapshots deleted by snapshotsToKeep after a new one.", _snapshotsPruned);
            Header(b, "reconciler_snapshots_failed_total", "counter", "Due snapshots not taken, by reason (quiesce: the guest agent did not freeze and onQuiesceFailure is skip; error: libvirt refused).");
            foreach (var reason in new[] { "quiesce", "error" }.Union(_snapshotsFailed.Keys)) Line(b, "reconciler_snapshots_failed_total", $"reason=\"{reason}\"", _snapshotsFailed.GetValueOrDefault(reason));
        }
        Header(b, "reconciler_resources", "gauge", "Managed resources, by condition.");
        foreach (var state in new[] { "Ready", "Reconciling", "Stalled", "Drifted", "Suspended" })
        {
            Line(b, "reconciler_resources", $"condition=\"{state}\"", byState.GetValueOrDefault(state));
        }
        Single(b, "reconciler_ready", "gauge", "1 after the first successful sync.", status.Ready ? 1 : 0);
        Single(b, "reconciler_suspended", "gauge", "1 while changes are suspended.", status.Suspended ? 1 : 0);
        Single(b, "reconciler_source_ready", "gauge", "1 while the source is fetched and valid.", status.Source.Condition.Status == "True" ? 1 : 0);
        if (status.Source.AppliedRevision is { } revision)
        {
            Header(b, "reconciler_source_revision_info", "gauge", "The revision in force.");
            Line(b, "reconciler_source_revision_info", $"revision=\"{Escape(revision)}\"", 1);
        }
        Header(b, "reconciler_node_up", "gauge", "1 when the node was read by the last pass.");
        foreach (var node in status.Nodes) Line(b, "reconciler_node_up", $"node=\"{Escape(node.Name)}\"", node.Reachable ? 1 : 0);
        return b.ToString();
    }

    /// <summary>A metric of one unlabelled value: its header and its line.</summary>
    private static void Single(StringBuilder b, string name, string type, string help, double value)
    {
        Header(b, name, type, help);
        Line(b, name, null, value);
    }

    private static void Header(StringBuilder b, string name, string type, string help) =>
        b.Append("# HELP ").Append(name).Append(' ').Append(help).Append('\n').Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

    private static void Line(StringBuilder b, string name, string? labels, double value)
    {
        b.Append(name);
        if (labels is not null) b.Append('{').Append(labels).Append('}');
        b.Append(' ').Append(value.ToString("R", CultureInfo.InvariantCulture)).Append('\n');
    }

    private static string Escape(string value) =>
        value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
