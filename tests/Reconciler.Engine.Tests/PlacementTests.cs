using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Placement end to end over three nodes run by libvirt's real test driver, each kept in its own
/// node file (as the sandbox is) so that apply and later plans see the same state: the capacity is
/// what virNodeGetInfo reports for the file's &lt;cpu&gt; and &lt;memory&gt;.
/// </summary>
public sealed class PlacementTests : IDisposable
{
    private readonly SpecDir dir = new();

    private const string NodeSpecs = """
        apiVersion: reconciler/v1
        kind: Node
        metadata: {name: a, labels: {zone: z1}}
        spec: {uri: "test:///unused-a"}
        ---
        apiVersion: reconciler/v1
        kind: Node
        metadata: {name: b, labels: {zone: z1}}
        spec: {uri: "test:///unused-b"}
        ---
        apiVersion: reconciler/v1
        kind: Node
        metadata: {name: c, labels: {zone: z2}}
        spec: {uri: "test:///unused-c"}
        """;

    private static string Domain(string name, string placement, string memory = "512MiB", string extra = "") => "\n" + $$"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{name}}}
        spec:
          memory: {{memory}}
          graphics: {type: none}
          placement: {{placement}}
        {{extra}}
        """;

    /// <summary>Node a: 4 GiB; b: 6 GiB; c: 2 GiB with 2 CPUs.</summary>
    private static readonly (string Name, ulong MiB, int Cpus)[] Sizes = [("a", 4096, 8), ("b", 6144, 8), ("c", 2048, 2)];

    public void Dispose() => dir.Dispose();

    private string NodeDir(string name) => Path.Combine(dir.Path, ".nodes", name);

    private void WriteNodeFiles()
    {
        foreach (var (name, mib, cpus) in Sizes)
        {
            Directory.CreateDirectory(NodeDir(name));
            var node = new XElement("node",
                new XElement("cpu", new XElement("mhz", 2000), new XElement("model", "x86_64"), new XElement("nodes", 1),
                    new XElement("sockets", 1), new XElement("cores", cpus), new XElement("threads", 1), new XElement("active", cpus)),
                new XElement("memory", mib * 1024));
            File.WriteAllText(SandboxNode.NodeFile(NodeDir(name)), node.ToString());
        }
    }

    /// <summary>The specs, with each Node spec pointed at its own persistent test-driver file.</summary>
    private LoadedSpecs Load()
    {
        var loaded = Workspace.Load(dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return loaded with
        {
            Nodes = loaded.Nodes.Select(n => new NodeTarget(n.Name, "test://" + SandboxNode.NodeFile(NodeDir(n.Name)), "test", NodeDir(n.Name))).ToList(),
        };
    }

    private Task<Plan> PlanAsync() => Operations.PlanAsync(Load(), adopt: false, CancellationToken.None);

    private async Task<ApplyReport> ApplyAsync()
    {
        var report = await Operations.PlanAndApplyAsync(Load(), false, new ApplyOptions(TimeSpan.FromSeconds(5), false),
            TimeSpan.FromSeconds(10), _ => true, TextWriter.Null, CancellationToken.None);
        Assert.True(report.Result is null || report.Result.Succeeded, string.Join("\n", report.Result?.Steps.Select(s => $"{s.Change.Name}: {s.Status} {s.Message}") ?? []));
        return report;
    }

    private string? RecordedNode(string node, string domain)
    {
        using var connection = LibvirtConnection.Open("test://" + SandboxNode.NodeFile(NodeDir(node)));
        using var d = connection.LookupDomainByName(domain);
        if (d is null) return null;
        var xml = XElement.Parse(d.GetXmlDesc(DomainXmlFlags.Inactive));
        XNamespace ns = OwnerRecord.Namespace;
        return (string?)xml.Element("metadata")?.Element(ns + "owner")?.Element(ns + "placement")?.Attribute("node");
    }

    [Fact]
    public async Task Selector_anti_affinity_and_capacity_place_domains_the_choice_is_recorded_and_kept_on_later_plans()
    {
        WriteNodeFiles();
        dir.Write("specs.yaml", NodeSpecs
            + Domain("web-1", "{nodeSelector: {zone: z1}, antiAffinity: web}")
            + Domain("web-2", "{nodeSelector: {zone: z1}, antiAffinity: web}")
            + Domain("db-1", "{nodeSelector: {zone: z2}}", memory: "1GiB")
            + Domain("big", "{}", memory: "5GiB")
            + Domain("wide", "{spread: domains}", extra: "  vcpus: 4"));

        var plan = await PlanAsync();
        Assert.False(plan.HasErrors, string.Join("\n", plan.Diagnostics));
        var placed = plan.Changes.ToDictionary(c => c.Name, c => c.Node);
        // big (5GiB) fits only b; db-1 has the only z2 node; web-1 and web-2 share zone z1 but not a
        // node; wide needs 4 CPUs (not c) and goes where fewest domains are.
        Assert.Equal("b", placed["big"]);
        Assert.Equal("c", placed["db-1"]);
        Assert.Equal(["a", "b"], new[] { placed["web-1"], placed["web-2"] }.Order().ToArray());
        Assert.Equal("a", placed["wide"]);
        Assert.All(plan.Changes, c => Assert.NotNull(Assert.IsAssignableFrom<DesiredDomainChange>(c).Placement));
        var text = Output.PlanText.Render(plan, color: false);
        Assert.Contains("placed on node c: 1 of 3 nodes fit (nodeSelector zone=z2); most memory left (2GiB), 0 domains", text);

        // The same inputs give the same plan.
        static (string, string, string?) Where(ResourceChange c) => (c.Name, c.Node, (c as DesiredDomainChange)?.Placement);
        Assert.Equal(plan.Changes.Select(Where), (await PlanAsync()).Changes.Select(Where));

        await ApplyAsync();
        foreach (var (name, node) in placed) Assert.Equal(node, RecordedNode(node, name));
        var again = await PlanAsync();
        Assert.True(again.IsEmpty, string.Join("\n", again.Changes.Select(c => $"{c.Name} {c.Action} {c.Reason}")));
        Assert.False(again.HasErrors, string.Join("\n", again.Diagnostics));

        // Capacity changes (b shrinks below what big takes, a grows): nothing moves on its own.
        foreach (var (name, mib) in new[] { ("b", 1024UL), ("a", 65536UL) })
        {
            var file = SandboxNode.NodeFile(NodeDir(name));
            var node = XElement.Parse(File.ReadAllText(file));
            node.Element("memory")!.Value = (mib * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
            File.WriteAllText(file, node.ToString());
        }
        var later = await PlanAsync();
        Assert.True(later.IsEmpty, string.Join("\n", later.Changes.Select(c => $"{c.Name} {c.Action} {c.Reason}")));
        Assert.Equal(5, later.Unchanged.Count);
    }

    [Fact]
    public async Task A_saved_plan_keeps_the_chosen_node_its_reason_and_the_placement_to_record()
    {
        WriteNodeFiles();
        dir.Write("specs.yaml", NodeSpecs + Domain("db-1", "{nodeSelector: {zone: z2}, antiAffinity: db, spread: domains}"));
        var plan = await PlanAsync();
        var file = Path.Combine(dir.Path, "saved.plan");
        Output.SavedPlan.Write(file, plan);
        var read = Output.SavedPlan.Read(file, out var error);
        Assert.True(read is not null, error);
        var (before, after) = (Assert.IsType<DomainCreate>(Assert.Single(plan.Changes)), Assert.IsType<DomainCreate>(Assert.Single(read.Changes)));
        Assert.Equal(("c", before.Placement), (after.Node, after.Placement));
        Assert.Equal(new PlacementSpec(new Dictionary<string, string> { ["zone"] = "z2" }, "db", PlacementSpread.Domains, "c"), after.Desired.Placement);
    }

    [Fact]
    public async Task An_infeasible_placement_is_a_plan_error_naming_the_constraint_and_the_other_domains_are_applied()
    {
        WriteNodeFiles();
        dir.Write("specs.yaml", NodeSpecs
            + Domain("web-1", "{nodeSelector: {zone: z1}, antiAffinity: web}")
            + Domain("web-2", "{nodeSelector: {zone: z1}, antiAffinity: web}")
            + Domain("web-3", "{nodeSelector: {zone: z1}, antiAffinity: web}")
            + Domain("huge", "{nodeSelector: {zone: z2}}", memory: "3GiB"));

        var report = await ApplyAsync();
        var errors = report.Plan.Diagnostics.Where(d => d.Code == Placement.InfeasibleCode).OrderBy(d => d.Message, StringComparer.Ordinal).ToList();
        Assert.Equal(2, errors.Count);
        Assert.Equal("domain 'huge' cannot be placed: no node satisfies its placement: nodeSelector zone=z2 excludes a (lacks zone=z2), b (lacks zone=z2); memory excludes c (needs 3GiB, 2GiB left)", errors[0].Message);
        Assert.Equal("domain 'web-3' cannot be placed: no node satisfies its placement: antiAffinity web excludes a (has web-2), b (has web-1); nodeSelector zone=z1 excludes c (lacks zone=z1)", errors[1].Message);
        Assert.All(errors, e => Assert.Equal(("specs.yaml", "spec.placement"), (Path.GetFileName(e.Location!.File), e.FieldPath)));
        Assert.Equal(40, errors[1].Location!.Line);
        // web-1 and web-2 were applied; web-3 and huge exist nowhere.
        Assert.Equal(["web-1", "web-2"], report.Plan.Changes.Select(c => c.Name).Order().ToArray());
        Assert.Equal(2, report.Result!.Steps.Count(s => s.Status == StepStatus.Done));
        foreach (var node in new[] { "a", "b", "c" })
        {
            Assert.Null(RecordedNode(node, "web-3"));
            Assert.Null(RecordedNode(node, "huge"));
        }
        Assert.True((await Cli.RunAsync("validate", dir.Path)).ExitCode == 0);
    }
}
