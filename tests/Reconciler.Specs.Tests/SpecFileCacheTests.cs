using Reconciler.Core.Planning;
using Reconciler.Core.Model;

namespace Reconciler.Specs.Tests;

/// <summary>The controller's sources keep what each spec file parsed to and reuse it while the file is unchanged.</summary>
public sealed class SpecFileCacheTests
{
    private static string Vm(string name, string memory) =>
        T.DomainHeader.Replace("web-1", name, StringComparison.Ordinal) + $"  memory: {memory}\n";

    [Fact]
    public void An_unchanged_file_is_not_parsed_again_and_a_changed_one_is()
    {
        var cache = new SpecFileCache();
        var first = SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB")), ("b.yaml", Vm("b", "64MiB"))], cache: cache);
        var second = SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB")), ("b.yaml", Vm("b", "96MiB"))], cache: cache);

        DomainSpec A(LoadResult r) => r.Specs!.Domains.Single(d => d.Name == "a");
        DomainSpec B(LoadResult r) => r.Specs!.Domains.Single(d => d.Name == "b");
        Assert.Same(A(first), A(second));
        Assert.NotSame(B(first), B(second));
        Assert.Equal(96UL << 20, B(second).MemoryBytes);
        // The same result as a load without the cache.
        var fresh = SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB")), ("b.yaml", Vm("b", "96MiB"))]);
        Assert.Equal(fresh.Specs!.Domains.Select(SpecHash.Compute), second.Specs!.Domains.Select(SpecHash.Compute));
        Assert.Equal(fresh.Specs.Revision, second.Specs.Revision);
    }

    [Fact]
    public void Validation_and_cross_file_checks_still_run_on_cached_files()
    {
        var cache = new SpecFileCache();
        Assert.False(SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB"))], cache: cache).HasErrors);
        // A new file repeats a cached file's name: the duplicate is found although a.yaml was not parsed again.
        var both = SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB")), ("b.yaml", Vm("a", "64MiB"))], cache: cache);
        Assert.Contains(both.Diagnostics, d => d.Code == DiagnosticCodes.DuplicateName);
        // A file's own errors come back from the cache the same each time.
        var bad = Vm("c", "lots");
        var once = SpecLoader.LoadFiles("t", [("c.yaml", bad)], cache: cache).Diagnostics;
        var again = SpecLoader.LoadFiles("t", [("c.yaml", bad)], cache: cache).Diagnostics;
        Assert.NotEmpty(once);
        Assert.Equal(once, again);
    }

    [Fact]
    public void A_cached_manifest_is_validated_again_when_the_node_names_change()
    {
        static string Node(string name) => $"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: {name}}}\nspec: {{uri: \"test:///default\"}}\n";
        var cache = new SpecFileCache();
        var vm = ("vm.yaml", Vm("a", "64MiB") + "  node: hv2\n");
        var fresh = SpecLoader.LoadFiles("t", [("nodes.yaml", Node("hv1") + "---\n" + Node("hv2")), vm], cache: cache);
        Assert.False(fresh.HasErrors, string.Join("\n", fresh.Diagnostics));
        var same = SpecLoader.LoadFiles("t", [("nodes.yaml", Node("hv1") + "---\n" + Node("hv2")), vm], cache: cache);
        Assert.False(same.HasErrors);
        // vm.yaml is unchanged (parsed from the cache), but hv2 is gone: spec.node is checked again.
        var gone = SpecLoader.LoadFiles("t", [("nodes.yaml", Node("hv1")), vm], cache: cache);
        Assert.Equal(SpecLoader.LoadFiles("t", [("nodes.yaml", Node("hv1")), vm]).Diagnostics, gone.Diagnostics);
        Assert.Contains(gone.Diagnostics, d => d.FieldPath == "spec.node");
        var back = SpecLoader.LoadFiles("t", [("nodes.yaml", Node("hv1") + "---\n" + Node("hv2")), vm], cache: cache);
        Assert.False(back.HasErrors, string.Join("\n", back.Diagnostics));
    }

    [Fact]
    public void Removed_files_are_forgotten()
    {
        var cache = new SpecFileCache();
        SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB")), ("b.yaml", Vm("b", "64MiB"))], cache: cache);
        Assert.Equal(2, cache.Count);
        var r = SpecLoader.LoadFiles("t", [("a.yaml", Vm("a", "64MiB"))], cache: cache);
        Assert.Equal(1, cache.Count);
        Assert.Equal(["a"], r.Specs!.Domains.Select(d => d.Name));
    }

    [Fact]
    public void A_file_that_reads_a_sibling_file_is_parsed_every_time()
    {
        using var dir = new TempDir();
        dir.Write("ci/user-data", "#cloud-config\nhostname: one\n");
        dir.Write("vms.yaml", T.DomainHeader + "  memory: 64MiB\n  cloudInit: {userDataFile: ci/user-data, pool: p}\n"
            + "---\napiVersion: reconciler/v1\nkind: StoragePool\nmetadata: {name: p}\nspec: {path: /var/lib/p}\n");
        var cache = new SpecFileCache();
        var first = SpecLoader.LoadDirectory(dir.Root, cache: cache);
        Assert.False(first.HasErrors, string.Join("\n", first.Diagnostics));
        dir.Write("ci/user-data", "#cloud-config\nhostname: two\n");
        var second = SpecLoader.LoadDirectory(dir.Root, cache: cache);
        Assert.Contains("hostname: two", second.Specs!.Domains.Single().CloudInit!.UserData);
    }

    [Fact]
    public void A_sibling_file_fixed_on_its_own_clears_the_error()
    {
        using var dir = new TempDir();
        dir.Write("ci/user-data", "#cloud-config\nusers:\n  - name: a\n   bad: indent\n");
        dir.Write("vms.yaml", T.DomainHeader + "  memory: 64MiB\n  cloudInit: {userDataFile: ci/user-data, pool: p}\n"
            + "---\napiVersion: reconciler/v1\nkind: StoragePool\nmetadata: {name: p}\nspec: {path: /var/lib/p}\n");
        var cache = new SpecFileCache();
        Assert.True(SpecLoader.LoadDirectory(dir.Root, cache: cache).HasErrors);
        dir.Write("ci/user-data", "#cloud-config\nhostname: fixed\n");
        var fixedUp = SpecLoader.LoadDirectory(dir.Root, cache: cache);
        Assert.False(fixedUp.HasErrors, string.Join("\n", fixedUp.Diagnostics));
    }
}
