using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace Reconciler.GitHub.Webhooks;

/// <summary>The webhook's settings.</summary>
/// <param name="Secret">The shared secret configured on the GitHub webhook. Required: unsigned deliveries are always refused.</param>
/// <param name="Repository">The repository whose pushes count (<c>OWNER/REPO</c>); other repositories' events are ignored.</param>
/// <param name="Ref">The branch (<c>main</c>) or full ref (<c>refs/heads/main</c>, <c>refs/tags/v1</c>) the controller follows; other refs are ignored.</param>
public sealed record GitHubWebhookOptions(string Secret, GitHubRepository Repository, string Ref)
{
    /// <summary>The route the controller serves by default.</summary>
    public const string DefaultPath = "/webhooks/github";

    /// <summary>The most a delivery may weigh (GitHub caps payloads at 25 MB).</summary>
    public const long MaxBodyBytes = 25 * 1024 * 1024;

    /// <summary><see cref="Ref"/> as a full ref name.</summary>
    public string FullRef => Ref.StartsWith("refs/", StringComparison.Ordinal) ? Ref : "refs/heads/" + Ref;

    /// <summary>Never the secret.</summary>
    public override string ToString() => $"GitHubWebhookOptions {{ Repository = {Repository}, Ref = {FullRef}, Secret = *** }}";
}

/// <summary>A push that should make the controller fetch and reconcile now.</summary>
/// <param name="Repository">The repository, as GitHub names it.</param>
/// <param name="Ref">The pushed ref, e.g. <c>refs/heads/main</c>.</param>
/// <param name="After">The commit the ref points to now.</param>
/// <param name="DeliveryId">GitHub's <c>X-GitHub-Delivery</c>, for logs.</param>
public sealed record GitHubPush(string Repository, string Ref, string? After, string? DeliveryId);

/// <summary>
/// What the controller provides to the webhook: "a new revision was pushed, fetch and reconcile
/// now". Implementations should only signal their loop and return quickly; GitHub waits at most
/// 10 seconds for the answer.
/// </summary>
public interface IGitHubPushTrigger
{
    /// <summary>Called once per accepted push.</summary>
    ValueTask OnPushAsync(GitHubPush push, CancellationToken ct);
}

/// <summary>What a delivery led to.</summary>
public enum WebhookVerdict
{
    /// <summary>A push to the followed ref: the trigger was called (HTTP 202).</summary>
    Triggered,
    /// <summary>Signed correctly, but nothing to do: another repository, ref or event, or a ping (HTTP 200).</summary>
    Ignored,
    /// <summary>Missing or wrong signature (HTTP 401).</summary>
    Unauthorized,
    /// <summary>Signed correctly but unreadable (HTTP 400).</summary>
    BadRequest,
    /// <summary>The trigger failed (HTTP 500); GitHub shows the delivery as failed and it can be redelivered.</summary>
    Failed,
}

/// <summary>The answer to one delivery.</summary>
/// <param name="Verdict">What happened.</param>
/// <param name="Message">One line for the HTTP body and the log.</param>
/// <param name="Push">The push, when one was accepted.</param>
public sealed record WebhookOutcome(WebhookVerdict Verdict, string Message, GitHubPush? Push)
{
    /// <summary>The HTTP status code to answer with.</summary>
    public int StatusCode => Verdict switch
    {
        WebhookVerdict.Triggered => 202,
        WebhookVerdict.Ignored => 200,
        WebhookVerdict.Unauthorized => 401,
        WebhookVerdict.BadRequest => 400,
        _ => 500,
    };
}

/// <summary>
/// Judges GitHub webhook deliveries, independent of the HTTP server: signature first (nothing
/// of an unsigned or wrongly signed body is read, and it is never logged), then event, repository
/// and ref; a push to the followed ref calls <see cref="IGitHubPushTrigger"/>.
/// </summary>
/// <param name="options">Secret, repository, ref.</param>
/// <param name="trigger">The controller's "reconcile now".</param>
/// <param name="logger">Receives one line per delivery; payloads and signatures are never logged.</param>
public sealed class GitHubPushWebhook(GitHubWebhookOptions options, IGitHubPushTrigger trigger, ILogger logger)
{
    /// <summary>Handles one delivery.</summary>
    /// <param name="eventName"><c>X-GitHub-Event</c>.</param>
    /// <param name="signature"><c>X-Hub-Signature-256</c>.</param>
    /// <param name="deliveryId"><c>X-GitHub-Delivery</c>.</param>
    /// <param name="body">The raw body.</param>
    /// <param name="remote">The sender's address, for the log.</param>
    /// <param name="ct">Cancels the trigger call.</param>
    public async Task<WebhookOutcome> HandleAsync(string? eventName, string? signature, string? deliveryId, ReadOnlyMemory<byte> body, string? remote, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        var delivery = Clean(deliveryId) ?? "(none)";
        var check = WebhookSignature.Verify(signature, body.Span, options.Secret);
        if (check != SignatureCheck.Valid)
        {
            var why = check switch
            {
                SignatureCheck.Missing => "missing X-Hub-Signature-256",
                SignatureCheck.Malformed => "malformed X-Hub-Signature-256",
                _ => "X-Hub-Signature-256 does not match the shared secret",
            };
            // The payload is not trusted, so none of it is logged: only its size and who sent it.
            logger.LogWarning("GitHub webhook refused: {Reason} (delivery {Delivery}, event {Event}, {Bytes} bytes from {Remote})",
                why, delivery, Clean(eventName) ?? "(none)", body.Length, remote ?? "unknown");
            return new(WebhookVerdict.Unauthorized, $"refused: {why}", null);
        }

        var ev = Clean(eventName);
        if (ev == "ping") return Ignore(delivery, "ping received; pushes to " + options.Repository + " " + options.FullRef + " will trigger a reconcile");
        if (ev != "push") return Ignore(delivery, $"ignored: event '{ev ?? "(none)"}' (only push triggers a reconcile)");

        string? fullName, pushedRef, after;
        bool deleted;
        try
        {
            using var doc = JsonDocument.Parse(body);
            var root = doc.RootElement;
            pushedRef = Str(root, "ref");
            after = Str(root, "after");
            deleted = root.TryGetProperty("deleted", out var d) && d.ValueKind == JsonValueKind.True;
            fullName = root.TryGetProperty("repository", out var repo) && repo.ValueKind == JsonValueKind.Object ? Str(repo, "full_name") : null;
        }
        catch (JsonException)
        {
            logger.LogWarning("GitHub webhook delivery {Delivery}: signed push payload is not JSON", delivery);
            return new(WebhookVerdict.BadRequest, "bad request: the payload is not JSON", null);
        }
        if (fullName is null || pushedRef is null)
        {
            logger.LogWarning("GitHub webhook delivery {Delivery}: push payload lacks ref or repository.full_name", delivery);
            return new(WebhookVerdict.BadRequest, "bad request: a push needs ref and repository.full_name", null);
        }
        if (!options.Repository.Is(fullName)) return Ignore(delivery, $"ignored: push to {Clean(fullName)}, not {options.Repository}");
        if (!string.Equals(pushedRef, options.FullRef, StringComparison.Ordinal)) return Ignore(delivery, $"ignored: push to {Clean(pushedRef)}, not {options.FullRef}");
        if (deleted) return Ignore(delivery, $"ignored: {options.FullRef} was deleted");

        var push = new GitHubPush(fullName, pushedRef, Clean(after), Clean(deliveryId));
        try
        {
            await trigger.OnPushAsync(push, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            logger.LogError(e, "GitHub push delivery {Delivery}: the reconcile trigger failed", delivery);
            return new(WebhookVerdict.Failed, "the reconcile trigger failed; see the controller's log", null);
        }
        logger.LogInformation("GitHub push to {Repository} {Ref} at {Revision} (delivery {Delivery}): reconcile requested",
            options.Repository, options.FullRef, push.After ?? "(unknown)", delivery);
        return new(WebhookVerdict.Triggered, $"reconcile requested for {options.FullRef} at {push.After ?? "(unknown)"}", push);
    }

    private WebhookOutcome Ignore(string delivery, string message)
    {
        logger.LogInformation("GitHub webhook delivery {Delivery}: {Message}", delivery, message);
        return new(WebhookVerdict.Ignored, message, null);
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Header and payload strings go into logs only printable and short.</summary>
    private static string? Clean(string? s)
    {
        if (string.IsNullOrWhiteSpace(s)) return null;
        var t = new string(s.Trim().Where(c => !char.IsControl(c)).Take(200).ToArray());
        return t.Length == 0 ? null : t;
    }
}
