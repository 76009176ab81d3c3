using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Reconciler.GitHub.Webhooks;

/// <summary>Maps the GitHub push webhook onto an ASP.NET Core app (the controller's HTTP endpoint).</summary>
public static class WebhookEndpoint
{
    /// <summary>
    /// <c>POST <paramref name="path"/></c>: GitHub deliveries, judged by <see cref="GitHubPushWebhook"/>.
    /// Answers 202 (reconcile requested), 200 (ignored), 401 (bad or missing signature), 400, or 413.
    /// </summary>
    public static IEndpointConventionBuilder MapGitHubPushWebhook(this IEndpointRouteBuilder endpoints,
        GitHubWebhookOptions options, IGitHubPushTrigger trigger, string path = GitHubWebhookOptions.DefaultPath)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var logger = endpoints.ServiceProvider.GetService<ILoggerFactory>()?.CreateLogger("Reconciler.GitHub.Webhook")
            ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        var webhook = new GitHubPushWebhook(options, trigger, logger);
        return endpoints.MapPost(path, async context =>
        {
            var request = context.Request;
            if (request.ContentLength > GitHubWebhookOptions.MaxBodyBytes)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }
            var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
            if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = GitHubWebhookOptions.MaxBodyBytes;
            byte[] body;
            try
            {
                using var buffer = new MemoryStream();
                await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
                body = buffer.ToArray();
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
                return;
            }
            var outcome = await webhook.HandleAsync(
                request.Headers["X-GitHub-Event"].ToString(),
                request.Headers[WebhookSignature.Header].ToString(),
                request.Headers["X-GitHub-Delivery"].ToString(),
                body,
                context.Connection.RemoteIpAddress?.ToString(),
                context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = outcome.StatusCode;
            context.Response.ContentType = "text/plain; charset=utf-8";
            await context.Response.WriteAsync(outcome.Message + "\n", context.RequestAborted).ConfigureAwait(false);
        });
    }
}
