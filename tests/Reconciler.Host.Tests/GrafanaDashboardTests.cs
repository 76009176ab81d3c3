using System.Text.Json;
using System.Text.RegularExpressions;

namespace Reconciler.Host.Tests;

/// <summary>The Grafana dashboard in deploy/grafana queries only metrics the controller serves, and the chart ships that same file.</summary>
public sealed partial class GrafanaDashboardTests
{
    [Fact]
    public async Task Every_metric_the_Grafana_dashboard_queries_is_served_at_metrics()
    {
        var dashboard = Path.Combine(RepoRoot.Path, "deploy", "grafana", "reconciler.json");
        using var json = JsonDocument.Parse(File.ReadAllText(dashboard));
        var exprs = new List<string>();
        Collect(json.RootElement, exprs);
        var queried = exprs.SelectMany(e => MetricName().Matches(e).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);
        // The areas the dashboard is for: passes, durations, drift, errors, nodes up, resources by condition.
        foreach (var wanted in new[] { "reconciler_reconcile_total", "reconciler_reconcile_duration_seconds_bucket", "reconciler_drift_corrections_total",
                     "reconciler_errors_total", "reconciler_node_up", "reconciler_resources" })
        {
            Assert.Contains(wanted, queried);
        }

        using var dir = new TempDir("grafana");
        dir.Write("specs/node.yaml", "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: sandbox}\nspec: {uri: \"test:///default\"}\n");
        await using var controller = await Controller.StartAsync(Path.Combine(dir.Path, "specs"));
        await controller.WaitAsync(s => s.Ready, "the first sync");
        var (_, metrics) = await controller.GetAsync("/metrics");
        var served = metrics.Split('\n').Where(l => l.Length > 0 && l[0] != '#')
            .Select(l => l[..l.IndexOfAny(['{', ' '])]).ToHashSet(StringComparer.Ordinal);
        var missing = queried.Where(m => !served.Contains(m)).ToList();
        Assert.True(missing.Count == 0, "queried by the dashboard but not in /metrics: " + string.Join(", ", missing));
    }

    [Fact]
    public void The_chart_ships_the_dashboard_as_a_configmap_with_the_grafana_dashboard_label()
    {
        var root = RepoRoot.Path;
        var chart = Path.Combine(root, "charts", "reconciler");
        Assert.Equal(File.ReadAllText(Path.Combine(root, "deploy", "grafana", "reconciler.json")),
            File.ReadAllText(Path.Combine(chart, "dashboards", "reconciler.json")));
        var template = File.ReadAllText(Path.Combine(chart, "templates", "grafana-dashboard.yaml"));
        Assert.Contains(".Files.Get \"dashboards/reconciler.json\"", template, StringComparison.Ordinal);
        Assert.Contains("kind: ConfigMap", template, StringComparison.Ordinal);
        Assert.Contains("{{ .Values.grafana.dashboard.label }}: {{ .Values.grafana.dashboard.labelValue | quote }}", template, StringComparison.Ordinal);
        var values = File.ReadAllText(Path.Combine(chart, "values.yaml"));
        Assert.Contains("label: grafana_dashboard", values, StringComparison.Ordinal);
    }

    private static void Collect(JsonElement e, List<string> exprs)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in e.EnumerateObject())
                {
                    if (p.Name is "expr" or "definition" && p.Value.ValueKind == JsonValueKind.String) exprs.Add(p.Value.GetString()!);
                    else if (p.Name == "query" && p.Value.ValueKind == JsonValueKind.String) exprs.Add(p.Value.GetString()!);
                    Collect(p.Value, exprs);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in e.EnumerateArray()) Collect(item, exprs);
                break;
        }
    }

    [GeneratedRegex("reconciler_[a-z_]+")]
    private static partial Regex MetricName();
}
