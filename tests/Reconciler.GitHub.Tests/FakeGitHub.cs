using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Reconciler.GitHub.Tests;

/// <summary>One request as the fake received it.</summary>
internal sealed record RecordedRequest(string Method, string Path, string Query, string Authorization, string Body, string UserAgent)
{
    public JsonNode? Json => Body.Length == 0 ? null : JsonNode.Parse(Body);
    public override string ToString() => $"{Method} {Path}{Query}";
}

/// <summary>A scripted answer that replaces the normal one for matching requests, a given number of times.</summary>
internal sealed record Scripted(string Method, Regex Path, int Status, IReadOnlyDictionary<string, string> Headers, string Body, TimeSpan Stall)
{
    public int Remaining;
}

/// <summary>
/// A loopback stand-in for the GitHub REST endpoints Reconciler uses, on Kestrel at 127.0.0.1:
/// pull requests, issue comments (kept in memory, so update-versus-create is observable) and
/// commit statuses. Every request is recorded with its Authorization header and body. Paths are
/// served with or without the Enterprise <c>/api/v3</c> prefix, which is recorded as sent.
/// </summary>
internal sealed class FakeGitHub : IAsyncDisposable
{
    public const string HeadSha = "0123456789abcdef0123456789abcdef01234567";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<Scripted> _scripted = [];
    private readonly object _gate = new();
    private readonly SortedDictionary<long, (string Body, string Login)> _comments = [];
    private long _nextId = 100;

    private FakeGitHub(WebApplication app) => _app = app;

    public Uri Root { get; private set; } = null!;

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToList();

    public static async Task<FakeGitHub> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeGitHub(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        fake.Root = new Uri(address.TrimEnd('/') + "/");
        return fake;
    }

    /// <summary>Answers the next <paramref name="times"/> matching requests with <paramref name="status"/>.</summary>
    public void Fail(string method, string pathPattern, int status, int times = 1, Dictionary<string, string>? headers = null, string body = """{"message":"scripted"}""")
    {
        lock (_gate) _scripted.Add(new Scripted(method, new Regex(pathPattern), status, headers ?? [], body, TimeSpan.Zero) { Remaining = times });
    }

    /// <summary>Holds the next matching request without answering until the client gives up (or <paramref name="stall"/> passes).</summary>
    public void Stall(string method, string pathPattern, TimeSpan stall)
    {
        lock (_gate) _scripted.Add(new Scripted(method, new Regex(pathPattern), 504, new Dictionary<string, string>(), "{}", stall) { Remaining = 1 });
    }

    /// <summary>A comment someone else wrote.</summary>
    public long AddComment(string body, string login)
    {
        lock (_gate)
        {
            var id = _nextId++;
            _comments[id] = (body, login);
            return id;
        }
    }

    public IReadOnlyDictionary<long, string> Comments
    {
        get { lock (_gate) return _comments.ToDictionary(c => c.Key, c => c.Value.Body); }
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        string body;
        using (var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8)) body = await reader.ReadToEndAsync();
        var request = new RecordedRequest(ctx.Request.Method, ctx.Request.Path.Value ?? "", ctx.Request.QueryString.Value ?? "",
            ctx.Request.Headers.Authorization.ToString(), body, ctx.Request.Headers.UserAgent.ToString());
        _requests.Enqueue(request);
        ctx.Response.Headers["X-RateLimit-Limit"] = "5000";
        ctx.Response.Headers["X-RateLimit-Remaining"] = "4999";

        Scripted? script;
        lock (_gate)
        {
            script = _scripted.FirstOrDefault(s => s.Remaining > 0 && s.Method == request.Method && s.Path.IsMatch(request.Path));
            if (script is not null) script.Remaining--;
        }
        if (script is not null)
        {
            if (script.Stall > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(script.Stall, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            foreach (var (k, v) in script.Headers) ctx.Response.Headers[k] = v;
            await Send(ctx, script.Status, script.Body);
            return;
        }

        var path = Regex.Replace(request.Path, "^/api/v3", "");
        var m = Regex.Match(path, "^/repos/(?<o>[^/]+)/(?<r>[^/]+)/(?<rest>.*)$");
        if (!m.Success)
        {
            await Send(ctx, 404, """{"message":"Not Found"}""");
            return;
        }
        var (o, r, rest) = (m.Groups["o"].Value, m.Groups["r"].Value, m.Groups["rest"].Value);
        var html = $"https://github.example/{o}/{r}";
        if (request.Method == "GET" && Regex.Match(rest, @"^pulls/(\d+)$") is { Success: true } pr)
        {
            await Send(ctx, 200, Json(new { number = int.Parse(pr.Groups[1].Value), state = "open", title = "t", head = new { sha = HeadSha, @ref = "feature" }, @base = new { sha = new string('f', 40), @ref = "main" } }));
            return;
        }
        if (request.Method == "GET" && Regex.IsMatch(rest, @"^issues/\d+/comments$"))
        {
            object[] list;
            lock (_gate) list = _comments.Select(c => (object)Comment(c.Key, c.Value.Body, c.Value.Login, html)).ToArray();
            await Send(ctx, 200, Json(list));
            return;
        }
        if (request.Method == "POST" && Regex.IsMatch(rest, @"^issues/\d+/comments$"))
        {
            var text = request.Json?["body"]?.GetValue<string>() ?? "";
            long id;
            lock (_gate)
            {
                id = _nextId++;
                _comments[id] = (text, "reconciler-bot");
            }
            await Send(ctx, 201, Json(Comment(id, text, "reconciler-bot", html)));
            return;
        }
        if (request.Method == "PATCH" && Regex.Match(rest, @"^issues/comments/(\d+)$") is { Success: true } cm)
        {
            var id = long.Parse(cm.Groups[1].Value);
            var text = request.Json?["body"]?.GetValue<string>() ?? "";
            bool found;
            lock (_gate)
            {
                found = _comments.ContainsKey(id);
                if (found) _comments[id] = (text, _comments[id].Login);
            }
            await Send(ctx, found ? 200 : 404, found ? Json(Comment(id, text, "reconciler-bot", html)) : """{"message":"Not Found"}""");
            return;
        }
        if (request.Method == "POST" && Regex.Match(rest, @"^statuses/([0-9a-f]+)$") is { Success: true })
        {
            var json = request.Json!.AsObject();
            json["id"] = 1;
            json["url"] = $"https://github.example/api/v3/repos/{o}/{r}/statuses/1";
            await Send(ctx, 201, json.ToJsonString());
            return;
        }
        await Send(ctx, 404, """{"message":"Not Found"}""");
    }

    private static object Comment(long id, string body, string login, string html) =>
        new { id, body, user = new { login, id = 1 }, html_url = $"{html}/pull/7#issuecomment-{id}" };

    private static string Json(object o) => JsonSerializer.Serialize(o);

    private static async Task Send(HttpContext ctx, int status, string body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json; charset=utf-8";
        await ctx.Response.WriteAsync(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
