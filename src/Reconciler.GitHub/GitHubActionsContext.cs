using System.Globalization;
using System.Text.Json;

namespace Reconciler.GitHub;

/// <summary>
/// What a GitHub Actions run tells about itself through its environment: the repository, the API
/// URL (set to the Enterprise Server's on GHES), and, on <c>pull_request</c> events, the pull
/// request and its head commit from the event payload at <c>GITHUB_EVENT_PATH</c>.
/// </summary>
/// <param name="Repository">From <c>GITHUB_REPOSITORY</c>, or null.</param>
/// <param name="ApiUrl">From <c>GITHUB_API_URL</c>, or null.</param>
/// <param name="EventName">From <c>GITHUB_EVENT_NAME</c>, or null.</param>
/// <param name="PullRequest">The pull request of a <c>pull_request</c>/<c>pull_request_target</c> event, or null.</param>
/// <param name="Problem">Why the event could not be read, when it should have been.</param>
public sealed record GitHubActionsContext(
    GitHubRepository? Repository,
    string? ApiUrl,
    string? EventName,
    PullRequestTarget? PullRequest,
    string? Problem)
{
    /// <summary>The events whose payload carries a pull request.</summary>
    public static readonly IReadOnlyList<string> PullRequestEvents = ["pull_request", "pull_request_target"];

    /// <summary>Reads the context from <paramref name="getEnv"/> (normally <see cref="Environment.GetEnvironmentVariable(string)"/>).</summary>
    public static GitHubActionsContext Read(Func<string, string?> getEnv)
    {
        ArgumentNullException.ThrowIfNull(getEnv);
        var repository = GitHubRepository.Parse(getEnv("GITHUB_REPOSITORY"));
        var apiUrl = NullIfEmpty(getEnv("GITHUB_API_URL"));
        var eventName = NullIfEmpty(getEnv("GITHUB_EVENT_NAME"));
        if (eventName is null || !PullRequestEvents.Contains(eventName)) return new(repository, apiUrl, eventName, null, null);

        var path = NullIfEmpty(getEnv("GITHUB_EVENT_PATH"));
        if (path is null) return new(repository, apiUrl, eventName, null, $"GITHUB_EVENT_NAME is {eventName} but GITHUB_EVENT_PATH is not set");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (!root.TryGetProperty("pull_request", out var pr) || pr.ValueKind != JsonValueKind.Object
                || !pr.TryGetProperty("number", out var num) || !num.TryGetInt32(out var number))
            {
                return new(repository, apiUrl, eventName, null, $"the {eventName} event at {path} has no pull_request.number");
            }
            var headSha = pr.TryGetProperty("head", out var head) && head.TryGetProperty("sha", out var sha) && sha.ValueKind == JsonValueKind.String
                ? sha.GetString() : null;
            var repo = repository
                ?? (root.TryGetProperty("repository", out var r) && r.TryGetProperty("full_name", out var fn) ? GitHubRepository.Parse(fn.GetString()) : null);
            if (repo is null) return new(null, apiUrl, eventName, null, "GITHUB_REPOSITORY is not set and the event names no repository");
            return new(repo, apiUrl, eventName, new PullRequestTarget(repo, number, headSha), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or JsonException)
        {
            return new(repository, apiUrl, eventName, null, string.Create(CultureInfo.InvariantCulture, $"cannot read the event payload {path}: {e.Message}"));
        }
    }

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();
}
