using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Reconciler.Host.Tests;

/// <summary>
/// A loopback stand-in for the part of the Kubernetes API that leader election uses, because no
/// Kubernetes API server runs on this machine (none is packaged for Debian 12 or on NuGet; see
/// shared/notes/multi-node.md §5): coordination.k8s.io/v1 Leases, kept in memory, on Kestrel
/// (HTTP/1.1 keep-alive, as KubernetesClient expects). Semantics as the API server's:
/// GET …/namespaces/{ns}/leases/{name} → 200 or 404; POST …/namespaces/{ns}/leases → 201, or 409
/// when it exists; PUT …/leases/{name} → 200 when metadata.resourceVersion matches the stored one,
/// else 409 Conflict (optimistic concurrency); every write bumps resourceVersion. Records each
/// holder change.
/// </summary>
internal sealed class FakeLeaseApi : IAsyncDisposable
{
    private const string Prefix = "/apis/coordination.k8s.io/v1/namespaces/";
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, JsonObject> _leases = new(StringComparer.Ordinal);
    private readonly List<string> _holders = [];
    private long _version = 1;

    private FakeLeaseApi(WebApplication app) => _app = app;

    public string Url { get; private set; } = "";

    /// <summary>Every holderIdentity written, in order (consecutive duplicates dropped).</summary>
    public IReadOnlyList<string> Holders
    {
        get { lock (_gate) return [.. _holders]; }
    }

    public static async Task<FakeLeaseApi> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var fake = new FakeLeaseApi(app);
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        fake.Url = app.Urls.First();
        return fake;
    }

    public string? Holder(string ns, string name)
    {
        lock (_gate)
        {
            return _leases.TryGetValue(ns + "/" + name, out var lease) ? (string?)lease["spec"]?["holderIdentity"] : null;
        }
    }

    /// <summary>
    /// Another party takes the Lease behind the controllers' back (as an API server would let a
    /// client with the right resourceVersion do): holder <paramref name="holder"/>, just renewed,
    /// valid for an hour.
    /// </summary>
    public void Steal(string ns, string name, string holder)
    {
        lock (_gate)
        {
            var lease = _leases[ns + "/" + name];
            var spec = (JsonObject)lease["spec"]!;
            spec["holderIdentity"] = holder;
            spec["leaseDurationSeconds"] = 3600;
            spec["renewTime"] = DateTime.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", CultureInfo.InvariantCulture);
            Store(ns, name, lease);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            await Status(context, 404, "NotFound", $"no route {path}");
            return;
        }
        var parts = path[Prefix.Length..].Split('/');
        // {ns}/leases  or  {ns}/leases/{name}
        if (parts.Length < 2 || parts[1] != "leases")
        {
            await Status(context, 404, "NotFound", $"no route {path}");
            return;
        }
        var ns = parts[0];
        JsonObject? body = null;
        if (context.Request.ContentLength is > 0 || context.Request.Method is "POST" or "PUT")
        {
            body = JsonNode.Parse(await new StreamReader(context.Request.Body).ReadToEndAsync()) as JsonObject;
        }
        int code;
        JsonObject? answer;
        lock (_gate)
        {
            (code, answer) = (context.Request.Method, parts.Length) switch
            {
                ("GET", 3) => _leases.TryGetValue(ns + "/" + parts[2], out var found) ? (200, (JsonObject)found.DeepClone()) : (404, null),
                ("POST", 2) => Create(ns, body),
                ("PUT", 3) => Replace(ns, parts[2], body),
                _ => (405, null),
            };
        }
        if (answer is null)
        {
            await Status(context, code, code switch { 404 => "NotFound", 409 => "Conflict", _ => "MethodNotAllowed" }, $"{context.Request.Method} {path}: {code}");
            return;
        }
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.ToJsonString());
    }

    private (int, JsonObject?) Create(string ns, JsonObject? body)
    {
        var name = (string?)body?["metadata"]?["name"];
        if (body is null || name is null) return (400, null);
        if (_leases.ContainsKey(ns + "/" + name)) return (409, null);
        return (201, Store(ns, name, body));
    }

    private (int, JsonObject?) Replace(string ns, string name, JsonObject? body)
    {
        if (body is null) return (400, null);
        if (!_leases.TryGetValue(ns + "/" + name, out var current)) return (404, null);
        var sent = (string?)body["metadata"]?["resourceVersion"];
        if (sent != (string?)current["metadata"]!["resourceVersion"]) return (409, null);
        return (200, Store(ns, name, body));
    }

    private JsonObject Store(string ns, string name, JsonObject body)
    {
        var lease = (JsonObject)body.DeepClone();
        lease["apiVersion"] = "coordination.k8s.io/v1";
        lease["kind"] = "Lease";
        var meta = lease["metadata"] as JsonObject ?? [];
        meta["name"] = name;
        meta["namespace"] = ns;
        meta["resourceVersion"] = (++_version).ToString(CultureInfo.InvariantCulture);
        lease["metadata"] = meta;
        _leases[ns + "/" + name] = lease;
        var holder = (string?)lease["spec"]?["holderIdentity"] ?? "";
        if (_holders.Count == 0 || _holders[^1] != holder) _holders.Add(holder);
        return (JsonObject)lease.DeepClone();
    }

    private static async Task Status(HttpContext context, int code, string reason, string message)
    {
        context.Response.StatusCode = code;
        context.Response.ContentType = "application/json";
        var status = new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["status"] = "Failure", ["message"] = message, ["reason"] = reason, ["code"] = code };
        await context.Response.WriteAsync(status.ToJsonString());
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
