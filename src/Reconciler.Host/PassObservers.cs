using Microsoft.Extensions.Logging;
using Reconciler.Core.Diagnostics;
using Reconciler.Engine.Reconcile;
using Reconciler.GitHub;

namespace Reconciler.Host;

/// <summary>
/// Records each pass in the <see cref="StatusStore"/>: every resource's state and backoff; a pass
/// with unreachable nodes, or one that failed, counts as failed (retried with backoff).
/// </summary>
internal sealed partial class StatusObserver(StatusStore status, ILogger<ReconcileService> logger) : IReconcileObserver
{
    public void PassStarted(string revision)
    {
    }

    public void PassFinished(string revision, PassReport report, TimeSpan elapsed)
    {
        status.Record(report, revision, elapsed);
        if (report.Nodes.Any(n => n.Error is not null))
        {
            // An unreachable node is retried soon: its domains are unknown, not in sync.
            status.PassFailed(revision, "node unreachable: " + string.Join("; ", report.Nodes.Where(n => n.Error is not null).Select(n => $"{n.Name}: {n.Error}")), elapsed);
        }
    }

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
        var delay = status.PassFailed(revision, $"{error.GetType().Name}: {error.Message}", elapsed);
        LogPassBug(revision, delay.TotalSeconds, error);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "revision={Revision} pass failed unexpectedly; retrying in {Seconds:0.#}s")]
    private partial void LogPassBug(string revision, double seconds, Exception e);
}

/// <summary>Counts passes, their durations, drift and errors by kind (apply, node, lock, internal) for <c>/metrics</c>.</summary>
internal sealed class MetricsObserver(Metrics metrics) : IReconcileObserver
{
    public void PassStarted(string revision)
    {
    }

    public void PassFinished(string revision, PassReport report, TimeSpan elapsed)
    {
        metrics.Drift(report.Resources.Count(r => r.Outcome == ResourceOutcome.DriftCorrected),
            report.Resources.Count(r => r.Outcome == ResourceOutcome.DriftReported || (r.IsDrift && r.Outcome != ResourceOutcome.DriftCorrected)));
        metrics.Error("apply", report.Resources.Count(r => r.Outcome == ResourceOutcome.Failed));
        metrics.Error("node", report.Nodes.Count(n => n.Error is not null));
        // A node locked by another apply: its changes wait (retried soon), the other nodes went on.
        metrics.Error("lock", report.Resources.Count(r => r.Outcome == ResourceOutcome.Waiting));
        var failed = report.Resources.Any(r => r.Outcome == ResourceOutcome.Failed) || report.Nodes.Any(n => n.Error is not null);
        metrics.Pass(failed ? "error" : "success", elapsed, targeted: report.Scope is not null);
    }

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
        metrics.Error("internal");
        metrics.Pass("error", elapsed);
    }
}

/// <summary>Sets the <c>reconciler/apply</c> commit status of the revision a pass applies (pending, then its summary).</summary>
internal sealed class GitHubObserver(ApplyStatusTracker github) : IReconcileObserver
{
    public void PassStarted(string revision) => github.Starting(revision);

    /// <summary>A targeted pass (<see cref="PassReport.Scope"/>) says nothing of the rest of the revision: only a whole pass sets the commit status.</summary>
    public void PassFinished(string revision, PassReport report, TimeSpan elapsed)
    {
        if (report.Scope is null) github.Finished(revision, ApplyStatusSummary.From(report));
    }

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
    }
}

/// <summary>Logs every resource that is not in sync, and every plan error that blocked none of them.</summary>
internal sealed partial class LogObserver(ILogger<ReconcileService> logger) : IReconcileObserver
{
    public void PassStarted(string revision)
    {
    }

    public void PassFinished(string revision, PassReport report, TimeSpan elapsed)
    {
        foreach (var r in report.Resources.Where(r => r.Outcome is not ResourceOutcome.InSync))
        {
            LogResource(r.Outcome is ResourceOutcome.Failed or ResourceOutcome.Blocked or ResourceOutcome.NodeUnreachable ? LogLevel.Warning : LogLevel.Information,
                revision, $"{r.Node}/{r.Name}", r.Outcome.ToString(), r.Reason, r.Message ?? "");
        }
        foreach (var d in report.Plan.Diagnostics.Where(d => d.Severity == Severity.Error && report.Resources.All(r => r.Outcome != ResourceOutcome.Blocked || !r.Message!.StartsWith(d.Message, StringComparison.Ordinal))))
        {
            LogPlanDiagnostic(revision, d.ToString().Replace('\n', ' '));
        }
    }

    public void PassFailed(string revision, Exception error, TimeSpan elapsed)
    {
    }

    [LoggerMessage(Message = "revision={Revision} resource={Resource} {Outcome} ({Reason}): {Message}")]
    private partial void LogResource(LogLevel level, string revision, string resource, string outcome, string reason, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "revision={Revision} plan: {Diagnostic}")]
    private partial void LogPlanDiagnostic(string revision, string diagnostic);
}
