using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Reconciler.Host;

/// <summary>
/// The endpoints that change something (<c>POST /actions/…</c>). Every one of them sits in the
/// group that <see cref="ApiToken"/> guards: one setting, <c>--api-token-file</c>, for all. The
/// read-only endpoints (<c>/healthz</c>, <c>/readyz</c>, <c>/status</c>, <c>/metrics</c>) are not here.
/// </summary>
internal static class ActionEndpoints
{
    /// <summary>The path prefix of every action endpoint.</summary>
    public const string Prefix = "/actions";

    /// <summary>Approves the held mass removal of one revision.</summary>
    public const string ApprovePrune = "approve-prune";

    /// <summary>The group every action endpoint must be mapped in (add new actions here).</summary>
    public static RouteGroupBuilder Group(WebApplication app)
    {
        var settings = app.Services.GetRequiredService<ControllerSettings>();
        var group = app.MapGroup(Prefix);
        group.AddEndpointFilter(async (context, next) => ApiToken.Refusal(context.HttpContext.Request, settings.ApiTokenFile) ?? await next(context).ConfigureAwait(false));
        return group;
    }

    public static void Map(WebApplication app)
    {
        var actions = Group(app);
        var sp = app.Services;
        actions.MapPost("/reconcile", () =>
        {
            sp.GetRequiredService<ReconcileTrigger>().Request("api: reconcile now");
            return Results.Text("a pass is requested\n", statusCode: StatusCodes.Status202Accepted);
        });
        actions.MapPost("/suspend", () =>
        {
            Dashboard.DashboardEndpoints.Suspend(sp, true);
            return Results.Text("suspended: passes change nothing until resumed or the controller restarts\n");
        });
        actions.MapPost("/resume", () =>
        {
            Dashboard.DashboardEndpoints.Suspend(sp, false);
            return Results.Text(sp.GetRequiredService<ControllerSettings>().Suspend
                ? "resumed at runtime; the controller was started with --suspend, which still holds\n"
                : "resumed: passes apply changes again\n");
        });
        actions.MapPost($"/{ApprovePrune}/{{revision}}", (string revision) =>
        {
            var held = sp.GetRequiredService<StatusStore>().HeldPrunes;
            var matches = held.Where(h => h.Revision == revision || (revision.Length >= 7 && h.Revision.StartsWith(revision, StringComparison.Ordinal)))
                .Select(h => h.Revision).Distinct(StringComparer.Ordinal).ToList();
            if (matches.Count != 1)
            {
                var now = held.Count == 0 ? "nothing is held now"
                    : "held now: " + string.Join("; ", held.Select(h => $"revision {h.Revision} ({h.Count} of {h.Owned} domains on node {h.Node})"));
                return Results.Text($"revision {revision} has no held removals to approve ({now}); an approval names the revision whose removals are held (reconcile status shows it)\n",
                    statusCode: StatusCodes.Status409Conflict);
            }
            var full = matches[0];
            sp.GetRequiredService<PruneApprovals>().Approve(full);
            sp.GetRequiredService<ReconcileTrigger>().Request($"prune approved for revision {DesiredState.Short(full)}");
            var count = held.Where(h => h.Revision == full).Sum(h => h.Count);
            return Results.Text($"approved: the {count} held removal(s) of revision {full} are applied in the next pass (this revision only)\n",
                statusCode: StatusCodes.Status202Accepted);
        });
    }
}

/// <summary>The bearer token of the action endpoints, read from <c>--api-token-file</c> at every request (so it can be rotated).</summary>
internal static class ApiToken
{
    /// <summary>Null when <paramref name="request"/> may act; else the refusal to send.</summary>
    public static IResult? Refusal(HttpRequest request, string? tokenFile)
    {
        if (tokenFile is null)
        {
            return Results.Text("action endpoints are disabled: start the controller with --api-token-file FILE (a file holding a bearer token), "
                + "then call them with that token (reconcile approve-prune --api-token-file FILE)\n", statusCode: StatusCodes.Status403Forbidden);
        }
        string expected;
        try
        {
            expected = File.ReadAllText(tokenFile).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Results.Text($"the controller cannot read its --api-token-file: {e.Message}\n", statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        var given = header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) ? header[scheme.Length..].Trim() : "";
        if (expected.Length > 0 && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(expected))) return null;
        request.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
        return Results.Text(given.Length == 0
                ? "missing bearer token: send Authorization: Bearer TOKEN (the token in the controller's --api-token-file)\n"
                : "wrong bearer token\n",
            statusCode: StatusCodes.Status401Unauthorized);
    }
}
