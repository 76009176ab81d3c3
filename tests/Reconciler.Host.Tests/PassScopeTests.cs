using Reconciler.Core.Model;
using Reconciler.Specs;

namespace Reconciler.Host.Tests;

/// <summary>
/// What a pass is about (<see cref="PassScope"/>): the domains a revision changed and events named,
/// or everything. The specs are loaded as the controller loads them, through one spec file cache,
/// so an unchanged file gives back the same records.
/// </summary>
public sealed class PassScopeTests
{
    private readonly SpecFileCache _cache = new();

    private static string Domain(string name, int memoryMiB = 64) =>
        $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: {name}}}\nspec: {{node: n1, state: stopped, memory: {memoryMiB}MiB}}\n";

    private const string Node = "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: n1}\nspec: {uri: \"test:///default\"}\n";

    private static string Network(string address) =>
        $"apiVersion: reconciler/v1\nkind: Network\nmetadata: {{name: net}}\nspec: {{node: n1, mode: nat, ipv4: {{address: {address}}}}}\n";

    private SpecSet Load(params (string Path, string Text)[] files)
    {
        var result = SpecLoader.LoadFiles("/specs", [("node.yaml", Node), .. files], CancellationToken.None, _cache);
        Assert.True(result.Specs is not null, string.Join("\n", result.Diagnostics));
        return result.Specs!;
    }

    private static PassRequest Revision(params string[] eventDomains) =>
        new(["revision r2"], Broad: false, eventDomains.ToHashSet(StringComparer.Ordinal));

    [Fact]
    public void A_revision_that_changes_one_file_is_about_that_files_domain_alone()
    {
        var before = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("c.yaml", Domain("c")));
        var after = Load(("a.yaml", Domain("a", 96)), ("b.yaml", Domain("b")), ("c.yaml", Domain("c")));
        Assert.Same(before.Domains[1], after.Domains[1]);
        Assert.Equal(["a"], PassScope.Of(before, after, Revision(), limit: 64)!.Order());
    }

    [Fact]
    public void An_unchanged_revision_is_about_nothing_but_what_events_named()
    {
        var before = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")));
        var after = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("README.md", "# not a spec"));
        Assert.Empty(PassScope.Of(before, after, Revision(), limit: 64)!);
        Assert.Equal(["b", "gone"], PassScope.Of(before, after, Revision("b", "gone"), limit: 64)!.Order());
        // A new domain is in scope too.
        var more = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("d.yaml", Domain("d")));
        Assert.Equal(["d"], PassScope.Of(before, more, Revision(), limit: 64)!.Order());
    }

    [Fact]
    public void A_broad_request_the_first_pass_or_another_source_is_about_everything()
    {
        var specs = Load(("a.yaml", Domain("a")));
        Assert.Null(PassScope.Of(specs, specs, new PassRequest(["node n1 reconnected"], Broad: true, new HashSet<string>()), limit: 64));
        Assert.Null(PassScope.Of(null, specs, Revision(), limit: 64));
        Assert.Null(PassScope.Of(specs with { Source = "/elsewhere" }, specs, Revision(), limit: 64));
    }

    [Fact]
    public void A_removed_domain_or_a_changed_network_makes_a_pass_about_everything()
    {
        var before = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("net.yaml", Network("192.168.150.1/24")));
        var removed = Load(("a.yaml", Domain("a")), ("net.yaml", Network("192.168.150.1/24")));
        Assert.Null(PassScope.Of(before, removed, Revision(), limit: 64));
        var renetted = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("net.yaml", Network("192.168.151.1/24")));
        Assert.Null(PassScope.Of(before, renetted, Revision(), limit: 64));
        // The network file read again unchanged: the same record, nothing in scope.
        Assert.Empty(PassScope.Of(renetted, Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("net.yaml", Network("192.168.151.1/24"))), Revision(), limit: 64)!);
    }

    [Fact]
    public void More_domains_than_the_limit_or_a_new_revision_under_GitHub_statuses_make_a_pass_about_everything()
    {
        var before = Load(("a.yaml", Domain("a")), ("b.yaml", Domain("b")), ("c.yaml", Domain("c")));
        var after = Load(("a.yaml", Domain("a", 96)), ("b.yaml", Domain("b", 96)), ("c.yaml", Domain("c")));
        Assert.Equal(2, PassScope.Of(before, after, Revision(), limit: 2)!.Count);
        Assert.Null(PassScope.Of(before, after, Revision(), limit: 1));
        Assert.Null(PassScope.Of(before, after, Revision("c"), limit: 2));
        Assert.Null(PassScope.Of(before, after, Revision(), limit: 64, wholeRevisions: true));
        // Under GitHub statuses, events within one revision are still targeted.
        Assert.Equal(["a"], PassScope.Of(after, after, Revision("a"), limit: 64, wholeRevisions: true)!.Order());
    }
}
