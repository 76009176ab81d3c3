using System.Globalization;

namespace Reconciler.GitHub.Tests;

public sealed class RetryTests
{
    private static readonly PullRequestTarget Pr = new(new GitHubRepository("acme", "infra"), 7, FakeGitHub.HeadSha);

    private static Task<PublishResult> Publish(TestClient c) =>
        new PlanPublisher(c.Client, c.Token).PublishAsync(Pr, PlanMarkdown.Render(Plans.Empty()), PlanCommitStatus.Of(Plans.Empty()), CancellationToken.None);

    [Fact]
    public async Task Server_errors_are_retried_with_exponential_backoff_and_reported()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Fail("POST", "/statuses/", 502, times: 2);
        fake.Fail("GET", "/issues/7/comments$", 503, times: 1);
        var c = TestClient.For(fake);

        var result = await Publish(c);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal(2, fake.Requests.Count(x => x.Method == "GET"));
        Assert.Equal(3, fake.Requests.Count(x => x.Path.Contains("/statuses/", StringComparison.Ordinal)));
        // The retried POST carries the same body and token as the first one.
        var posts = fake.Requests.Where(x => x.Path.Contains("/statuses/", StringComparison.Ordinal)).ToList();
        Assert.All(posts, p => Assert.Equal(posts[0].Body, p.Body));
        Assert.All(posts, p => Assert.Equal("Bearer " + TestClient.TokenValue, p.Authorization));
        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)], c.Waits);
        Assert.Equal([
            "GitHub: GET /api/v3/repos/acme/infra/issues/7/comments: answered 503 Service Unavailable; retrying in 1s (attempt 2 of 5)",
            $"GitHub: POST /api/v3/repos/acme/infra/statuses/{FakeGitHub.HeadSha}: answered 502 Bad Gateway; retrying in 1s (attempt 2 of 5)",
            $"GitHub: POST /api/v3/repos/acme/infra/statuses/{FakeGitHub.HeadSha}: answered 502 Bad Gateway; retrying in 2s (attempt 3 of 5)",
        ], c.Reports);
    }

    [Fact]
    public async Task Persistent_server_errors_give_up_after_the_last_attempt_without_crashing()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Fail("POST", "/statuses/", 500, times: 100);
        var c = TestClient.For(fake, new GitHubRetryPolicy { Jitter = 0, MaxAttempts = 3, BaseDelay = TimeSpan.FromSeconds(10), MaxDelay = TimeSpan.FromSeconds(15) });

        var result = await Publish(c);

        Assert.False(result.StatusSet);
        Assert.Contains(result.Errors, e => e.StartsWith($"setting status reconciler/plan on {FakeGitHub.HeadSha[..12]}: GitHub answered 500", StringComparison.Ordinal));
        Assert.Equal(3, fake.Requests.Count(x => x.Path.Contains("/statuses/", StringComparison.Ordinal)));
        Assert.Equal([TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(15)], c.Waits);   // doubled, capped at MaxDelay
        Assert.EndsWith("answered 500 Internal Server Error; giving up after 3 attempts", c.Reports.Last());
    }

    [Fact]
    public async Task Primary_rate_limit_waits_until_the_reset_time()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var reset = TestClient.Now.AddSeconds(42).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        fake.Fail("GET", "/issues/7/comments$", 403, headers: new() { ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset },
            body: """{"message":"API rate limit exceeded"}""");
        var c = TestClient.For(fake);

        var result = await Publish(c);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal([TimeSpan.FromSeconds(43)], c.Waits);   // until the reset, plus a second of slack
        Assert.Equal("GitHub: GET /api/v3/repos/acme/infra/issues/7/comments: answered 403 Forbidden (rate limited, resets at 2030-01-01 12:00:42Z); retrying in 43s (attempt 2 of 5)",
            Assert.Single(c.Reports));
    }

    [Fact]
    public async Task Secondary_rate_limit_honours_Retry_After()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Fail("POST", "/issues/7/comments$", 429, headers: new() { ["Retry-After"] = "7" });
        fake.Fail("POST", "/statuses/", 403, headers: new() { ["Retry-After"] = "3" }, body: """{"message":"You have exceeded a secondary rate limit"}""");
        var c = TestClient.For(fake);

        var result = await Publish(c);

        Assert.True(result.Succeeded, string.Join("; ", result.Errors));
        Assert.Equal([TimeSpan.FromSeconds(7), TimeSpan.FromSeconds(3)], c.Waits);
        Assert.Single(fake.Comments);   // retried, not duplicated
    }

    [Fact]
    public async Task A_reset_too_far_away_is_not_waited_for_but_reported()
    {
        await using var fake = await FakeGitHub.StartAsync();
        var reset = TestClient.Now.AddMinutes(50).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        fake.Fail("POST", "/statuses/", 403, headers: new() { ["X-RateLimit-Remaining"] = "0", ["X-RateLimit-Reset"] = reset },
            body: """{"message":"API rate limit exceeded"}""");
        var c = TestClient.For(fake);

        var result = await Publish(c);

        Assert.False(result.StatusSet);
        Assert.Empty(c.Waits);
        Assert.Contains(c.Reports, r => r.Contains("rate limited, resets at 2030-01-01 12:50:00Z); that is more than the 120s this client waits; not retrying", StringComparison.Ordinal));
        Assert.Contains(result.Errors, e => e.Contains("GitHub's rate limit is used up until 2030-01-01 12:50:00Z", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hung_request_times_out_and_is_retried()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Stall("POST", "/statuses/", TimeSpan.FromMinutes(5));
        var c = TestClient.For(fake, new GitHubRetryPolicy { Jitter = 0, RequestTimeout = TimeSpan.FromMilliseconds(300) });

        var result = await Publish(c);

        Assert.True(result.StatusSet, string.Join("; ", result.Errors));
        Assert.Equal(2, fake.Requests.Count(x => x.Path.Contains("/statuses/", StringComparison.Ordinal)));
        Assert.Contains(c.Reports, r => r.Contains("no answer (TimeoutException: no answer within 0.3s); retrying in 1s (attempt 2 of 5)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Client_errors_are_not_retried()
    {
        await using var fake = await FakeGitHub.StartAsync();
        fake.Fail("POST", "/statuses/", 422, body: """{"message":"Validation Failed","errors":[{"message":"No commit found for SHA"}]}""");
        var c = TestClient.For(fake);

        var result = await Publish(c);

        Assert.Single(fake.Requests, x => x.Path.Contains("/statuses/", StringComparison.Ordinal));
        Assert.Empty(c.Waits);
        Assert.Contains(result.Errors, e => e.Contains("GitHub answered 422 (Validation Failed: No commit found for SHA)", StringComparison.Ordinal));
    }
}
