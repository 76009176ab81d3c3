using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Specs.Tests;

/// <summary>
/// <see cref="SpecLoader.LoadDirectory"/>'s nodesRead: the Node manifests are handed out before the
/// other files are parsed (so that a plan can connect to the nodes while the rest loads), and the
/// result of the load is the same as without it.
/// </summary>
public sealed class NodesReadTests
{
    private static string Node(string name, string uri) =>
        $"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: {name}}}\nspec: {{uri: \"{uri}\"}}\n";

    private static string Vm(string name, string node) =>
        T.DomainHeader.Replace("web-1", name, StringComparison.Ordinal) + $"  node: {node}\n  memory: 64MiB\n";

    [Fact]
    public void Nodes_in_a_file_that_sorts_last_are_announced_and_the_result_is_unchanged()
    {
        using var dir = new TempDir();
        // Domain files sort before the node file; a domain file that breaks is parsed after the announcement.
        dir.Write("a-domains.yaml", Vm("a", "hv1") + "---\n" + Vm("b", "hv2"));
        dir.Write("b-broken.yaml", "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: c\n");
        dir.Write("z-nodes.yaml", Node("hv1", "test:///default") + "---\n" + Node("hv2", "test:///default"));
        IReadOnlyList<NodeSpec>? announced = null;
        var result = SpecLoader.LoadDirectory(dir.Root, nodesRead: nodes => announced = nodes);

        Assert.NotNull(announced);
        Assert.Equal(["hv1", "hv2"], announced!.Select(n => n.Name));
        var plain = SpecLoader.LoadDirectory(dir.Root);
        Assert.Equal(plain.Diagnostics, result.Diagnostics);
        Assert.Contains(result.Diagnostics, d => d.Location?.File == "b-broken.yaml");

        // Without the broken file: the same specs, in the same (file) order, as a load without nodesRead.
        File.Delete(Path.Combine(dir.Root, "b-broken.yaml"));
        var early = SpecLoader.LoadDirectory(dir.Root, nodesRead: _ => { });
        var late = SpecLoader.LoadDirectory(dir.Root);
        Assert.Equal(late.Specs!.Nodes.Select(n => n.Name), early.Specs!.Nodes.Select(n => n.Name));
        Assert.Equal(late.Specs.Domains.Select(SpecHash.Compute), early.Specs.Domains.Select(SpecHash.Compute));
        Assert.Equal(late.Specs.Revision, early.Specs.Revision);
    }

    [Fact]
    public void The_announcement_comes_before_any_other_file_is_parsed()
    {
        using var dir = new TempDir();
        dir.Write("a.yaml", Vm("a", "hv1"));
        dir.Write("b.yaml", Node("hv1", "test:///default"));
        var order = new List<string>();
        var cache = new SpecFileCache();
        SpecLoader.LoadDirectory(dir.Root, cache: cache, nodesRead: _ => order.Add($"announced, {cache.Count} file(s) parsed"));
        // Only the node file had been parsed (and remembered) when the nodes were announced.
        Assert.Equal(["announced, 1 file(s) parsed"], order);
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Invalid_nodes_and_nodes_of_broken_files_are_not_announced_and_no_nodes_means_no_call()
    {
        using var dir = new TempDir();
        dir.Write("nodes.yaml", Node("good", "test:///default") + "---\n" + Node("bad", "http://not-libvirt"));
        dir.Write("more-nodes.yaml", Node("other", "test:///default") + "---\nkind: [\n");
        IReadOnlyList<NodeSpec>? announced = null;
        var result = SpecLoader.LoadDirectory(dir.Root, nodesRead: n => announced = n);
        Assert.True(result.HasErrors);
        Assert.Equal(["good"], announced!.Select(n => n.Name));

        using var none = new TempDir();
        none.Write("a.yaml", Vm("a", "hv1"));
        var called = false;
        SpecLoader.LoadDirectory(none.Root, nodesRead: _ => called = true);
        Assert.False(called);
    }

    [Theory]
    [InlineData("kind: Node\n", true)]
    [InlineData("kind: \"Node\"  # the host\n", true)]
    [InlineData("{apiVersion: reconciler/v1, kind: Node, metadata: {name: a}}\n", true)]
    [InlineData("kind: NodeGroup\n", false)]
    [InlineData("kind: Domain\ndescription: a kind:Node-like text\n", false)]
    public void Files_that_hold_a_node_are_recognised_by_their_kind_line(string text, bool holdsNode) =>
        Assert.Equal(holdsNode, SpecLoader.MayHoldNode(text));
}
