using System.Text.RegularExpressions;
using Octokit;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Reconcile;

namespace Reconciler.GitHub;

/// <summary>The end of one apply, as the commit status tells it.</summary>
/// <param name="Done">Steps done.</param>
/// <param name="Failed">Steps failed.</param>
/// <param name="NotDone">Steps not attempted (they depended on a failed one, or the apply was refused).</param>
/// <param name="Refusal">Why the whole apply was refused, if it was.</param>
/// <param name="Blocked">Resources the plan would not touch (plan errors) or could not read (node unreachable): the revision is not fully live.</param>
public sealed record ApplyStatusSummary(int Done, int Failed, int NotDone, string? Refusal = null, int Blocked = 0)
{
    /// <summary>Nothing to change: the revision is live as it is.</summary>
    public static ApplyStatusSummary NoChanges { get; } = new(0, 0, 0);

    /// <summary>The summary of an engine <see cref="ApplyResult"/>.</summary>
    public static ApplyStatusSummary From(ApplyResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new(result.Steps.Count(s => s.Status == StepStatus.Done), result.Steps.Count(s => s.Status == StepStatus.Failed),
            result.Steps.Count(s => s.Status == StepStatus.NotDone), result.Refusal);
    }

    /// <summary>
    /// The summary of a controller pass: its apply steps, plus the resources that keep the
    /// revision from being fully live (blocked by the plan, on an unreachable node, or held back
    /// while suspended or backing off). Drift that is only reported does not count against it.
    /// </summary>
    public static ApplyStatusSummary From(PassReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var applied = report.Applied is { } a ? From(a) : NoChanges;
        var blocked = report.Resources.Count(r => r.Outcome is ResourceOutcome.Blocked or ResourceOutcome.NodeUnreachable or ResourceOutcome.PruneHeld);
        var held = report.Resources.Count(r => r.Outcome is ResourceOutcome.Suspended or ResourceOutcome.Deferred or ResourceOutcome.Cancelled or ResourceOutcome.Waiting
            or ResourceOutcome.PrunePending);
        var failed = Math.Max(applied.Failed, report.Resources.Count(r => r.Outcome == ResourceOutcome.Failed));
        return applied with { Failed = failed, NotDone = Math.Max(applied.NotDone, held), Blocked = blocked };
    }

    /// <summary>True when everything was done and nothing is blocked.</summary>
    public bool Succeeded => Refusal is null && Failed == 0 && NotDone == 0 && Blocked == 0;

    /// <summary>The short status description, e.g. <c>Applied: 3 changes</c> or <c>1 failed, 2 done, 1 not done</c>.</summary>
    public string Description =>
        Refusal is not null ? "Refused: " + Refusal
        : Blocked > 0 ? $"{PlanMarkdown.Count(Blocked, "resource")} blocked (plan errors or unreachable nodes); {Done} done, {Failed} failed"
        : Done + Failed + NotDone == 0 ? "Live: no changes needed"
        : Succeeded ? $"Applied: {PlanMarkdown.Count(Done, "change")}"
        : $"{Failed} failed, {Done} done, {NotDone} not done";
}

/// <summary>
/// Where the controller reports the apply of each revision. The GitHub implementation sets the
/// <c>reconciler/apply</c> commit status, so a repository's commit list shows which revision is live.
/// Implementations never throw (cancellation aside): a reporting failure must not stop an apply.
/// </summary>
public interface IApplyStatusReporter
{
    /// <summary>The apply of <paramref name="revision"/> starts (status pending); <paramref name="changes"/> is 0 when not known yet.</summary>
    Task ApplyingAsync(string revision, int changes, CancellationToken ct);

    /// <summary>The apply of <paramref name="revision"/> ended (success or failure with <paramref name="summary"/>).</summary>
    Task AppliedAsync(string revision, ApplyStatusSummary summary, CancellationToken ct);

    /// <summary><paramref name="revision"/> was not applied at all: its specs are invalid (status failure).</summary>
    Task RejectedAsync(string revision, string reason, CancellationToken ct);
}

/// <summary>Reports nowhere: the controller's default when GitHub is not configured.</summary>
public sealed class NullApplyStatusReporter : IApplyStatusReporter
{
    /// <summary>The one instance.</summary>
    public static NullApplyStatusReporter Instance { get; } = new();

    /// <inheritdoc/>
    public Task ApplyingAsync(string revision, int changes, CancellationToken ct) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task AppliedAsync(string revision, ApplyStatusSummary summary, CancellationToken ct) => Task.CompletedTask;

    /// <inheritdoc/>
    public Task RejectedAsync(string revision, string reason, CancellationToken ct) => Task.CompletedTask;
}

/// <summary>
/// Sets <c>reconciler/apply</c> on the applied commit in <paramref name="repository"/>. A revision
/// that is not a Git commit id (a directory source's content hash) is skipped. Failures go to
/// <paramref name="report"/>, token-free, and are never thrown.
/// </summary>
/// <param name="client">An Octokit client from <see cref="GitHubClientFactory"/>.</param>
/// <param name="token">The token, to scrub from messages.</param>
/// <param name="repository">The repository the controller follows.</param>
/// <param name="report">Receives one line per failure or skip.</param>
/// <param name="targetUrl">Optional link shown on the status (e.g. the controller's <c>/status</c> page).</param>
public sealed partial class GitHubApplyStatusReporter(IGitHubClient client, GitHubToken token, GitHubRepository repository,
    Action<string> report, string? targetUrl = null) : IApplyStatusReporter
{
    /// <summary>The status context.</summary>
    public const string Context = "reconciler/apply";

    /// <summary>Creates a reporter with its own client.</summary>
    public static GitHubApplyStatusReporter Create(GitHubConnection connection, GitHubRepository repository, Action<string> report, string? targetUrl = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new(GitHubClientFactory.Create(connection, report), connection.Token, repository, report, targetUrl);
    }

    /// <inheritdoc/>
    public Task ApplyingAsync(string revision, int changes, CancellationToken ct) =>
        SetAsync(revision, new(Context, CommitStatusState.Pending, changes > 0 ? $"Applying {PlanMarkdown.Count(changes, "change")}…" : "Reconciling this revision…"), ct);

    /// <inheritdoc/>
    public Task AppliedAsync(string revision, ApplyStatusSummary summary, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(summary);
        return SetAsync(revision, new(Context, summary.Succeeded ? CommitStatusState.Success : CommitStatusState.Failure, summary.Description), ct);
    }

    /// <inheritdoc/>
    public Task RejectedAsync(string revision, string reason, CancellationToken ct) =>
        SetAsync(revision, new(Context, CommitStatusState.Failure, "Not applied: " + reason), ct);

    private async Task SetAsync(string revision, CommitStatusUpdate status, CancellationToken ct)
    {
        var sha = CommitOf(revision);
        if (sha is null)
        {
            report($"GitHub: revision '{revision}' is not a commit id; {Context} not set");
            return;
        }
        var errors = new List<string>(1);
        await PlanPublisher.SetStatusAsync(client, token, repository, sha, status, targetUrl, errors, ct).ConfigureAwait(false);
        foreach (var e in errors) report("GitHub: " + e);
    }

    /// <summary>
    /// The Git commit id in a revision: the revision itself, or its last <c>@</c>/<c>:</c>-separated
    /// part (<c>main@0123…</c>, <c>git:0123…</c>), when that is 40 or 64 hex digits; else null.
    /// </summary>
    public static string? CommitOf(string revision)
    {
        ArgumentNullException.ThrowIfNull(revision);
        var last = revision.Split('@', ':', ' ').Last();
        return Sha().IsMatch(last) ? last.ToLowerInvariant() : null;
    }

    [GeneratedRegex("^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$", RegexOptions.CultureInvariant)]
    private static partial Regex Sha();
}
