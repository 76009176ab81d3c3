using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Reconciler.Host.Tests;

/// <summary>The chart, the unit file and the Dockerfile stay consistent with each other and with the controller (helm is not installed here).</summary>
public sealed partial class DeploymentFilesTests
{
    private static readonly string Root = FindRoot();

    [Fact]
    public void Every_Values_reference_in_the_chart_templates_exists_in_values_yaml()
    {
        var chart = Path.Combine(Root, "charts", "reconciler");
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Path.Combine(chart, "values.yaml")))
        {
            yaml.Load(reader);
        }
        var values = (YamlMappingNode)yaml.Documents[0].RootNode;
        var references = Directory.EnumerateFiles(Path.Combine(chart, "templates"))
            .SelectMany(f => ValuesReference().Matches(File.ReadAllText(f)).Select(m => (File: Path.GetFileName(f), Path: m.Groups[1].Value)))
            .ToList();
        Assert.True(references.Count > 20, "the templates reference values");
        var missing = references.Where(r => !Exists(values, r.Path.Split('.'))).Select(r => $"{r.File}: .Values.{r.Path}").Distinct().ToList();
        Assert.True(missing.Count == 0, "not in values.yaml: " + string.Join(", ", missing));
        // Both modes and the probes the controller serves.
        var controller = File.ReadAllText(Path.Combine(chart, "templates", "controller.yaml"));
        Assert.Contains("/healthz", controller);
        Assert.Contains("/readyz", controller);
        Assert.Contains("DaemonSet", controller);
        Assert.Contains("Deployment", controller);
    }

    [Fact]
    public void The_configmap_uses_only_settings_the_controller_knows()
    {
        var configMap = File.ReadAllText(Path.Combine(Root, "charts", "reconciler", "templates", "configmap.yaml"));
        var known = typeof(ControllerOptions).GetProperties().Select(p => p.Name).ToHashSet();
        var keys = SettingKey().Matches(configMap).Select(m => m.Groups[1].Value).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Contains(k, known));
    }

    [Fact]
    public void Leader_election_settings_and_rbac_in_the_chart_match_the_controller()
    {
        var templates = Path.Combine(Root, "charts", "reconciler", "templates");
        var controller = File.ReadAllText(Path.Combine(templates, "controller.yaml"));
        var known = typeof(LeaderElectionOptions).GetProperties().Select(p => p.Name).ToHashSet();
        var keys = Regex.Matches(controller, "Reconciler__LeaderElection__([A-Za-z]+)").Select(m => m.Groups[1].Value).ToList();
        Assert.Contains("Enabled", keys);
        Assert.All(keys, k => Assert.Contains(k, known));
        Assert.Contains("POD_NAME", controller);
        Assert.Contains("serviceAccountName", controller);
        var rbac = File.ReadAllText(Path.Combine(templates, "leader-election.yaml"));
        Assert.Contains("apiGroups: [coordination.k8s.io]", rbac);
        Assert.Contains("resources: [leases]", rbac);
        Assert.Contains("verbs: [get, create, update]", rbac);
        Assert.Contains("kind: RoleBinding", rbac);
        Assert.Contains("gt (int .Values.replicas) 1", File.ReadAllText(Path.Combine(templates, "_helpers.tpl")));
    }

    [Fact]
    public void The_systemd_unit_and_the_Dockerfile_run_the_controller()
    {
        var unit = File.ReadAllText(Path.Combine(Root, "deploy", "systemd", "reconciler.service"));
        Assert.Contains("Type=notify", unit);
        Assert.Contains("reconcile run", unit);
        Assert.Contains("RestartPreventExitStatus=78", unit);
        var docker = File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile"));
        // The image carries the binary the package ships, made by the same script.
        Assert.Contains("build/package.sh --binary-only", docker);
        Assert.Contains("/usr/bin/reconcile", docker);
        Assert.Contains("libvirt0", docker);
        Assert.Contains("git", docker);
        Assert.Matches(@"(?m)^USER \d+", docker);
    }

    [Fact]
    public void The_chart_image_the_package_and_the_unit_agree_on_version_and_settings_path()
    {
        var version = Regex.Match(File.ReadAllText(Path.Combine(Root, "Directory.Build.props")), "<VersionPrefix>([^<]+)</VersionPrefix>").Groups[1].Value;
        Assert.Matches(@"^\d+\.\d+\.\d+$", version);
        var chart = Path.Combine(Root, "charts", "reconciler");
        Assert.Contains($"appVersion: \"{version}\"", File.ReadAllText(Path.Combine(chart, "Chart.yaml")));
        Assert.Contains($"tag: \"{version}\"", File.ReadAllText(Path.Combine(chart, "values.yaml")));
        const string settings = "/etc/reconciler/appsettings.json";
        Assert.Contains(settings, File.ReadAllText(Path.Combine(chart, "templates", "controller.yaml")));
        Assert.Contains(settings, File.ReadAllText(Path.Combine(Root, "deploy", "Dockerfile")));
        Assert.Contains($"run --config {settings}", File.ReadAllText(Path.Combine(Root, "deploy", "systemd", "reconciler.service")));
        // The package ships that file as a conffile, with settings the controller knows.
        var debian = Path.Combine(Root, "build", "debian");
        Assert.Equal(settings, File.ReadAllText(Path.Combine(debian, "conffiles")).Trim());
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(debian, "appsettings.json")));
        var known = typeof(ControllerOptions).GetProperties().Select(p => p.Name).ToHashSet();
        var keys = json.RootElement.GetProperty("Reconciler").EnumerateObject().Select(p => p.Name).ToList();
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.Contains(k, known));
    }

    private static bool Exists(YamlMappingNode node, string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next)) return false;
            current = next;
        }
        return true;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Reconciler.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("repository root (Reconciler.sln) not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\.Values\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)")]
    private static partial Regex ValuesReference();

    [GeneratedRegex(@"^\s*""([A-Za-z]+)"" ", RegexOptions.Multiline)]
    private static partial Regex SettingKey();
}
