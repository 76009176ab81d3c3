namespace Reconciler.GitHub.Tests;

public sealed class SettingsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("reconciler-gh-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Func<string, string?> Env(params (string Key, string Value)[] vars)
    {
        var d = vars.ToDictionary(v => v.Key, v => v.Value);
        return k => d.GetValueOrDefault(k);
    }

    [Theory]
    [InlineData(null, "https://api.github.com/")]
    [InlineData("https://api.github.com", "https://api.github.com/")]
    [InlineData("https://github.com", "https://api.github.com/")]
    [InlineData("https://ghe.example.com", "https://ghe.example.com/api/v3/")]
    [InlineData("https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/")]
    [InlineData("https://ghe.example.com/api/v3/", "https://ghe.example.com/api/v3/")]
    [InlineData("http://127.0.0.1:8080", "http://127.0.0.1:8080/api/v3/")]
    [InlineData("https://api.acme.ghe.com", "https://api.acme.ghe.com/")]
    public void Api_urls(string? given, string expected) => Assert.Equal(expected, GitHubApiUrl.Normalize(given, out _)!.ToString());

    [Theory]
    [InlineData("ghe.example.com")]
    [InlineData("ftp://ghe.example.com")]
    [InlineData("https://user:pw@ghe.example.com")]
    public void Bad_api_urls(string given)
    {
        Assert.Null(GitHubApiUrl.Normalize(given, out var error));
        Assert.NotNull(error);
    }

    [Theory]
    [InlineData("acme/infra#42", "acme", "infra", 42)]
    [InlineData("my-org/repo.name_x#1", "my-org", "repo.name_x", 1)]
    [InlineData("#9", "def", "repo", 9)]
    [InlineData("9", "def", "repo", 9)]
    public void Pull_request_targets(string text, string owner, string repo, int number)
    {
        var t = PullRequestTarget.Parse(text, new GitHubRepository("def", "repo"), out var error);
        Assert.Null(error);
        Assert.Equal(new PullRequestTarget(new GitHubRepository(owner, repo), number), t);
    }

    [Theory]
    [InlineData("acme/infra")]
    [InlineData("acme/infra#0")]
    [InlineData("acme#3")]
    [InlineData("a/b/c#3")]
    [InlineData("-bad/x#3")]
    public void Bad_pull_request_targets(string text)
    {
        Assert.Null(PullRequestTarget.Parse(text, null, out var error));
        Assert.Contains(text, error);
    }

    [Fact]
    public void Token_from_a_file_wins_over_the_environment()
    {
        var file = Path.Combine(_dir, "token");
        File.WriteAllText(file, "  from-file-token\n");
        var token = GitHubToken.Resolve(file, Env(("GITHUB_TOKEN", "from-env")), out var error);
        Assert.Null(error);
        Assert.Equal("from-file-token", token!.Value);
        Assert.Equal($"GitHub token from file {file}", token.ToString());
        Assert.Equal("from-env", GitHubToken.Resolve(null, Env(("GITHUB_TOKEN", "from-env")), out _)!.Value);
        Assert.Equal("gh", GitHubToken.Resolve(null, Env(("GH_TOKEN", "gh")), out _)!.Value);
    }

    [Fact]
    public void Token_problems_are_errors_without_the_token()
    {
        Assert.Null(GitHubToken.Resolve(Path.Combine(_dir, "missing"), Env(), out var missing));
        Assert.StartsWith("cannot read the GitHub token file", missing);
        var empty = Path.Combine(_dir, "empty");
        File.WriteAllText(empty, "\n");
        Assert.Null(GitHubToken.Resolve(empty, Env(), out var emptyError));
        Assert.Contains("is empty", emptyError);
        var two = Path.Combine(_dir, "two");
        File.WriteAllText(two, "secret-one secret-two");
        Assert.Null(GitHubToken.Resolve(two, Env(), out var twoError));
        Assert.DoesNotContain("secret", twoError!.Replace("GitHub token file", "", StringComparison.Ordinal).Replace(two, "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Null(GitHubToken.Resolve(null, Env(), out var none));
        Assert.Contains("GITHUB_TOKEN", none);
    }

    [Fact]
    public void Redaction()
    {
        var t = GitHubToken.FromValue("abc123secret", "test");
        Assert.Equal("x *** y ***", t.Redact("x abc123secret y abc123secret"));
        Assert.DoesNotContain("abc123secret", t.ToString());
    }

    private string PullRequestEvent(int number, string sha)
    {
        var path = Path.Combine(_dir, "event.json");
        File.WriteAllText(path, $$$"""{"action":"synchronize","number":{{{number}}},"pull_request":{"number":{{{number}}},"head":{"sha":"{{{sha}}}","ref":"feature"}},"repository":{"full_name":"acme/infra"}}""");
        return path;
    }

    [Fact]
    public void In_a_pull_request_workflow_no_flag_is_needed()
    {
        var sha = new string('c', 40);
        var env = Env(("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_EVENT_PATH", PullRequestEvent(12, sha)), ("GITHUB_REPOSITORY", "acme/infra"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3"), ("GITHUB_TOKEN", "t0k"));
        var request = PlanPublishing.Resolve(null, null, null, env, out var error, out var note);
        Assert.Null(error);
        Assert.Null(note);
        Assert.Equal(new PullRequestTarget(new GitHubRepository("acme", "infra"), 12, sha), request!.Target);
        Assert.True(request.FromActions);
        Assert.Equal("https://ghe.example.com/api/v3/", request.Connection.ApiUrl.ToString());
        Assert.Equal("$GITHUB_TOKEN", request.Connection.Token.Origin);
    }

    [Fact]
    public void Flags_win_over_the_workflow_environment()
    {
        var env = Env(("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_EVENT_PATH", PullRequestEvent(12, new string('c', 40))), ("GITHUB_REPOSITORY", "acme/infra"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3"), ("GITHUB_TOKEN", "t0k"));
        var file = Path.Combine(_dir, "tok");
        File.WriteAllText(file, "filetoken");
        var request = PlanPublishing.Resolve("other/repo#3", file, "http://127.0.0.1:9", env, out var error, out _);
        Assert.Null(error);
        Assert.Equal(new PullRequestTarget(new GitHubRepository("other", "repo"), 3), request!.Target);
        Assert.False(request.FromActions);
        Assert.Equal("http://127.0.0.1:9/api/v3/", request.Connection.ApiUrl.ToString());
        Assert.Equal("filetoken", request.Connection.Token.Value);
        // The workflow's own pull request named by flag keeps the event's head commit.
        Assert.Equal(new string('c', 40), PlanPublishing.Resolve("#12", null, null, env, out _, out _)!.Target.HeadSha);
    }

    [Fact]
    public void Nothing_is_posted_without_a_request_a_token_in_a_workflow_or_with_off()
    {
        Assert.Null(PlanPublishing.Resolve(null, null, null, Env(("GITHUB_TOKEN", "t")), out var e1, out var n1));
        Assert.Null(e1);
        Assert.Null(n1);
        var workflow = Env(("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_EVENT_PATH", PullRequestEvent(5, new string('d', 40))), ("GITHUB_REPOSITORY", "acme/infra"));
        Assert.Null(PlanPublishing.Resolve(null, null, null, workflow, out var e2, out var n2));
        Assert.Null(e2);
        Assert.Contains("no GITHUB_TOKEN", n2);
        Assert.Null(PlanPublishing.Resolve("off", null, null, Env(("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_TOKEN", "t")), out var e3, out var n3));
        Assert.Null(e3);
        Assert.Null(n3);
        // Asked for explicitly, a missing token is an error.
        Assert.Null(PlanPublishing.Resolve("acme/infra#1", null, null, Env(), out var e4, out _));
        Assert.Contains("no GitHub token", e4);
    }

    [Fact]
    public void Push_events_carry_no_pull_request()
    {
        var ctx = GitHubActionsContext.Read(Env(("GITHUB_EVENT_NAME", "push"), ("GITHUB_REPOSITORY", "acme/infra")));
        Assert.Null(ctx.PullRequest);
        Assert.Null(ctx.Problem);
        var broken = Path.Combine(_dir, "broken.json");
        File.WriteAllText(broken, "{not json");
        var bad = GitHubActionsContext.Read(Env(("GITHUB_EVENT_NAME", "pull_request"), ("GITHUB_EVENT_PATH", broken)));
        Assert.Null(bad.PullRequest);
        Assert.StartsWith("cannot read the event payload", bad.Problem);
    }
}
