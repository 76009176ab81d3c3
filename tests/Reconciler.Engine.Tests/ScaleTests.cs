using System.Text.Json;
using Reconciler.Benchmarks;

namespace Reconciler.Engine.Tests;

/// <summary>
/// One estate of 50 test-driver nodes (<c>test:///…/nNN.xml</c>) holding 10,000 owned domains,
/// written once for the class (<see cref="ScaleEstate"/>, the same estate the benchmark's
/// <c>scale</c> mode times). The tests assert what a plan of it says, never how long it takes.
/// </summary>
public sealed class ScaleTests(ScaleTests.EstateFixture fixture) : IClassFixture<ScaleTests.EstateFixture>
{
    private const int Nodes = 50;
    private const int Domains = 10_000;

    /// <summary>The estate, written once and deleted after the class.</summary>
    public sealed class EstateFixture : IDisposable
    {
        internal ScaleEstate.Estate Estate { get; } =
            ScaleEstate.Write(Path.Combine(Path.GetTempPath(), "reconcile-scale-" + Guid.NewGuid().ToString("N")[..8]), Nodes, Domains);

        public void Dispose()
        {
            try { Directory.Delete(Estate.Root, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task A_plan_of_10000_domains_in_sync_on_50_nodes_is_empty()
    {
        var plan = await Cli.RunAsync("plan", fixture.Estate.Specs, "--output", "json", "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString()[..Math.Min(4000, plan.ToString().Length)]);
        using var json = JsonDocument.Parse(plan.Out);
        var root = json.RootElement;
        var nodes = root.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(Nodes, nodes.Count);
        Assert.All(nodes, n => Assert.Equal(JsonValueKind.Null, n.GetProperty("error").ValueKind));
        Assert.Empty(root.GetProperty("changes").EnumerateArray());
        Assert.Empty(root.GetProperty("diagnostics").EnumerateArray());
        var unchanged = root.GetProperty("unchanged").EnumerateArray().Select(e => e.GetString()).ToHashSet();
        Assert.Equal(Domains, unchanged.Count);
        Assert.Contains(ScaleEstate.DomainName(49, 199), unchanged);
        Assert.True(root.GetProperty("summary").GetProperty("noChanges").GetBoolean());
    }

    [Fact]
    public async Task A_one_field_drift_among_10000_domains_is_found_on_its_node_and_nowhere_else()
    {
        const int node = 37;
        const int index = 123;
        var file = fixture.Estate.NodeFile(node);
        var original = File.ReadAllBytes(file);
        try
        {
            ScaleEstate.DriftMemory(fixture.Estate, node, index, mebibytes: 32);
            var plan = await Cli.RunAsync("plan", fixture.Estate.Specs, "--output", "json", "--detailed-exitcode");
            Assert.True(plan.ExitCode == 2, plan.ToString()[..Math.Min(4000, plan.ToString().Length)]);
            using var json = JsonDocument.Parse(plan.Out);
            var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
            Assert.Equal(ScaleEstate.NodeName(node), change.GetProperty("node").GetString());
            Assert.Equal(ScaleEstate.DomainName(node, index), change.GetProperty("name").GetString());
            Assert.Equal("update", change.GetProperty("action").GetString());
            var field = Assert.Single(change.GetProperty("fields").EnumerateArray());
            Assert.Equal("spec.memory", field.GetProperty("path").GetString());
            Assert.Equal("32MiB", field.GetProperty("before").GetString());
            Assert.Equal("64MiB", field.GetProperty("after").GetString());
            Assert.Equal(Domains - 1, json.RootElement.GetProperty("unchanged").GetArrayLength());
        }
        finally
        {
            File.WriteAllBytes(file, original);
        }
    }
}
