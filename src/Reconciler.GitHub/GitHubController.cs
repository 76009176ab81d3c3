using Reconciler.GitHub.Webhooks;

namespace Reconciler.GitHub;

/// <summary>
/// The controller's GitHub settings, bound from the <c>Reconciler:GitHub</c> configuration section
/// (<c>Reconciler__GitHub__Repository=acme/infra</c> in the environment). With no
/// <see cref="Repository"/>, GitHub is off.
/// </summary>
public sealed class GitHubControllerOptions
{
    /// <summary>The configuration section, under the controller's own.</summary>
    public const string Section = "GitHub";

    /// <summary>The environment variable read for the webhook secret when no file is given.</summary>
    public const string WebhookSecretVariable = "RECONCILER_GITHUB_WEBHOOK_SECRET";

    /// <summary><c>OWNER/REPO</c> of the repository the controller follows.</summary>
    public string? Repository { get; set; }

    /// <summary>API URL, for GitHub Enterprise Server (<c>https://HOST/api/v3</c>); default github.com.</summary>
    public string? ApiUrl { get; set; }

    /// <summary>File holding the token for commit statuses (else <c>GITHUB_TOKEN</c> / <c>GH_TOKEN</c>).</summary>
    public string? TokenFile { get; set; }

    /// <summary>Set <c>reconciler/apply</c> on applied commits (needs a token with <c>statuses: write</c>).</summary>
    public bool ApplyStatus { get; set; } = true;

    /// <summary>Link shown on the statuses, e.g. the controller's public <c>/status</c> URL.</summary>
    public string? StatusUrl { get; set; }

    /// <summary>File holding the webhook's shared secret (else <see cref="WebhookSecretVariable"/>); without one the webhook route is not served.</summary>
    public string? WebhookSecretFile { get; set; }

    /// <summary>The webhook route.</summary>
    public string WebhookPath { get; set; } = GitHubWebhookOptions.DefaultPath;
}

/// <summary>The controller's GitHub parts, built and checked at start-up from <see cref="GitHubControllerOptions"/>.</summary>
/// <param name="Repository">The repository, or null when GitHub is off.</param>
/// <param name="Status">The apply-status tracker (reporting nowhere when off or disabled).</param>
/// <param name="Webhook">The webhook settings, or null when no secret is configured.</param>
/// <param name="WebhookPath">The webhook route.</param>
public sealed record GitHubController(GitHubRepository? Repository, ApplyStatusTracker Status, GitHubWebhookOptions? Webhook, string WebhookPath)
{
    /// <summary>
    /// Checks <paramref name="options"/> and builds the parts. Every problem goes to
    /// <paramref name="errors"/> (none mentions a secret); the caller refuses to start on any.
    /// </summary>
    /// <param name="options">The bound options.</param>
    /// <param name="followedRef">The branch, tag or full ref the controller follows (pushes elsewhere are ignored).</param>
    /// <param name="isGitSource">False for a directory source: then there is no commit to report on or push to hear of.</param>
    /// <param name="getEnv">The environment.</param>
    /// <param name="report">Receives GitHub retry and failure lines (token-free) at run time.</param>
    /// <param name="errors">What is wrong.</param>
    public static GitHubController Create(GitHubControllerOptions options, string followedRef, bool isGitSource,
        Func<string, string?> getEnv, Action<string> report, out IReadOnlyList<string> errors)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(getEnv);
        var problems = new List<string>();
        errors = problems;
        GitHubController Off() => new(null, ApplyStatusTracker.Disabled(), null, options.WebhookPath);
        if (string.IsNullOrWhiteSpace(options.Repository)) return Off();

        const string p = "GitHub:";
        var repository = GitHubRepository.Parse(options.Repository);
        if (repository is null) problems.Add($"{p}Repository: '{options.Repository}' is not OWNER/REPO");
        if (!isGitSource) problems.Add($"{p}Repository is set but the source is a directory: commit statuses and push webhooks need a Git source");
        if (!options.WebhookPath.StartsWith('/')) problems.Add($"{p}WebhookPath: '{options.WebhookPath}' must start with /");
        if (options.StatusUrl is { Length: > 0 } u && !Uri.TryCreate(u, UriKind.Absolute, out _)) problems.Add($"{p}StatusUrl: '{u}' is not an absolute URL");

        ApplyStatusTracker? tracker = null;
        if (options.ApplyStatus)
        {
            var url = GitHubApiUrl.Normalize(options.ApiUrl, out var urlError);
            if (url is null) problems.Add($"{p}ApiUrl: {urlError}");
            var token = GitHubToken.Resolve(options.TokenFile, getEnv, out var tokenError);
            if (token is null) problems.Add($"{p}TokenFile: {tokenError} (or set {p}ApplyStatus to false)");
            if (problems.Count == 0)
            {
                tracker = new ApplyStatusTracker(GitHubApplyStatusReporter.Create(new GitHubConnection(url!, token!), repository!, report,
                    string.IsNullOrWhiteSpace(options.StatusUrl) ? null : options.StatusUrl));
            }
        }

        GitHubWebhookOptions? webhook = null;
        var secret = ReadSecret(options.WebhookSecretFile, getEnv, problems);
        if (secret is not null && repository is not null) webhook = new GitHubWebhookOptions(secret, repository, followedRef);

        if (problems.Count > 0)
        {
            tracker?.DisposeAsync().AsTask().GetAwaiter().GetResult();
            return Off();
        }
        return new GitHubController(repository, tracker ?? ApplyStatusTracker.Disabled(), webhook, options.WebhookPath);
    }

    private static string? ReadSecret(string? file, Func<string, string?> getEnv, List<string> problems)
    {
        if (!string.IsNullOrWhiteSpace(file))
        {
            try
            {
                var text = File.ReadAllText(file).Trim();
                if (text.Length > 0) return text;
                problems.Add($"GitHub:WebhookSecretFile: the file {file} is empty");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                problems.Add($"GitHub:WebhookSecretFile: cannot read {file} ({e.GetType().Name})");
            }
            return null;
        }
        var env = getEnv(GitHubControllerOptions.WebhookSecretVariable);
        return string.IsNullOrWhiteSpace(env) ? null : env.Trim();
    }
}
