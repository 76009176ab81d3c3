using Octokit;
using Octokit.Internal;
using ProductHeaderValue = Octokit.ProductHeaderValue;

namespace Reconciler.GitHub;

/// <summary>Everything needed to talk to one GitHub (or GitHub Enterprise Server).</summary>
/// <param name="ApiUrl">The API base URL (see <see cref="GitHubApiUrl.Normalize"/>).</param>
/// <param name="Token">The token.</param>
public sealed record GitHubConnection(Uri ApiUrl, GitHubToken Token);

/// <summary>
/// Builds Octokit clients with Reconciler's HTTP stack: the given base URL taken as it is (no
/// guessing), a bearer token, and <see cref="GitHubRetryHandler"/> under Octokit so rate limits
/// and 5xx answers are retried with backoff and reported.
/// </summary>
public static class GitHubClientFactory
{
    /// <summary>The product name in the User-Agent header.</summary>
    public const string ProductName = "reconciler";

    /// <summary>Creates a client for <paramref name="connection"/>.</summary>
    /// <param name="connection">Where and as whom.</param>
    /// <param name="report">Receives one line per retry or give-up (never the token).</param>
    /// <param name="policy">Retry policy; <see cref="GitHubRetryPolicy.Default"/> when null.</param>
    public static IGitHubClient Create(GitHubConnection connection, Action<string> report, GitHubRetryPolicy? policy = null) =>
        Create(connection, report, policy ?? GitHubRetryPolicy.Default, TimeProvider.System, null, null);

    /// <summary>The seams tests use: a clock, a delay that need not sleep, and the innermost handler.</summary>
    internal static IGitHubClient Create(GitHubConnection connection, Action<string> report, GitHubRetryPolicy policy,
        TimeProvider time, Func<TimeSpan, CancellationToken, Task>? delay, Func<HttpMessageHandler>? inner)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var redacting = (string line) => report(connection.Token.Redact(line));
        var adapter = new HttpClientAdapter(() => new GitHubRetryHandler(policy, redacting, time,
            delay ?? ((wait, ct) => Task.Delay(wait, time, ct)))
        {
            InnerHandler = inner?.Invoke() ?? new SocketsHttpHandler { AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(5) },
        });
        var version = typeof(GitHubClientFactory).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
        var apiConnection = new Connection(
            new ProductHeaderValue(ProductName, version),
            connection.ApiUrl,
            new InMemoryCredentialStore(new Credentials(connection.Token.Value, AuthenticationType.Bearer)),
            adapter,
            new SimpleJsonSerializer());
        // The retry handler limits each attempt; Octokit's own limit only bounds the whole series.
        apiConnection.SetRequestTimeout(policy.RequestTimeout * policy.MaxAttempts + policy.MaxRateLimitWait * (policy.MaxAttempts - 1));
        return new GitHubClient(apiConnection);
    }

    /// <summary>A one-line, token-free description of a failed GitHub call, with a hint for the usual causes.</summary>
    public static string Describe(Exception e, GitHubToken token)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(token);
        var text = e switch
        {
            AuthorizationException => "GitHub refused the token (401 Bad credentials): check that it is valid and not expired",
            RateLimitExceededException r => $"GitHub's rate limit is used up until {r.Reset.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z",
            SecondaryRateLimitExceededException => "GitHub's secondary rate limit was hit; try again in a few minutes",
            ForbiddenException f => $"GitHub answered 403 Forbidden ({f.Message}): the token may lack permission (a workflow needs `permissions: pull-requests: write, statuses: write`; a pull request from a fork gets a read-only token)",
            NotFoundException n => $"GitHub answered 404 Not Found ({n.Message}): check the repository and number, and that the token can see the repository",
            ApiValidationException v => $"GitHub answered 422 ({v.Message}{Details(v)})",
            ApiException a => $"GitHub answered {(int)a.StatusCode} {a.StatusCode}: {a.Message}",
            HttpRequestException h => $"could not reach GitHub: {h.Message}",
            TimeoutException or TaskCanceledException => "GitHub did not answer in time",
            _ => $"{e.GetType().Name}: {e.Message}",
        };
        return token.Redact(text);
    }

    private static string Details(ApiValidationException v) =>
        v.ApiError?.Errors is { Count: > 0 } errors ? ": " + string.Join("; ", errors.Select(x => x.Message ?? x.Code)) : "";
}
