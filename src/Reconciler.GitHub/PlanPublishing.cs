using Reconciler.Core.Diagnostics;
using Reconciler.Core.Planning;

namespace Reconciler.GitHub;

/// <summary>Where to publish a plan, and as whom: the outcome of <see cref="PlanPublishing.Resolve"/>.</summary>
/// <param name="Target">The pull request.</param>
/// <param name="Connection">API URL and token.</param>
/// <param name="FromActions">True when the pull request came from the GitHub Actions environment, not a flag.</param>
public sealed record PlanPublishRequest(PullRequestTarget Target, GitHubConnection Connection, bool FromActions);

/// <summary>
/// <c>reconcile plan --github-pr</c> and its GitHub Actions twin: decide whether and where to
/// publish (flags first, then the Actions environment), then publish.
/// </summary>
public static class PlanPublishing
{
    /// <summary>The <c>--github-pr</c> values that turn publishing off, also inside a workflow.</summary>
    public static readonly IReadOnlyList<string> OffValues = ["off", "none", "false"];

    /// <summary>
    /// Whether to publish. Null and no error: nothing asked for it (or, in a pull-request workflow
    /// with no token, <paramref name="note"/> says why nothing is posted). Null with an error: it
    /// was asked for and cannot be done (bad flag, no token, bad URL).
    /// </summary>
    /// <param name="pr"><c>--github-pr</c>: <c>OWNER/REPO#N</c>, <c>#N</c>, <c>off</c>, or null.</param>
    /// <param name="tokenFile"><c>--github-token-file</c>, or null for <c>GITHUB_TOKEN</c>/<c>GH_TOKEN</c>.</param>
    /// <param name="apiUrl"><c>--github-api-url</c>, or null for <c>GITHUB_API_URL</c> or github.com.</param>
    /// <param name="getEnv">The environment.</param>
    /// <param name="error">Why it cannot be done.</param>
    /// <param name="note">Something worth one line on stderr when nothing is published.</param>
    public static PlanPublishRequest? Resolve(string? pr, string? tokenFile, string? apiUrl, Func<string, string?> getEnv,
        out string? error, out string? note)
    {
        ArgumentNullException.ThrowIfNull(getEnv);
        error = null;
        note = null;
        if (pr is not null && OffValues.Contains(pr.Trim().ToLowerInvariant())) return null;
        var actions = GitHubActionsContext.Read(getEnv);

        PullRequestTarget target;
        var fromActions = false;
        if (!string.IsNullOrWhiteSpace(pr))
        {
            var parsed = PullRequestTarget.Parse(pr, actions.Repository, out error);
            if (parsed is null) return null;
            // The same pull request as the workflow's event: its head commit is known already.
            target = actions.PullRequest is { } ev && ev.Repository.Is(parsed.Repository.ToString()) && ev.Number == parsed.Number
                ? parsed with { HeadSha = ev.HeadSha }
                : parsed;
        }
        else if (actions.PullRequest is { } fromEvent)
        {
            target = fromEvent;
            fromActions = true;
            if (string.IsNullOrWhiteSpace(tokenFile) && GitHubToken.EnvironmentVariables.All(v => string.IsNullOrWhiteSpace(getEnv(v))))
            {
                note = $"GitHub Actions {actions.EventName} run for {fromEvent}, but no GITHUB_TOKEN in the environment: the plan is not posted "
                     + "(add `env: GITHUB_TOKEN: ${{ github.token }}` to the step, or pass --github-pr off to silence this)";
                return null;
            }
        }
        else
        {
            if (actions.Problem is not null) note = $"GitHub Actions: {actions.Problem}; the plan is not posted";
            return null;
        }

        var token = GitHubToken.Resolve(tokenFile, getEnv, out error);
        if (token is null) return null;
        var url = GitHubApiUrl.Normalize(string.IsNullOrWhiteSpace(apiUrl) ? actions.ApiUrl : apiUrl, out error);
        if (url is null) return null;
        return new PlanPublishRequest(target, new GitHubConnection(url, token), fromActions);
    }

    /// <summary>Publishes <paramref name="plan"/> (or, when it is null, the spec errors) to the pull request.</summary>
    /// <param name="request">From <see cref="Resolve"/>.</param>
    /// <param name="plan">The plan, or null when the specs did not load.</param>
    /// <param name="source">The spec directory (used when <paramref name="plan"/> is null).</param>
    /// <param name="diagnostics">The load diagnostics (used when <paramref name="plan"/> is null).</param>
    /// <param name="report">Receives retry lines.</param>
    /// <param name="ct">Cancels the calls.</param>
    public static Task<PublishResult> PublishAsync(PlanPublishRequest request, Plan? plan, string source,
        IReadOnlyList<Diagnostic> diagnostics, Action<string> report, CancellationToken ct) =>
        PublishAsync(request, plan, source, diagnostics, GitHubClientFactory.Create(request.Connection, report), ct);

    internal static async Task<PublishResult> PublishAsync(PlanPublishRequest request, Plan? plan, string source,
        IReadOnlyList<Diagnostic> diagnostics, Octokit.IGitHubClient client, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var markdown = plan is null ? PlanMarkdown.RenderInvalid(source, diagnostics) : PlanMarkdown.Render(plan);
        var status = plan is null ? PlanCommitStatus.Invalid(diagnostics) : PlanCommitStatus.Of(plan);
        return await new PlanPublisher(client, request.Connection.Token).PublishAsync(request.Target, markdown, status, ct).ConfigureAwait(false);
    }
}
