using Reconciler.Engine.Apply;

namespace Reconciler.GitHub.Tests;

public sealed class ApplyStatusTests
{
    private const string Sha = "fedcba9876543210fedcba9876543210fedcba98";

    [Fact]
    public async Task Pending_while_applying_then_success()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var c = TestClient.For(fake);
        var reporter = new GitHubApplyStatusReporter(c.Client, c.Token, new GitHubRepository("acme", "infra"), c.Reports.Enqueue, "http://127.0.0.1:8080/status");

        await reporter.ApplyingAsync(Sha, 3, CancellationToken.None);
        await reporter.AppliedAsync(Sha, new ApplyStatusSummary(3, 0, 0), CancellationToken.None);

        var r = fake.Requests;
        Assert.Equal([$"POST /api/v3/repos/acme/infra/statuses/{Sha}", $"POST /api/v3/repos/acme/infra/statuses/{Sha}"], r.Select(x => x.ToString()));
        Assert.Equal("""{"state":"pending","target_url":"http://127.0.0.1:8080/status","description":"Applying 3 changes…","context":"reconciler/apply"}""",
            r[0].Body);
        Assert.Equal("success", (string?)r[1].Json!["state"]);
        Assert.Equal("Applied: 3 changes", (string?)r[1].Json!["description"]);
        Assert.All(r, x => Assert.Equal("Bearer " + TestClient.TokenValue, x.Authorization));
        Assert.Empty(c.Reports);
    }

    [Fact]
    public async Task Failures_and_rejections_fail_the_status()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var c = TestClient.For(fake);
        var reporter = new GitHubApplyStatusReporter(c.Client, c.Token, new GitHubRepository("acme", "infra"), c.Reports.Enqueue);

        await reporter.AppliedAsync("main@" + Sha, new ApplyStatusSummary(2, 1, 1), CancellationToken.None);
        await reporter.RejectedAsync(Sha, "invalid specs (3 errors)", CancellationToken.None);

        var bodies = fake.Requests.Select(x => x.Json!).ToList();
        Assert.Equal(["failure", "failure"], bodies.Select(b => (string?)b["state"]));
        Assert.Equal(["1 failed, 2 done, 1 not done", "Not applied: invalid specs (3 errors)"], bodies.Select(b => (string?)b["description"]));
        Assert.DoesNotContain(bodies, b => b.AsObject().ContainsKey("target_url"));
    }

    [Fact]
    public async Task Non_commit_revisions_are_skipped_and_errors_reported_not_thrown()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Fail("POST", "/statuses/", 404, times: 1, body: """{"message":"Not Found"}""");
        var c = TestClient.For(fake);
        var reporter = new GitHubApplyStatusReporter(c.Client, c.Token, new GitHubRepository("acme", "gone"), c.Reports.Enqueue);

        await reporter.ApplyingAsync("sha256-of-a-directory", 1, CancellationToken.None);
        await reporter.ApplyingAsync(Sha, 1, CancellationToken.None);

        Assert.Single(fake.Requests);
        Assert.Equal([
            "GitHub: revision 'sha256-of-a-directory' is not a commit id; reconciler/apply not set",
            "GitHub: setting status reconciler/apply on fedcba987654: GitHub answered 404 Not Found (Not Found): check the repository and number, and that the token can see the repository",
        ], c.Reports);
    }

    [Fact]
    public void Summaries()
    {
        Assert.Equal("Live: no changes needed", ApplyStatusSummary.NoChanges.Description);
        Assert.True(ApplyStatusSummary.NoChanges.Succeeded);
        Assert.Equal("Applied: 1 change", new ApplyStatusSummary(1, 0, 0).Description);
        Assert.Equal("Refused: node hv1 changed since the plan", new ApplyStatusSummary(0, 0, 2, "node hv1 changed since the plan").Description);
        var change = Plans.Create("a");
        var result = new ApplyResult([new StepOutcome(change, StepStatus.Done), new StepOutcome(change, StepStatus.Failed, "boom")]);
        Assert.Equal(new ApplyStatusSummary(1, 1, 0), ApplyStatusSummary.From(result));
        Assert.Equal(Sha, GitHubApplyStatusReporter.CommitOf(Sha.ToUpperInvariant()));
        Assert.Equal(Sha, GitHubApplyStatusReporter.CommitOf("git:" + Sha));
        Assert.Null(GitHubApplyStatusReporter.CommitOf("3f2a9c1d"));
    }
}

public sealed class TokenNeverShownTests
{
    [Fact]
    public async Task Nothing_the_integration_prints_contains_the_token()
    {
        await using var fake = await FakeGitHub.StartAsync();
        // Every call fails in a different way: errors and retry reports are all the output there is.
        fake.Fail("GET", "/pulls/7$", 401, body: $$"""{"message":"Bad credentials {{TestClient.TokenValue}}"}""");
        fake.Fail("GET", "/comments$", 502, times: 10);
        var c = TestClient.For(fake, new GitHubRetryPolicy { Jitter = 0, MaxAttempts = 2 });
        var result = await new PlanPublisher(c.Client, c.Token).PublishAsync(new PullRequestTarget(new GitHubRepository("acme", "infra"), 7),
            PlanMarkdown.Render(Plans.Empty()), PlanCommitStatus.Of(Plans.Empty()), CancellationToken.None);

        Assert.False(result.Succeeded);
        var shown = string.Join("\n", result.Errors.Concat(c.Reports).Append(c.Token.ToString()).Append(c.Connection.ToString()));
        Assert.Contains("GitHub refused the token", shown);
        Assert.Contains("retrying", shown);
        Assert.DoesNotContain(TestClient.TokenValue, shown, StringComparison.Ordinal);
        // ...while every request did carry it.
        Assert.All(fake.Requests, x => Assert.Equal("Bearer " + TestClient.TokenValue, x.Authorization));
    }
}
