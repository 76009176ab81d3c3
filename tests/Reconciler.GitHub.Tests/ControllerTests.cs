using System.Collections.Concurrent;

namespace Reconciler.GitHub.Tests;

internal sealed class RecordingReporter : IApplyStatusReporter
{
    public ConcurrentQueue<string> Calls { get; } = new();
    public Task ApplyingAsync(string revision, int changes, CancellationToken ct) { Calls.Enqueue($"pending {revision}"); return Task.CompletedTask; }
    public Task AppliedAsync(string revision, ApplyStatusSummary summary, CancellationToken ct) { Calls.Enqueue($"{(summary.Succeeded ? "success" : "failure")} {revision} {summary.Description}"); return Task.CompletedTask; }
    public Task RejectedAsync(string revision, string reason, CancellationToken ct) { Calls.Enqueue($"rejected {revision} {reason}"); return Task.CompletedTask; }
}

public sealed class ApplyStatusTrackerTests
{
    [Fact]
    public async Task Sends_pending_once_then_only_state_changes()
    {
        var reporter = new RecordingReporter();
        await using var tracker = new ApplyStatusTracker(reporter);

        tracker.Starting("a");
        tracker.Finished("a", new ApplyStatusSummary(2, 1, 0));
        tracker.Starting("a");                                   // a retry pass: no second pending
        tracker.Finished("a", new ApplyStatusSummary(0, 1, 0));  // still failing: nothing new
        tracker.Starting("a");
        tracker.Finished("a", new ApplyStatusSummary(1, 0, 0));  // fixed: success
        tracker.Starting("a");
        tracker.Finished("a", ApplyStatusSummary.NoChanges);     // timer pass: nothing
        tracker.Rejected("b", "invalid specs (2 errors)");
        tracker.Rejected("b", "invalid specs (2 errors)");
        tracker.Starting("c");
        tracker.Finished("c", ApplyStatusSummary.NoChanges);
        await tracker.FlushAsync(CancellationToken.None);

        Assert.Equal([
            "pending a", "failure a 1 failed, 2 done, 0 not done", "success a Applied: 1 change",
            "rejected b invalid specs (2 errors)",
            "pending c", "success c Live: no changes needed",
        ], reporter.Calls);
    }

    [Fact]
    public async Task Sends_to_GitHub_without_blocking_the_caller()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var c = TestClient.For(fake);
        const string sha = "1111111111111111111111111111111111111111";
        await using var tracker = new ApplyStatusTracker(new GitHubApplyStatusReporter(c.Client, c.Token, new GitHubRepository("acme", "infra"), c.Reports.Enqueue));
        tracker.Starting(sha);
        tracker.Finished(sha, new ApplyStatusSummary(1, 0, 0, Blocked: 1));
        await tracker.FlushAsync(CancellationToken.None);
        var bodies = fake.Requests.Select(r => r.Json!).ToList();
        Assert.Equal(["pending", "failure"], bodies.Select(b => (string?)b["state"]));
        Assert.Equal(["Reconciling this revision…", "1 resource blocked (plan errors or unreachable nodes); 1 done, 0 failed"], bodies.Select(b => (string?)b["description"]));
    }
}

public sealed class GitHubControllerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reconciler-ghc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Key, v => v.Value);
        return k => d.GetValueOrDefault(k);
    }

    [Fact]
    public async Task Off_without_a_repository()
    {
        var gh = GitHubController.Create(new GitHubControllerOptions(), "main", true, Env(), _ => { }, out var errors);
        Assert.Empty(errors);
        Assert.Null(gh.Repository);
        Assert.Null(gh.Webhook);
        await gh.Status.DisposeAsync();
    }

    [Fact]
    public async Task Builds_the_webhook_and_status_reporter()
    {
        var secretFile = Path.Combine(_dir, "secret");
        File.WriteAllText(secretFile, "s3cret\n");
        var gh = GitHubController.Create(new GitHubControllerOptions { Repository = "acme/infra", WebhookSecretFile = secretFile }, "main", true,
            Env(("GITHUB_TOKEN", "t")), _ => { }, out var errors);
        Assert.Empty(errors);
        Assert.Equal(new GitHubRepository("acme", "infra"), gh.Repository);
        Assert.Equal("s3cret", gh.Webhook!.Secret);
        Assert.Equal("refs/heads/main", gh.Webhook.FullRef);
        Assert.DoesNotContain("s3cret", gh.Webhook.ToString());
        Assert.Equal("/webhooks/github", gh.WebhookPath);
        await gh.Status.DisposeAsync();
    }

    [Fact]
    public async Task Every_problem_is_listed_and_none_shows_a_secret()
    {
        var gh = GitHubController.Create(new GitHubControllerOptions { Repository = "not a repo", ApiUrl = "ftp://x", WebhookSecretFile = Path.Combine(_dir, "missing"), WebhookPath = "hook" },
            "main", isGitSource: false, Env(), _ => { }, out var errors);
        Assert.Null(gh.Repository);
        Assert.Equal(6, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("GitHub:Repository: 'not a repo' is not OWNER/REPO", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.Contains("source is a directory", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("GitHub:WebhookPath", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("GitHub:ApiUrl", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("GitHub:TokenFile: no GitHub token", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("GitHub:WebhookSecretFile: cannot read", StringComparison.Ordinal));
        await gh.Status.DisposeAsync();
    }

    [Fact]
    public async Task The_webhook_secret_may_come_from_the_environment_and_statuses_may_be_off()
    {
        var gh = GitHubController.Create(new GitHubControllerOptions { Repository = "acme/infra", ApplyStatus = false }, "refs/tags/prod", true,
            Env((GitHubControllerOptions.WebhookSecretVariable, "from-env")), _ => { }, out var errors);
        Assert.Empty(errors);
        Assert.Equal("from-env", gh.Webhook!.Secret);
        Assert.Equal("refs/tags/prod", gh.Webhook.FullRef);
        await gh.Status.DisposeAsync();
    }
}
