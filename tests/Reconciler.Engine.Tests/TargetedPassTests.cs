using Reconciler.Core.Model;
using Reconciler.Engine.Reconcile;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Targeted passes (<see cref="PassPolicy.Scope"/>, ReconcilePass.Target.cs): a pass scoped to some
/// domains plans, applies and reports only those, and leaves every other domain alone, even a
/// drifted one; a removal, a change to a pool, or a domain whose plan depends on others makes it
/// plan everything (<see cref="PassReport.Scope"/> null). On qemu:///system, domains named
/// <c>pc-tgt-*</c>.
/// </summary>
[Collection(DefinitionReuseCollection.Name)] // opens connections to the system daemon: not beside the reconnect test
public sealed class TargetedPassTests : IDisposable
{
    private readonly SpecDir _dir = new();
    private const string SystemUri = "qemu:///system", Prefix = "pc-tgt-";
    private readonly string _poolPath = Path.Combine(Path.GetTempPath(), $"reconciler-tgt-{Guid.NewGuid():N}");

    public TargetedPassTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
        if (Directory.Exists(_poolPath)) Directory.Delete(_poolPath, recursive: true);
    }

    private static string Domain(string name, int memoryMiB = 64) =>
        $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: {Prefix}{name}}}\nspec: {{node: sys, state: stopped, vcpus: 1, memory: {memoryMiB}MiB, graphics: {{type: none}}}}\n";

    private SpecSet Specs(params string[] documents)
    {
        _dir.Write("node.yaml", $"apiVersion: reconciler/v1\nkind: Node\nmetadata: {{name: sys}}\nspec: {{uri: \"{SystemUri}\"}}\n");
        _dir.Write("vms.yaml", string.Join("---\n", documents));
        var loaded = Workspace.Load(_dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return loaded.Specs!;
    }

    private static Task<PassReport> Pass(SpecSet specs, params string[] scope)
    {
        var nodes = new[] { new Nodes.NodeTarget("sys", SystemUri) };
        var policy = new PassPolicy(DriftMode.Correct, Suspend: false, TimeSpan.FromSeconds(5), TimeSpan.Zero, Adopt: false, (_, _) => true, (_, _) => null,
            Scope: scope.Length == 0 ? null : scope.Select(s => Prefix + s).ToHashSet(StringComparer.Ordinal));
        return ReconcilePass.RunAsync(specs, nodes, policy, TextWriter.Null, CancellationToken.None);
    }

    private static ulong ConfigMemoryKib(string name)
    {
        using var conn = LibvirtConnection.Open(SystemUri);
        using var d = conn.LookupDomainByName(Prefix + name)!;
        var xml = System.Xml.Linq.XElement.Parse(d.GetXmlDesc(DomainXmlFlags.Inactive));
        return ulong.Parse(xml.Element("currentMemory")!.Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool Exists(string name)
    {
        using var conn = LibvirtConnection.Open(SystemUri);
        using var d = conn.LookupDomainByName(Prefix + name);
        return d is not null;
    }

    [Fact]
    public async Task A_targeted_pass_applies_and_reports_only_its_domain_and_leaves_a_drifted_one_alone()
    {
        var whole = await Pass(Specs(Domain("a"), Domain("b"), Domain("c")));
        Assert.Null(whole.Scope);
        Assert.All(whole.Resources, r => Assert.Equal(ResourceOutcome.Applied, r.Outcome));

        // b drifts behind our back; a's spec changes.
        using (var conn = LibvirtConnection.Open(SystemUri))
        using (var b = conn.LookupDomainByName(Prefix + "b")!)
        {
            b.SetMemory(49152, DomainModificationImpact.Config);
        }
        var specs = Specs(Domain("a", 96), Domain("b"), Domain("c"));

        var targeted = await Pass(specs, "a");
        Assert.Equal([Prefix + "a"], targeted.Scope!.Order());
        var a = Assert.Single(targeted.Resources);
        Assert.Equal((Prefix + "a", ResourceOutcome.Applied), (a.Name, a.Outcome));
        Assert.All(targeted.Plan.Changes, c => Assert.Equal(Prefix + "a", c.Name));
        Assert.Equal(98304UL, ConfigMemoryKib("a"));
        Assert.Equal(49152UL, ConfigMemoryKib("b")); // not in scope: left as it is

        // The pass over everything puts b back.
        var after = await Pass(specs);
        Assert.Null(after.Scope);
        Assert.Equal(3, after.Resources.Count);
        Assert.Equal(ResourceOutcome.DriftCorrected, after.Resources.Single(r => r.Name == Prefix + "b").Outcome);
        Assert.Equal(65536UL, ConfigMemoryKib("b"));
    }

    [Fact]
    public async Task A_removal_in_scope_makes_the_pass_plan_everything_and_the_prune_guard_count_every_owned_domain()
    {
        await Pass(Specs(Domain("a"), Domain("b"), Domain("c")));
        var specs = Specs(Domain("a"), Domain("b"));

        var report = await Pass(specs, "c");
        Assert.Null(report.Scope);
        Assert.Equal(ResourceOutcome.Pruned, report.Resources.Single(r => r.Name == Prefix + "c").Outcome);
        Assert.Equal(ResourceOutcome.InSync, report.Resources.Single(r => r.Name == Prefix + "a").Outcome);
        Assert.Equal(ResourceOutcome.InSync, report.Resources.Single(r => r.Name == Prefix + "b").Outcome);
        Assert.False(Exists("c"));
        Assert.True(Exists("a") && Exists("b"));
    }

    [Fact]
    public async Task A_change_to_a_pool_makes_the_pass_plan_everything()
    {
        await Pass(Specs(Domain("a"), Domain("b")));
        var pool = $"apiVersion: reconciler/v1\nkind: StoragePool\nmetadata: {{name: {Prefix}pool}}\nspec: {{node: sys, type: dir, path: {_poolPath}}}\n";
        var report = await Pass(Specs(Domain("a", 96), Domain("b"), pool), "a");
        Assert.Null(report.Scope);
        Assert.Contains(report.Plan.Changes, c => c is Core.Planning.PoolChange && c.Name == Prefix + "pool");
        Assert.Equal(ResourceOutcome.Applied, report.Resources.Single(r => r.Name == Prefix + "a").Outcome);
        Assert.Equal(ResourceOutcome.InSync, report.Resources.Single(r => r.Name == Prefix + "b").Outcome);
    }

    [Fact]
    public void Only_a_domain_with_its_node_named_and_no_host_device_is_planned_on_its_own()
    {
        var spec = Specs(Domain("a")).Domains.Single();
        Assert.True(ReconcilePass.Independent(spec));
        Assert.False(ReconcilePass.Independent(spec with { Node = null, Placement = new PlacementSpec(new Dictionary<string, string>()) }));
        Assert.False(ReconcilePass.Independent(spec with { Hostdevs = [new HostdevSpec { Pci = "0000:03:00.0" }] }));
        Assert.False(ReconcilePass.Independent(spec with { Interfaces = [new InterfaceSpec(null, null, "virtio", null) { Hostdev = "0000:03:10.0" }] }));
    }

    private static void Cleanup()
    {
        SystemDomains.Remove(Prefix);
        using var conn = LibvirtConnection.Open(SystemUri);
        foreach (var p in conn.ListAllStoragePools())
        {
            using (p)
            {
                if (!p.Name.StartsWith(Prefix, StringComparison.Ordinal)) continue;
                try { if (p.IsActive) p.Destroy(); } catch (LibvirtException) { }
                try { p.Undefine(); } catch (LibvirtException) { }
            }
        }
    }
}
