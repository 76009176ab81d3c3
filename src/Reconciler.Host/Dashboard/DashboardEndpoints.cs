using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Reconciler.Sources;

namespace Reconciler.Host.Dashboard;

/// <summary>
/// The web dashboard, served at <c>/</c> beside <c>/status</c>: server-rendered pages (Razor
/// components, static rendering) that work without JavaScript, <c>/events</c> (server-sent events,
/// one "changed" event per change) for the small script that refreshes an open page, and the
/// dashboard's actions. The pages are as open as <c>/status</c>; the actions need the API token
/// (a sign-in that sets an HttpOnly cookie) and an anti-forgery token in every POST.
/// </summary>
internal static class DashboardEndpoints
{
    /// <summary>Registers what the dashboard needs.</summary>
    public static void AddServices(IServiceCollection services)
    {
        services.AddRazorComponents();
        // Keys in memory: a restart invalidates open forms (the sign-in cookie does not depend on them).
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAntiforgery(o =>
        {
            o.Cookie.Name = "reconciler_antiforgery";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.FormFieldName = "__antiforgery";
        });
        services.AddSingleton<DashboardSignal>();
        services.AddSingleton<ActivityLog>();
        services.AddSingleton<RuntimeSuspend>();
    }

    public static void Map(WebApplication app)
    {
        var sp = app.Services;
        var settings = sp.GetRequiredService<ControllerSettings>();

        app.MapGet("/", (HttpContext ctx) =>
        {
            var model = Model(ctx);
            return new RazorComponentResult<OverviewPage>(new { Model = model, Nodes = DashboardData.Nodes(sp, model.Status) });
        });
        app.MapGet("/resources", (HttpContext ctx) =>
        {
            var model = Model(ctx);
            return new RazorComponentResult<ResourcesPage>(new { Model = model, View = DashboardData.Resources(sp, model.Status, DashboardData.Query(ctx.Request.Query)) });
        });
        app.MapGet("/resources/{node}/{kind}/{name}", (HttpContext ctx, string node, string kind, string name) =>
        {
            var model = Model(ctx);
            var resource = model.Status.Resources.FirstOrDefault(r => r.Node == node && r.Kind == kind && r.Name == name);
            if (resource is null)
            {
                return Results.Text($"no {kind} {name} on node {node} is managed now; see /resources\n", statusCode: StatusCodes.Status404NotFound);
            }
            return new RazorComponentResult<ResourcePage>(new { Model = model, View = DashboardData.Resource(sp, resource) });
        });
        app.MapGet("/activity", (HttpContext ctx) =>
            new RazorComponentResult<ActivityPage>(new { Model = Model(ctx), Passes = sp.GetRequiredService<ActivityLog>().Passes }));
        app.MapGet("/events", (HttpContext ctx) =>
            TypedResults.ServerSentEvents(Changes(sp.GetRequiredService<DashboardSignal>(), app.Lifetime.ApplicationStopping, ctx.RequestAborted)));
        app.MapGet("/ui/dashboard.css", () => Asset("dashboard.css", "text/css; charset=utf-8"));
        app.MapGet("/ui/dashboard.js", () => Asset("dashboard.js", "text/javascript; charset=utf-8"));

        app.MapGet("/login", (HttpContext ctx) =>
        {
            var tokens = sp.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
            return Login(tokens, LocalReturn(ctx.Request.Query["return"]), null, settings.ApiTokenFile is null, StatusCodes.Status200OK);
        });
        app.MapPost("/login", async (HttpContext ctx) =>
        {
            if (await Forged(ctx).ConfigureAwait(false) is { } forged) return forged;
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            var back = LocalReturn(form["return"]);
            var tokens = sp.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
            if (settings.ApiTokenFile is null) return Login(tokens, back, "Actions are disabled.", true, StatusCodes.Status403Forbidden);
            if (!DashboardAuth.SignIn(ctx.Request, ctx.Response, settings.ApiTokenFile, form["token"].ToString()))
            {
                return Login(tokens, back, "That is not the controller's API token.", false, StatusCodes.Status401Unauthorized);
            }
            return Results.Redirect(WithNotice(back, "signed-in"));
        });
        app.MapPost("/ui/logout", async (HttpContext ctx) =>
        {
            if (await Forged(ctx).ConfigureAwait(false) is { } forged) return forged;
            DashboardAuth.SignOut(ctx.Response);
            return Results.Redirect(WithNotice("/", "signed-out"));
        });
        MapAction(app, "reconcile", "reconcile now", () => sp.GetRequiredService<ReconcileTrigger>().Request("dashboard: reconcile now"));
        MapAction(app, "suspend", "suspend", () => Suspend(sp, true));
        MapAction(app, "resume", "resume", () => Suspend(sp, false));
    }

    /// <summary>Turns the runtime suspend on or off and asks for a pass (so statuses show it at once).</summary>
    public static void Suspend(IServiceProvider sp, bool on)
    {
        if (sp.GetRequiredService<RuntimeSuspend>().Set(on))
        {
            sp.GetRequiredService<ReconcileTrigger>().Request(on ? "suspended at runtime" : "resumed at runtime");
        }
        sp.GetRequiredService<DashboardSignal>().Changed();
    }

    private static void MapAction(WebApplication app, string name, string words, Action act)
    {
        var settings = app.Services.GetRequiredService<ControllerSettings>();
        app.MapPost($"/ui/{name}", async (HttpContext ctx) =>
        {
            if (await Forged(ctx).ConfigureAwait(false) is { } forged) return forged;
            var form = await ctx.Request.ReadFormAsync(ctx.RequestAborted).ConfigureAwait(false);
            var back = LocalReturn(form["return"]);
            var access = DashboardAuth.Access(ctx.Request, settings.ApiTokenFile);
            if (access != ActionAccess.SignedIn)
            {
                var tokens = app.Services.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
                return access switch
                {
                    ActionAccess.Disabled => Login(tokens, back, $"Refused: {words} needs the API token, and actions are disabled (no --api-token-file).", true, StatusCodes.Status403Forbidden),
                    ActionAccess.Unavailable => Login(tokens, back, $"Refused: the controller cannot read its --api-token-file.", false, StatusCodes.Status503ServiceUnavailable),
                    _ => Login(tokens, back, $"Refused: {words} needs the API token. Sign in, then try again.", false, StatusCodes.Status401Unauthorized),
                };
            }
            act();
            return Results.Redirect(WithNotice(back, name));
        });
    }

    private static RazorComponentResult<LoginPage> Login(AntiforgeryTokenSet tokens, string back, string? message, bool disabled, int status) =>
        new(new { ForgeryField = tokens.FormFieldName, ForgeryToken = tokens.RequestToken ?? "", Return = back, Message = message, Disabled = disabled })
        {
            StatusCode = status,
        };

    /// <summary>Null when the POST carries a valid anti-forgery token; else the refusal.</summary>
    private static async Task<IResult?> Forged(HttpContext ctx)
    {
        try
        {
            await ctx.RequestServices.GetRequiredService<IAntiforgery>().ValidateRequestAsync(ctx).ConfigureAwait(false);
            return null;
        }
        catch (AntiforgeryValidationException)
        {
            return Results.Text("refused: this form did not come from the dashboard or has expired (the controller restarted); reload the page and try again\n",
                statusCode: StatusCodes.Status400BadRequest);
        }
    }

    private static DashboardModel Model(HttpContext ctx)
    {
        var sp = ctx.RequestServices;
        var settings = sp.GetRequiredService<ControllerSettings>();
        var tokens = sp.GetRequiredService<IAntiforgery>().GetAndStoreTokens(ctx);
        var query = ctx.Request.Query;
        var here = ctx.Request.Path + QueryWithout(ctx.Request.QueryString, "done");
        return new DashboardModel(ControllerHost.BuildStatus(sp), DashboardAuth.Access(ctx.Request, settings.ApiTokenFile),
            tokens.FormFieldName, tokens.RequestToken ?? "", Notice(query["done"]), sp.GetRequiredService<ActivityLog>().PassCount,
            sp.GetRequiredService<RuntimeSuspend>().On, settings.Suspend, settings.Interval, here);
    }

    private static string? Notice(string? done) => done switch
    {
        "reconcile" => "A pass was requested; this page updates when it ends.",
        "suspend" => "Suspended: passes plan and report but change nothing until resumed (or the controller restarts).",
        "resume" => "Resumed: passes apply changes again.",
        "signed-in" => "Signed in: actions are enabled in this browser.",
        "signed-out" => "Signed out.",
        _ => null,
    };

    private static string QueryWithout(QueryString query, string key)
    {
        if (!query.HasValue) return "";
        var kept = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(query.Value).Where(p => p.Key != key)
            .SelectMany(p => p.Value.Select(v => Uri.EscapeDataString(p.Key) + "=" + Uri.EscapeDataString(v ?? ""))).ToList();
        return kept.Count == 0 ? "" : "?" + string.Join("&", kept);
    }

    private static string WithNotice(string back, string done) => back + (back.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "done=" + done;

    /// <summary>A local path to return to; anything else (another site, a scheme-relative URL) becomes <c>/</c>.</summary>
    internal static string LocalReturn(string? value) =>
        value is { Length: > 0 } v && v[0] == '/' && !v.StartsWith("//", StringComparison.Ordinal) && !v.StartsWith("/\\", StringComparison.Ordinal)
            && !v.Any(char.IsControl) ? v : "/";

    private static async IAsyncEnumerable<SseItem<string>> Changes(DashboardSignal signal, CancellationToken stopping,
        [EnumeratorCancellation] CancellationToken aborted = default)
    {
        using var both = CancellationTokenSource.CreateLinkedTokenSource(stopping, aborted);
        var seen = signal.Version;
        yield return new SseItem<string>(seen.ToString(System.Globalization.CultureInfo.InvariantCulture), "hello") { ReconnectionInterval = TimeSpan.FromSeconds(5) };
        while (!both.IsCancellationRequested)
        {
            var now = await signal.WaitAsync(seen, TimeSpan.FromSeconds(30), both.Token).ConfigureAwait(false);
            if (now is null) yield break;
            if (now == seen)
            {
                // Keeps proxies from closing an idle stream.
                yield return new SseItem<string>("", "ping");
                continue;
            }
            seen = now.Value;
            yield return new SseItem<string>(seen.ToString(System.Globalization.CultureInfo.InvariantCulture), "changed");
        }
    }

    private static IResult Asset(string name, string type)
    {
        using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream("Reconciler.Host.Dashboard." + name)
            ?? throw new InvalidOperationException($"the dashboard asset {name} is not embedded");
        using var reader = new StreamReader(stream);
        return Results.Text(reader.ReadToEnd(), type);
    }
}
