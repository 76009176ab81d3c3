using System.Collections.Concurrent;
using Octokit;

namespace Reconciler.GitHub.Tests;

/// <summary>A fixed clock: rate-limit resets are computed against it, never against the real time.</summary>
internal sealed class FixedTime(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}

/// <summary>A client on a fake GitHub whose retry waits are recorded instead of slept.</summary>
internal sealed class TestClient
{
    public const string TokenValue = "ghp_TEST0secret0token0value0do0not0print";
    public static readonly DateTimeOffset Now = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public TestClient(Uri apiUrl, GitHubRetryPolicy? policy = null)
    {
        Token = GitHubToken.FromValue(TokenValue, "test");
        Connection = new GitHubConnection(apiUrl, Token);
        Client = GitHubClientFactory.Create(Connection, Reports.Enqueue, policy ?? new GitHubRetryPolicy { Jitter = 0 }, new FixedTime(Now),
            (wait, _) => { Waits.Enqueue(wait); return Task.CompletedTask; }, null);
    }

    public GitHubToken Token { get; }
    public GitHubConnection Connection { get; }
    public IGitHubClient Client { get; }
    public ConcurrentQueue<string> Reports { get; } = new();
    public ConcurrentQueue<TimeSpan> Waits { get; } = new();

    public static TestClient For(FakeGitHub fake, GitHubRetryPolicy? policy = null) =>
        new(GitHubApiUrl.Normalize(fake.Root.ToString(), out _)!, policy);
}
