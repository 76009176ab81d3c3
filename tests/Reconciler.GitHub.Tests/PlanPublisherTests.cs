using System.Text.Json.Nodes;

namespace Reconciler.GitHub.Tests;

public sealed class PlanPublisherTests
{
    private static readonly PullRequestTarget Pr7 = new(new GitHubRepository("acme", "infra"), 7);

    private static Task<PublishResult> Publish(TestClient c, Core.Planning.Plan plan, PullRequestTarget? target = null) =>
        new PlanPublisher(c.Client, c.Token).PublishAsync(target ?? Pr7, PlanMarkdown.Render(plan), PlanCommitStatus.Of(plan), CancellationToken.None);

    [Fact]
    public async Task First_run_posts_one_comment_and_sets_the_status_on_the_head_commit()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var c = TestClient.For(fake);
        var plan = Plans.ThreeCreatesOneUpdate();

        var result = await Publish(c, plan);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.False(result.Updated);
        Assert.Equal(FakeGitHub.HeadSha, result.HeadSha);
        var r = fake.Requests;
        Assert.Equal([
            "GET /api/v3/repos/acme/infra/pulls/7",
            "GET /api/v3/repos/acme/infra/issues/7/comments?sort=created&direction=asc&per_page=100",
            "POST /api/v3/repos/acme/infra/issues/7/comments",
            $"POST /api/v3/repos/acme/infra/statuses/{FakeGitHub.HeadSha}",
        ], r.Select(x => x.ToString()));
        Assert.All(r, x => Assert.Equal("Bearer " + TestClient.TokenValue, x.Authorization));
        Assert.All(r, x => Assert.StartsWith("reconciler/", x.UserAgent));
        Assert.Equal(PlanMarkdown.Render(plan), r[2].Json!["body"]!.GetValue<string>());
        var status = r[3].Json!.AsObject();
        Assert.Equal("success", (string?)status["state"]);
        Assert.Equal("3 to create, 1 to update", (string?)status["description"]);
        Assert.Equal("reconciler/plan", (string?)status["context"]);
        Assert.Equal("https://github.example/acme/infra/pull/7#issuecomment-100", (string?)status["target_url"]);
        Assert.Equal("https://github.example/acme/infra/pull/7#issuecomment-100", result.CommentUrl);
    }

    [Fact]
    public async Task Later_runs_update_the_same_comment_instead_of_adding_one()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var c = TestClient.For(fake);
        fake.AddComment("LGTM, but see <!-- reconciler-plan --> docs", "octocat");   // someone quoting the marker: not ours

        var first = await Publish(c, Plans.ThreeCreatesOneUpdate());
        var second = await Publish(c, Plans.Empty());
        var third = await Publish(c, Plans.WithError());

        Assert.False(first.Updated);
        Assert.True(second.Updated);
        Assert.True(third.Updated);
        Assert.Equal(first.CommentId, second.CommentId);
        Assert.Equal(first.CommentId, third.CommentId);
        var r = fake.Requests;
        Assert.Single(r, x => x.Method == "POST" && x.Path.EndsWith("/issues/7/comments", StringComparison.Ordinal));
        Assert.Equal(2, r.Count(x => x.Method == "PATCH" && x.Path == $"/api/v3/repos/acme/infra/issues/comments/{first.CommentId}"));
        Assert.Equal(2, fake.Comments.Count);
        Assert.Equal(PlanMarkdown.Render(Plans.WithError()), fake.Comments[first.CommentId!.Value]);
        Assert.Equal("LGTM, but see <!-- reconciler-plan --> docs", fake.Comments.Values.First());
        var statuses = r.Where(x => x.Path.Contains("/statuses/", StringComparison.Ordinal)).Select(x => x.Json!).ToList();
        Assert.Equal(["success", "success", "failure"], statuses.Select(s => (string?)s["state"]));
        Assert.Equal(["3 to create, 1 to update", "No changes", "1 error; 1 to create"], statuses.Select(s => (string?)s["description"]));
    }

    [Fact]
    public async Task A_known_head_commit_is_not_looked_up()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var c = TestClient.For(fake);
        var sha = new string('a', 40);
        var result = await Publish(c, Plans.Empty(), Pr7 with { HeadSha = sha });
        Assert.True(result.Succeeded);
        Assert.DoesNotContain(fake.Requests, x => x.Path.Contains("/pulls/", StringComparison.Ordinal));
        Assert.Contains(fake.Requests, x => x.Path == $"/api/v3/repos/acme/infra/statuses/{sha}");
    }

    [Fact]
    public async Task Enterprise_base_url_with_a_path_is_used_as_given()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var url = GitHubApiUrl.Normalize(new Uri(fake.Root, "api/v3").ToString(), out _)!;   // as GITHUB_API_URL is set on GHES
        var c = new TestClient(url);
        var result = await Publish(c, Plans.Empty());
        Assert.True(result.Succeeded);
        Assert.All(fake.Requests, x => Assert.StartsWith("/api/v3/repos/acme/infra/", x.Path));
    }

    [Fact]
    public async Task Failures_are_reported_not_thrown_and_the_status_is_still_set()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Fail("POST", "/issues/7/comments$", 403, times: 1, body: """{"message":"Resource not accessible by integration"}""");
        var c = TestClient.For(fake);
        var result = await Publish(c, Plans.Empty());
        Assert.False(result.Succeeded);
        Assert.True(result.StatusSet);
        var error = Assert.Single(result.Errors);
        Assert.Contains("writing the plan comment on acme/infra#7: GitHub answered 403 Forbidden (Resource not accessible by integration)", error);
        Assert.Contains("permissions: pull-requests: write", error);
        Assert.Single(fake.Requests, x => x.Method == "POST" && x.Path.EndsWith("/comments", StringComparison.Ordinal));   // a plain 403 is not retried
    }

    [Fact]
    public async Task An_unreachable_GitHub_is_reported()
    {
        int port;
        await using (var fake = await FakeGitHub.StartAsync()) port = fake.Root.Port;   // stopped: nothing listens there now
        var c = new TestClient(new Uri($"http://127.0.0.1:{port}/api/v3/"), new GitHubRetryPolicy { Jitter = 0, MaxAttempts = 2 });
        var result = await Publish(c, Plans.Empty());
        Assert.False(result.Succeeded);
        Assert.Contains(result.Errors, e => e.Contains("could not reach GitHub", StringComparison.Ordinal));
        Assert.Contains(c.Reports, r => r.Contains("giving up after 2 attempts", StringComparison.Ordinal));
    }
}
