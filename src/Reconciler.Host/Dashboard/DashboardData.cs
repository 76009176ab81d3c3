using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;
using Reconciler.Sources;

namespace Reconciler.Host.Dashboard;

/// <summary>What the pages show beyond the status document: node capacity, the filtered table, one resource in full.</summary>
internal static class DashboardData
{
    /// <summary>Each node of <paramref name="status"/>, with capacity read over the controller's held connection (never a second one).</summary>
    public static IReadOnlyList<NodeView> Nodes(IServiceProvider sp, StatusDocument status)
    {
        var targets = sp.GetRequiredService<ReconcileService>().Nodes;
        var pool = sp.GetRequiredService<NodeConnectionService>().Pool;
        var vcpus = VcpusByName(sp);
        return status.Nodes.Select(n =>
        {
            var mine = status.Resources.Where(r => r.Node == n.Name).ToList();
            var declared = mine.Sum(r => vcpus.GetValueOrDefault(r.Name));
            var target = targets.FirstOrDefault(t => t.Name == n.Name);
            if (target is null) return new NodeView(n, mine.Count, declared, null, null, null, "not in the revision in force");
            var (capacity, error) = pool.ReadHeld(target, c => new Capacity(c.GetNodeInfo(), c.GetFreeMemory()));
            return capacity is null
                ? new NodeView(n, mine.Count, declared, null, null, null, error)
                : new NodeView(n, mine.Count, declared, capacity.Info.Cpus, capacity.Info.MemoryKiB, capacity.FreeBytes / 1024, null);
        }).ToList();
    }

    private sealed record Capacity(Libvirt.NodeInfo Info, ulong FreeBytes);

    /// <summary>Reads the filter from a query string; unknown sorts fall back to name.</summary>
    public static ResourceQuery Query(IQueryCollection q)
    {
        ArgumentNullException.ThrowIfNull(q);
        string Get(string key) => q[key].ToString().Trim();
        var sort = Get("sort");
        return new ResourceQuery(Get("node"), Get("kind"), Get("condition"), Get("label"), Get("q"),
            sort is "node" or "kind" or "state" or "revision" ? sort : "name", Get("dir") == "desc");
    }

    /// <summary>The resources <paramref name="query"/> lets through, sorted.</summary>
    public static ResourcesView Resources(IServiceProvider sp, StatusDocument status, ResourceQuery query)
    {
        var labels = LabelsByName(sp);
        var rows = Filter(status.Resources, query, labels);
        return new ResourcesView(query, rows, status.Resources.Count,
            status.Nodes.Select(n => n.Name).Union(status.Resources.Select(r => r.Node)).Order(StringComparer.Ordinal).ToList(),
            status.Resources.Select(r => r.Kind).Distinct().Order(StringComparer.Ordinal).ToList(), labels);
    }

    /// <summary>Filters, searches and sorts; the contract of the resources table.</summary>
    public static IReadOnlyList<ResourceStatus> Filter(IReadOnlyList<ResourceStatus> all, ResourceQuery query,
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> labels)
    {
        IEnumerable<ResourceStatus> rows = all;
        if (query.Node.Length > 0) rows = rows.Where(r => r.Node == query.Node);
        if (query.Kind.Length > 0) rows = rows.Where(r => r.Kind.Equals(query.Kind, StringComparison.OrdinalIgnoreCase));
        if (query.Condition == "attention") rows = rows.Where(r => r.State != "Ready" || r.Drifted || r.PendingRestart.Count > 0);
        else if (query.Condition.Length > 0) rows = rows.Where(r => r.State.Equals(query.Condition, StringComparison.OrdinalIgnoreCase));
        if (query.Label.Length > 0)
        {
            var eq = query.Label.IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? query.Label : query.Label[..eq].Trim();
            var value = eq < 0 ? null : query.Label[(eq + 1)..].Trim();
            rows = rows.Where(r => labels.TryGetValue(r.Name, out var l) && l.TryGetValue(key, out var v) && (value is null || v == value));
        }
        if (query.Search.Length > 0)
        {
            rows = rows.Where(r => new[] { r.Name, r.Node, r.Kind, r.State, r.Reason, r.Message, r.LastError, r.Guest?.Address }
                .Concat(r.PendingRestart).Concat(r.Guest?.Addresses.Select(a => a.Address) ?? [])
                .Any(s => s?.Contains(query.Search, StringComparison.OrdinalIgnoreCase) == true));
        }
        Func<ResourceStatus, string> key2 = query.Sort switch
        {
            "node" => r => r.Node,
            "kind" => r => r.Kind,
            "state" => r => r.State,
            "revision" => r => r.LastAppliedRevision ?? "",
            _ => r => r.Name,
        };
        var sorted = query.Descending ? rows.OrderByDescending(key2, StringComparer.Ordinal) : rows.OrderBy(key2, StringComparer.Ordinal);
        return sorted.ThenBy(r => r.Name, StringComparer.Ordinal).ThenBy(r => r.Node, StringComparer.Ordinal).ToList();
    }

    /// <summary>One resource: its manifest from the revision in force, its last diff and events, its live XML.</summary>
    public static ResourceView Resource(IServiceProvider sp, ResourceStatus r)
    {
        var activity = sp.GetRequiredService<ActivityLog>();
        var (yaml, where) = Manifest(sp, r);
        string? xml = null;
        string? xmlError;
        if (r.Kind != nameof(ResourceKind.Domain))
        {
            xmlError = "Only domains are shown as libvirt XML here.";
        }
        else if (sp.GetRequiredService<ReconcileService>().Nodes.FirstOrDefault(t => t.Name == r.Node) is not { } target)
        {
            xmlError = $"Node {r.Node} is not in the revision in force.";
        }
        else
        {
            (xml, xmlError) = sp.GetRequiredService<NodeConnectionService>().Pool.ReadHeld(target, c =>
            {
                using var d = c.LookupDomainByName(r.Name);
                return d?.GetXmlDesc();
            });
            if (xml is null && xmlError is null) xmlError = $"The domain {r.Name} is not defined on {r.Node}.";
            else if (xmlError is not null) xmlError = $"Not read: {xmlError}";
        }
        return new ResourceView(r, yaml, where, activity.LastDiff(r.Node, r.Name), activity.Events(r.Node, r.Name), xml, xmlError);
    }

    private static (string? Yaml, string Where) Manifest(IServiceProvider sp, ResourceStatus r)
    {
        var good = sp.GetRequiredService<DesiredState>().Good;
        var specs = good?.Load.Specs;
        if (specs is null) return (null, "No revision is in force.");
        ResourceMeta? meta = r.Kind switch
        {
            nameof(ResourceKind.Domain) => specs.Domains.FirstOrDefault(d => d.Name == r.Name)?.Meta,
            nameof(ResourceKind.Node) => specs.Nodes.FirstOrDefault(n => n.Name == r.Name)?.Meta,
            _ => null,
        };
        if (meta is null) return (null, "Not in the revision in force (it is being removed, or it is not a manifest of its own).");
        var at = meta.Origin.Location;
        // The text of the revision in force (kept with its load), not the file as it may be now.
        if (at.Line <= 0 || good!.Load.Texts.GetValueOrDefault(at.File) is not { } text) return (null, $"Written at {at}.");
        var lines = text.Split('\n').Skip(at.Line - 1).TakeWhile((l, i) => i == 0 || !(l.StartsWith("---", StringComparison.Ordinal) || l.StartsWith("...", StringComparison.Ordinal)))
            .Select(l => l.TrimEnd('\r')).ToList();
        while (lines.Count > 0 && lines[^1].Trim().Length == 0) lines.RemoveAt(lines.Count - 1);
        return (string.Join('\n', lines), $"As written at {at}, revision {Shorten(good.Revision)} (the revision in force).");
    }

    private static string Shorten(string revision) => revision.Length > 12 ? revision[..12] : revision;

    private static Dictionary<string, IReadOnlyDictionary<string, string>> LabelsByName(IServiceProvider sp)
    {
        var specs = sp.GetRequiredService<DesiredState>().Good?.Load.Specs;
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        if (specs is null) return result;
        foreach (var d in specs.Domains) result[d.Name] = d.Meta.Labels;
        foreach (var n in specs.Nodes) result.TryAdd(n.Name, n.Meta.Labels);
        return result;
    }

    private static Dictionary<string, int> VcpusByName(IServiceProvider sp)
    {
        var specs = sp.GetRequiredService<DesiredState>().Good?.Load.Specs;
        var result = new Dictionary<string, int>(StringComparer.Ordinal);
        if (specs is null) return result;
        foreach (var d in specs.Domains) result[d.Name] = d.Vcpus;
        return result;
    }
}
