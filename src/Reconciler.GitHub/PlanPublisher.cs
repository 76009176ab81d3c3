using Octokit;

namespace Reconciler.GitHub;

/// <summary>What publishing a plan to a pull request did.</summary>
/// <param name="CommentId">The comment written, or null when that failed.</param>
/// <param name="CommentUrl">Its web address, when GitHub gave one.</param>
/// <param name="Updated">True when an earlier plan comment was edited, false when a new one was added.</param>
/// <param name="HeadSha">The commit the status was set on, or null.</param>
/// <param name="StatusSet">True when the commit status was set.</param>
/// <param name="Errors">What failed, one token-free line each; empty on full success.</param>
public sealed record PublishResult(long? CommentId, string? CommentUrl, bool Updated, string? HeadSha, bool StatusSet, IReadOnlyList<string> Errors)
{
    /// <summary>True when both the comment and the status were written.</summary>
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Puts a plan on a pull request: one comment, found again by <see cref="PlanMarkdown.Marker"/>
/// and edited on every later run (never a second one), and a commit status on the head commit.
/// Failures are collected and returned, never thrown (cancellation aside).
/// </summary>
/// <param name="client">An Octokit client from <see cref="GitHubClientFactory"/>.</param>
/// <param name="token">The token, to scrub from error messages.</param>
public sealed class PlanPublisher(IGitHubClient client, GitHubToken token)
{
    /// <summary>Writes <paramref name="markdown"/> as the plan comment and sets <paramref name="status"/> on the head commit.</summary>
    public async Task<PublishResult> PublishAsync(PullRequestTarget target, string markdown, CommitStatusUpdate status, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(status);
        var (owner, name) = (target.Repository.Owner, target.Repository.Name);
        var errors = new List<string>();

        var sha = target.HeadSha;
        if (sha is null)
        {
            try
            {
                ct.ThrowIfCancellationRequested();
                var pr = await client.PullRequest.Get(owner, name, target.Number).ConfigureAwait(false);
                sha = pr.Head?.Sha;
                if (sha is null) errors.Add($"pull request {target} has no head commit");
            }
            catch (Exception e) when (IsReportable(e, ct))
            {
                errors.Add($"reading pull request {target}: {GitHubClientFactory.Describe(e, token)}");
            }
        }

        long? commentId = null;
        string? commentUrl = null;
        var updated = false;
        try
        {
            ct.ThrowIfCancellationRequested();
            var existing = await FindPlanCommentAsync(target, ct).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
            IssueComment written;
            if (existing is not null)
            {
                written = await client.Issue.Comment.Update(owner, name, existing.Id, markdown).ConfigureAwait(false);
                updated = true;
            }
            else
            {
                written = await client.Issue.Comment.Create(owner, name, target.Number, markdown).ConfigureAwait(false);
            }
            commentId = written.Id;
            commentUrl = written.HtmlUrl;
        }
        catch (Exception e) when (IsReportable(e, ct))
        {
            errors.Add($"writing the plan comment on {target}: {GitHubClientFactory.Describe(e, token)}");
        }

        var statusSet = false;
        if (sha is not null)
        {
            statusSet = await SetStatusAsync(client, token, target.Repository, sha, status, commentUrl, errors, ct).ConfigureAwait(false);
        }
        return new PublishResult(commentId, commentUrl, updated, sha, statusSet, errors);
    }

    /// <summary>The earlier plan comment on the pull request (the oldest one starting with the marker), or null.</summary>
    internal async Task<IssueComment?> FindPlanCommentAsync(PullRequestTarget target, CancellationToken ct)
    {
        var comments = await client.Issue.Comment.GetAllForIssue(target.Repository.Owner, target.Repository.Name, target.Number,
            new ApiOptions { PageSize = 100 }).ConfigureAwait(false);
        ct.ThrowIfCancellationRequested();
        return comments
            .Where(c => c.Body is not null && c.Body.StartsWith(PlanMarkdown.Marker, StringComparison.Ordinal))
            .OrderBy(c => c.Id)
            .FirstOrDefault();
    }

    /// <summary>Sets one commit status; adds a line to <paramref name="errors"/> and returns false when that fails.</summary>
    internal static async Task<bool> SetStatusAsync(IGitHubClient client, GitHubToken token, GitHubRepository repository, string sha,
        CommitStatusUpdate status, string? targetUrl, List<string> errors, CancellationToken ct)
    {
        try
        {
            ct.ThrowIfCancellationRequested();
            await client.Repository.Status.Create(repository.Owner, repository.Name, sha, new NewCommitStatus
            {
                State = status.State switch
                {
                    CommitStatusState.Pending => CommitState.Pending,
                    CommitStatusState.Success => CommitState.Success,
                    CommitStatusState.Failure => CommitState.Failure,
                    _ => CommitState.Error,
                },
                Context = status.Context,
                Description = status.TrimmedDescription,
                TargetUrl = targetUrl,
            }).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (IsReportable(e, ct))
        {
            errors.Add($"setting status {status.Context} on {ShortSha(sha)}: {GitHubClientFactory.Describe(e, token)}");
            return false;
        }
    }

    internal static string ShortSha(string sha) => sha.Length > 12 ? sha[..12] : sha;

    /// <summary>Everything but cancellation by the caller and fatal runtime errors is reported, not thrown.</summary>
    internal static bool IsReportable(Exception e, CancellationToken ct) =>
        !(e is OperationCanceledException && ct.IsCancellationRequested) && e is not (OutOfMemoryException or StackOverflowException);
}
