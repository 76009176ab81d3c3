using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Reconciler.GitHub.Tests;

namespace Reconciler.Host.Tests;

/// <summary>
/// The controller with GitHub configured (docs/github.md): a real git daemon, the sandbox node, and
/// a stand-in for the GitHub REST API on loopback. With a one-hour poll interval, only the signed
/// push webhook can make the controller see a new commit in time.
/// </summary>
public sealed class GitHubIntegrationTests : IDisposable
{
    private const string Secret = "controller-hook-secret";
    private const string Token = "ghs_controller0token0never0logged";
    private readonly GitServer _git = new();
    private readonly TempDir _dir = new("gh");

    public void Dispose()
    {
        _git.Dispose();
        _dir.Dispose();
    }

    private static string Vm(string memory) =>
        $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: gh-ctl-1}}\nspec: {{state: stopped, vcpus: 1, memory: {memory}, graphics: {{type: none}}}}\n";

    private static string[] Statuses(FakeGitHub github, string sha) =>
        github.Requests.Where(r => r.Path == $"/api/v3/repos/acme/infra/statuses/{sha}")
            .Select(r => $"{r.Json!["state"]}: {r.Json!["description"]}").ToArray();

    private static async Task<HttpStatusCode> DeliverAsync(Uri controller, string sha, string secret)
    {
        var body = $$$"""{"ref":"refs/heads/main","after":"{{{sha}}}","repository":{"full_name":"acme/infra"}}""";
        using var http = new HttpClient { BaseAddress = controller };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/github")
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("X-GitHub-Event", "push");
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(body))));
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_signed_push_fetches_at_once_and_every_applied_commit_gets_reconciler_apply()
    {
        await using var github = await FakeGitHub.StartAsync();
        _dir.Write("token", Token + "\n");
        _dir.Write("secret", Secret);
        var first = _git.Commit("first", ("vm.yaml", Vm("64MiB")));
        await using var controller = await Controller.StartAsync(_git.Url, ("Ref", "main"), ("Interval", "1h"),
            ("GitCacheDirectory", Path.Combine(_dir.Path, "cache")),
            ("GitHub:Repository", "acme/infra"), ("GitHub:ApiUrl", github.Root.ToString()),
            ("GitHub:TokenFile", Path.Combine(_dir.Path, "token")), ("GitHub:WebhookSecretFile", Path.Combine(_dir.Path, "secret")));

        await Eventually.TrueAsync(() => Statuses(github, first).LastOrDefault() == "success: Applied: 1 change", "first commit marked applied");
        Assert.Equal(["pending: Reconciling this revision…", "success: Applied: 1 change"], Statuses(github, first));

        // A push the controller cannot see by polling (interval 1h): a forged delivery changes nothing...
        var second = _git.Commit("more memory", ("vm.yaml", Vm("96MiB")));
        Assert.Equal(HttpStatusCode.Unauthorized, await DeliverAsync(controller.BaseAddress, second, "not-the-secret"));
        // ...the signed one makes it fetch and apply now.
        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(controller.BaseAddress, second, Secret));
        await Eventually.TrueAsync(() => Statuses(github, second).LastOrDefault() == "success: Applied: 1 change", "pushed commit applied and marked");
        var s = await controller.WaitAsync(s => s.Source.AppliedRevision == second, "status shows the pushed commit");
        Assert.Equal(second, s.Source.AppliedRevision);

        // A broken commit is rejected: its status fails, the last good revision stays in force.
        var broken = _git.Commit("broken", ("bad.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: x\n"));
        Assert.Equal(HttpStatusCode.Accepted, await DeliverAsync(controller.BaseAddress, broken, Secret));
        await Eventually.TrueAsync(() => Statuses(github, broken).Length > 0, "broken commit marked");
        Assert.Equal(["failure: Not applied: invalid specs (1 error); the last good revision stays in force"], Statuses(github, broken));

        Assert.All(github.Requests, r => Assert.Equal("Bearer " + Token, r.Authorization));
        Assert.DoesNotContain(controller.Logs.Lines, l => l.Contains(Token, StringComparison.Ordinal) || l.Contains(Secret, StringComparison.Ordinal));
        Assert.Contains(controller.Logs.Lines, l => l.Contains("GitHub webhook refused: X-Hub-Signature-256 does not match", StringComparison.Ordinal));
    }

    [Fact]
    public void GitHub_settings_are_checked_at_start_up()
    {
        var e = Assert.Throws<InvalidSettingsException>(() => ControllerHost.Create(new Dictionary<string, string?>
        {
            ["Reconciler:Source"] = _dir.Path,
            ["Reconciler:GitHub:Repository"] = "acme/infra",
            ["Reconciler:GitHub:TokenFile"] = Path.Combine(_dir.Path, "missing-token"),
        }));
        Assert.Contains(e.Errors, x => x.Contains("source is a directory", StringComparison.Ordinal));
        Assert.Contains(e.Errors, x => x.StartsWith("GitHub:TokenFile: cannot read the GitHub token file", StringComparison.Ordinal));
    }
}
