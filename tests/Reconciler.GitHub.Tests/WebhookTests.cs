using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Reconciler.GitHub.Webhooks;

namespace Reconciler.GitHub.Tests;

public sealed class WebhookSignatureTests
{
    [Fact]
    public void Matches_GitHubs_documented_example()
    {
        // From GitHub's "Validating webhook deliveries" documentation.
        var body = Encoding.UTF8.GetBytes("Hello, World!");
        const string expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        Assert.Equal(expected, WebhookSignature.Sign(body, "It's a Secret to Everybody"));
        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(expected, body, "It's a Secret to Everybody"));
        Assert.Equal(SignatureCheck.Valid, WebhookSignature.Verify(expected.ToUpperInvariant().Replace("SHA256=", "sha256="), body, "It's a Secret to Everybody"));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(expected, body, "another secret"));
        Assert.Equal(SignatureCheck.Mismatch, WebhookSignature.Verify(expected, Encoding.UTF8.GetBytes("Hello, World?"), "It's a Secret to Everybody"));
        Assert.Equal(SignatureCheck.Missing, WebhookSignature.Verify(null, body, "x"));
        Assert.Equal(SignatureCheck.Malformed, WebhookSignature.Verify("sha1=757107ea0eb2509fc211221cce984b8a37570b6d", body, "x"));
        Assert.Equal(SignatureCheck.Malformed, WebhookSignature.Verify("sha256=zz" + expected[9..], body, "x"));
    }
}

/// <summary>Collects log lines (message and exception text) from every logger.</summary>
internal sealed class ListLogger : ILoggerProvider, ILogger
{
    public ConcurrentQueue<string> Lines { get; } = new();
    public ILogger CreateLogger(string categoryName) => this;
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Lines.Enqueue($"{logLevel}: {formatter(state, exception)} {exception}");
    public void Dispose() { }
}

internal sealed class RecordingTrigger : IGitHubPushTrigger
{
    public ConcurrentQueue<GitHubPush> Pushes { get; } = new();
    public ValueTask OnPushAsync(GitHubPush push, CancellationToken ct)
    {
        Pushes.Enqueue(push);
        return ValueTask.CompletedTask;
    }
}

public sealed class WebhookEndpointTests : IAsyncLifetime
{
    private const string Secret = "w3bh00k-shared-secret";
    private const string After = "89abcdef0123456789abcdef0123456789abcdef";
    private WebApplication _app = null!;
    private readonly ListLogger _log = new();
    private readonly RecordingTrigger _trigger = new();
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(_log);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        _app = builder.Build();
        _app.MapGitHubPushWebhook(new GitHubWebhookOptions(Secret, new GitHubRepository("acme", "infra"), "main"), _trigger);
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        _http = new HttpClient { BaseAddress = new Uri(address) };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static string Push(string repo = "acme/infra", string @ref = "refs/heads/main", bool deleted = false) =>
        $$$"""{"ref":"{{{@ref}}}","before":"0000000000000000000000000000000000000000","after":"{{{After}}}","deleted":{{{(deleted ? "true" : "false")}}},"repository":{"full_name":"{{{repo}}}","private":true},"pusher":{"name":"octocat"},"head_commit":{"message":"PAYLOAD-CANARY bump memory"}}""";

    private static string HexHmac(string secret, string body) =>
        "sha256=" + Convert.ToHexStringLower(new HMACSHA256(Encoding.UTF8.GetBytes(secret)).ComputeHash(Encoding.UTF8.GetBytes(body)));

    private async Task<(HttpStatusCode Status, string Text)> Deliver(string body, string? signature, string ev = "push")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, GitHubWebhookOptions.DefaultPath)
        {
            Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
        };
        request.Headers.Add("X-GitHub-Event", ev);
        request.Headers.Add("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958");
        if (signature is not null) request.Headers.Add("X-Hub-Signature-256", signature);
        using var response = await _http.SendAsync(request);
        return (response.StatusCode, (await response.Content.ReadAsStringAsync()).Trim());
    }

    [Fact]
    public async Task A_signed_push_to_the_followed_branch_triggers_a_reconcile()
    {
        var body = Push();
        var (status, text) = await Deliver(body, HexHmac(Secret, body));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Equal($"reconcile requested for refs/heads/main at {After}", text);
        var push = Assert.Single(_trigger.Pushes);
        Assert.Equal(new GitHubPush("acme/infra", "refs/heads/main", After, "72d3162e-cc78-11e3-81ab-4c9367dc0958"), push);
    }

    [Fact]
    public async Task A_bad_signature_is_refused_and_logged_without_the_payload()
    {
        var body = Push();
        var (status, text) = await Deliver(body, HexHmac("not-the-secret", body));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("refused: X-Hub-Signature-256 does not match the shared secret", text);
        Assert.Empty(_trigger.Pushes);
        var line = Assert.Single(_log.Lines, l => l.Contains("refused", StringComparison.Ordinal));
        Assert.StartsWith("Warning: GitHub webhook refused: X-Hub-Signature-256 does not match the shared secret (delivery 72d3162e-cc78-11e3-81ab-4c9367dc0958, event push, ", line);
        Assert.DoesNotContain(_log.Lines, l => l.Contains("PAYLOAD-CANARY", StringComparison.Ordinal) || l.Contains("acme/infra", StringComparison.Ordinal) || l.Contains(Secret, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_signature_for_a_tampered_body_is_refused()
    {
        var body = Push();
        var (status, _) = await Deliver(body.Replace("bump memory", "bump memorx", StringComparison.Ordinal), HexHmac(Secret, body));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Empty(_trigger.Pushes);
    }

    [Fact]
    public async Task A_missing_or_malformed_signature_is_refused()
    {
        var (missing, text) = await Deliver(Push(), null);
        Assert.Equal(HttpStatusCode.Unauthorized, missing);
        Assert.Equal("refused: missing X-Hub-Signature-256", text);
        var (sha1, _) = await Deliver(Push(), "sha1=0123456789abcdef0123456789abcdef01234567");
        Assert.Equal(HttpStatusCode.Unauthorized, sha1);
        Assert.Empty(_trigger.Pushes);
        Assert.DoesNotContain(_log.Lines, l => l.Contains("PAYLOAD-CANARY", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("acme/infra", "refs/heads/feature", false, "ignored: push to refs/heads/feature, not refs/heads/main")]
    [InlineData("acme/infra", "refs/tags/main", false, "ignored: push to refs/tags/main, not refs/heads/main")]
    [InlineData("someone/else", "refs/heads/main", false, "ignored: push to someone/else, not acme/infra")]
    [InlineData("acme/infra", "refs/heads/main", true, "ignored: refs/heads/main was deleted")]
    public async Task Pushes_elsewhere_are_ignored(string repo, string @ref, bool deleted, string expected)
    {
        var body = Push(repo, @ref, deleted);
        var (status, text) = await Deliver(body, HexHmac(Secret, body));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(expected, text);
        Assert.Empty(_trigger.Pushes);
    }

    [Fact]
    public async Task Repository_names_compare_case_insensitively()
    {
        var body = Push("ACME/Infra");
        var (status, _) = await Deliver(body, HexHmac(Secret, body));
        Assert.Equal(HttpStatusCode.Accepted, status);
        Assert.Single(_trigger.Pushes);
    }

    [Fact]
    public async Task Other_events_and_pings_are_acknowledged_and_ignored()
    {
        const string ping = """{"zen":"Keep it logically awesome.","hook_id":1}""";
        var (pingStatus, pingText) = await Deliver(ping, HexHmac(Secret, ping), "ping");
        Assert.Equal(HttpStatusCode.OK, pingStatus);
        Assert.StartsWith("ping received", pingText);
        var body = Push();
        var (status, text) = await Deliver(body, HexHmac(Secret, body), "pull_request");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ignored: event 'pull_request' (only push triggers a reconcile)", text);
        Assert.Empty(_trigger.Pushes);
    }

    [Fact]
    public async Task A_signed_but_unreadable_push_is_a_bad_request()
    {
        const string body = "{\"ref\": ";
        var (status, _) = await Deliver(body, HexHmac(Secret, body));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Empty(_trigger.Pushes);
    }
}
