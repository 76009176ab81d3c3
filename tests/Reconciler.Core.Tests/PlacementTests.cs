using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>Domains with spec.placement and no spec.node: which node the planner picks, and why.</summary>
public sealed class PlacementTests
{
    private const ulong GiB = 1UL << 30;
    private const ulong MiB = 1UL << 20;

    private static NodeSpec NodeSpec(string name, params (string Key, string Value)[] labels) =>
        new(new ResourceMeta(name, labels.ToDictionary(l => l.Key, l => l.Value), SpecOrigin.InMemory("nodes.yaml")), $"qemu+tcp://{name}/system");

    private static LiveNode On(string name, ulong memory = 8 * GiB, int cpus = 8, ulong? free = null, params LiveDomain[] domains) =>
        new(name, $"qemu+tcp://{name}/system", "kvm", domains) { Capacity = new NodeCapacity(cpus, memory, free) };

    private static DomainSpec Placed(string name, Func<PlacementSpec, PlacementSpec>? edit = null, ulong memory = 1 * GiB, int vcpus = 1)
    {
        var placement = new PlacementSpec(new Dictionary<string, string>());
        return Domain(name, d => d with { MemoryBytes = memory, Vcpus = vcpus, Placement = edit is null ? placement : edit(placement) });
    }

    private static PlacementSpec Selector(PlacementSpec p, string key, string value) =>
        p with { NodeSelector = new Dictionary<string, string>(p.NodeSelector) { [key] = value } };

    private static Plan Compute(IReadOnlyList<NodeSpec> nodes, IReadOnlyList<DomainSpec> domains, params LiveNode[] live) =>
        Planner.Compute(new SpecSet(Source, "rev1", nodes, domains), live, new PlanOptions());

    private static Dictionary<string, string> Nodes(Plan plan) =>
        plan.Changes.Where(c => c.Kind == ResourceKind.Domain).ToDictionary(c => c.Name, c => c.Node);

    [Fact]
    public void The_node_selector_keeps_only_nodes_with_every_label()
    {
        var nodes = new[] { NodeSpec("a", ("rack", "r1")), NodeSpec("b", ("rack", "r2"), ("ssd", "true")), NodeSpec("c", ("rack", "r2")) };
        var spec = Placed("db", p => Selector(Selector(p, "rack", "r2"), "ssd", "true"));
        // a has the most memory, but only b carries both labels.
        var plan = Compute(nodes, [spec], On("a", 64 * GiB), On("b"), On("c", 16 * GiB));
        var change = Assert.IsType<DomainCreate>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Create, "b"), (change.Action, change.Node));
        Assert.Equal("1 of 3 nodes fit (nodeSelector rack=r2,ssd=true); most memory left (8GiB), 0 domains", change.Placement);
        Assert.Equal("b", change.Desired.Node);
        Assert.Equal("b", change.Desired.Placement!.Node);
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void Anti_affinity_never_puts_two_domains_of_a_group_on_one_node_and_a_fourth_is_a_plan_error()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b"), NodeSpec("c") };
        var web = Enumerable.Range(1, 3).Select(i => Placed($"web-{i}", p => p with { AntiAffinity = "web" })).ToList();
        var plan = Compute(nodes, web, On("a"), On("b"), On("c"));
        Assert.Equal(["a", "b", "c"], Nodes(plan).Values.Order().ToArray());

        // web-1 already lives on b; web-2 and web-3 must avoid it, and web-4 fits nowhere. api (placed
        // first, by name) takes a, so web-2 goes to c where more memory is left.
        var live = Live(web[0] with { Placement = web[0].Placement! with { Node = "b" } });
        var more = web.Append(Placed("web-4", p => p with { AntiAffinity = "web" })).Append(Placed("api")).ToList();
        plan = Compute(nodes, more, On("a"), On("b", domains: live), On("c"));
        var placed = Nodes(plan);
        Assert.False(placed.ContainsKey("web-1"));
        Assert.Equal(["a", "c"], new[] { placed["web-2"], placed["web-3"] }.Order().ToArray());
        Assert.False(placed.ContainsKey("web-4"));
        Assert.True(placed.ContainsKey("api"));
        var error = Assert.Single(plan.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(Placement.InfeasibleCode, error.Code);
        Assert.Equal("domain 'web-4' cannot be placed: no node satisfies its placement: antiAffinity web excludes a (has web-3), b (has web-1), c (has web-2)", error.Message);
        Assert.Equal(("vms.yaml", 7, "spec.placement"), (error.Location!.File, error.Location.Line, error.FieldPath));
        Assert.Contains("set spec.node", error.Hint);
    }

    [Fact]
    public void Spread_memory_picks_the_most_room_counting_owned_domains_and_earlier_placements_of_the_same_plan()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b") };
        // a: 4GiB with a stopped owned 1GiB domain (its room is kept) → 3GiB; b: 2.5GiB.
        var stopped = Live(Domain("old", d => d with { Node = "a", MemoryBytes = 1 * GiB }), LiveRunState.Stopped);
        var specs = new[] { Domain("old", d => d with { Node = "a", MemoryBytes = 1 * GiB, State = PowerState.Stopped }), Placed("d1"), Placed("d2"), Placed("d3") };
        var plan = Compute(nodes, specs, On("a", 4 * GiB, domains: stopped), On("b", 2 * GiB + 512 * MiB));
        var placed = Nodes(plan);
        // d1 → a (3GiB vs 2.5GiB), d2 → b (2GiB vs 2.5GiB), d3 → a (2GiB vs 1.5GiB).
        Assert.Equal(("a", "b", "a"), (placed["d1"], placed["d2"], placed["d3"]));
    }

    [Fact]
    public void Free_memory_counts_running_domains_once_and_stopped_owned_ones_too()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b") };
        // a is large but nearly full (free 1GiB, of which a stopped owned domain keeps 512MiB); b has 3GiB free.
        var running = Live(Domain("r", d => d with { Node = "a", MemoryBytes = 2 * GiB }));
        var stopped = Live(Domain("s", d => d with { Node = "a", MemoryBytes = 512 * MiB }), LiveRunState.Stopped);
        var specs = new[]
        {
            Domain("r", d => d with { Node = "a", MemoryBytes = 2 * GiB }),
            Domain("s", d => d with { Node = "a", MemoryBytes = 512 * MiB, State = PowerState.Stopped }),
            Placed("new", memory: 768 * MiB),
        };
        var plan = Compute(nodes, specs, On("a", 64 * GiB, free: 1 * GiB, domains: [running, stopped]), On("b", 4 * GiB, free: 3 * GiB));
        var change = Assert.Single(plan.Changes);
        Assert.Equal("b", change.Node);

        // Too big for both: the error names the memory constraint and what is left on each node.
        plan = Compute(nodes, [specs[0], specs[1], Placed("huge", memory: 4 * GiB)],
            On("a", 64 * GiB, free: 1 * GiB, domains: [running, stopped]), On("b", 4 * GiB, free: 3 * GiB));
        var error = Assert.Single(plan.Diagnostics);
        Assert.Equal("domain 'huge' cannot be placed: no node satisfies its placement: memory excludes a (needs 4GiB, 512MiB left), b (needs 4GiB, 3GiB left)", error.Message);
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void Cpus_exclude_nodes_with_fewer_host_cpus_than_the_domains_vcpus()
    {
        var plan = Compute([NodeSpec("a"), NodeSpec("b")], [Placed("wide", vcpus: 8)], On("a", 64 * GiB, cpus: 4), On("b", 2 * GiB, cpus: 16));
        Assert.Equal("b", Assert.Single(plan.Changes).Node);
        plan = Compute([NodeSpec("a")], [Placed("wide", vcpus: 8)], On("a", cpus: 4));
        Assert.Contains("cpus excludes a (8 vCPUs, node has 4)", Assert.Single(plan.Diagnostics).Message);
    }

    [Fact]
    public void Spread_domains_picks_the_node_with_the_fewest_of_our_domains()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b") };
        var x = Domain("x", d => d with { Node = "a" });
        var y = Domain("y", d => d with { Node = "a" });
        var spec = Placed("z", p => p with { Spread = PlacementSpread.Domains });
        // a has more room but two of our domains; b has none.
        var plan = Compute(nodes, [x, y, spec], On("a", 64 * GiB, domains: [Live(x), Live(y)]), On("b", 2 * GiB));
        var change = Assert.IsAssignableFrom<DesiredDomainChange>(Assert.Single(plan.Changes));
        Assert.Equal("b", change.Node);
        Assert.StartsWith("2 of 2 nodes fit; fewest domains (0)", change.Placement);
        // With the default (memory) the same inputs choose a.
        Assert.Equal("a", Assert.Single(Compute(nodes, [x, y, spec with { Placement = spec.Placement! with { Spread = PlacementSpread.Memory } }],
            On("a", 64 * GiB, domains: [Live(x), Live(y)]), On("b", 2 * GiB)).Changes).Node);
    }

    [Fact]
    public void The_choice_is_deterministic_ties_go_to_the_node_name_whatever_the_input_order()
    {
        var nodes = new[] { NodeSpec("c"), NodeSpec("a"), NodeSpec("b") };
        var specs = new[] { Placed("w2", p => p with { AntiAffinity = "g" }), Placed("w1", p => p with { AntiAffinity = "g" }) };
        var first = Nodes(Compute(nodes, specs, On("c"), On("b"), On("a")));
        var second = Nodes(Compute(nodes.Reverse().ToArray(), specs.Reverse().ToArray(), On("a"), On("c"), On("b")));
        Assert.Equal(first, second);
        // Placed in name order: w1 takes a (tie by name), w2 the next tie, b.
        Assert.Equal(("a", "b"), (first["w1"], first["w2"]));
    }

    [Fact]
    public void A_placed_domain_stays_where_it_is_even_when_capacity_and_constraints_change()
    {
        var nodes = new[] { NodeSpec("a", ("rack", "r1")), NodeSpec("b", ("rack", "r2")) };
        var spec = Placed("db", p => Selector(p, "rack", "r2"));
        var live = Live(spec with { Node = "b", Placement = spec.Placement! with { Node = "b" } });
        // b is now full and a has plenty of room: still no change.
        var plan = Compute(nodes, [spec], On("a", 64 * GiB), On("b", 1 * GiB, domains: live));
        Assert.True(plan.IsEmpty, string.Join("\n", plan.Changes));
        Assert.Empty(plan.Diagnostics);
        Assert.Contains("db", plan.Unchanged);

        // The selector now points elsewhere: kept on b with a warning; no move on its own.
        var moved = spec with { Placement = Selector(new PlacementSpec(new Dictionary<string, string>()), "rack", "r1") };
        plan = Compute(nodes, [moved], On("a", 64 * GiB), On("b", 1 * GiB, domains: live));
        var change = Assert.IsAssignableFrom<DesiredDomainChange>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Update, "b"), (change.Action, change.Node));
        Assert.Equal([("spec.placement.nodeSelector", "rack=r2", "rack=r1", Disruption.None)], change.Fields.Select(f => (f.Path, f.Before, f.After, f.Disruption)));
        Assert.Equal("kept where it was placed", change.Placement);
        var warning = Assert.Single(plan.Diagnostics);
        Assert.Equal(("placement-kept", Severity.Warning), (warning.Code, warning.Severity));
        Assert.Contains("stays on node 'b'", warning.Message);
        Assert.Contains("nodeSelector rack=r1: lacks rack=r1", warning.Message);
    }

    [Fact]
    public void Setting_spec_node_on_a_placed_domain_is_a_migration_and_drops_the_placement()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b") };
        var spec = Placed("db");
        var live = Live(spec with { Node = "b", Placement = spec.Placement! with { Node = "b" } });
        var plan = Compute(nodes, [spec with { Node = "a" }], On("a"), On("b", domains: live));
        var change = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Migrate, "a", "b"), (change.Action, change.Node, change.FromNode));
        Assert.Null(change.Placement);
        Assert.Null(change.Desired.Placement);
    }

    [Fact]
    public void A_domain_already_on_a_node_without_a_placement_record_stays_there_and_gets_one()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b") };
        var spec = Placed("db");
        var plan = Compute(nodes, [spec], On("a", 64 * GiB), On("b", domains: Live(spec with { Node = "b" })));
        var change = Assert.IsAssignableFrom<DesiredDomainChange>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Update, "b", "kept where it already is"), (change.Action, change.Node, change.Placement));
        Assert.Contains(change.Fields, f => f.Path == "spec.placement.node" && f.After == "b" && f.Disruption == Disruption.None);
    }

    [Fact]
    public void An_unreachable_node_blocks_only_new_placements_with_a_clear_error()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b") };
        var plan = Compute(nodes, [Placed("new"), Domain("fixed", d => d with { Node = "a" })],
            On("a"), new LiveNode("b", "qemu+tcp://b/system", "", [], "Connection refused"));
        Assert.Equal("fixed", Assert.Single(plan.Changes).Name);
        var error = Assert.Single(plan.Diagnostics, d => d.Code == Placement.UnknownCode);
        Assert.Contains("domain 'new' cannot be placed while node(s) b cannot be read", error.Message);
    }

    [Fact]
    public void A_domain_goes_where_the_specs_put_its_volumes_and_networks()
    {
        var nodes = new[] { NodeSpec("a"), NodeSpec("b"), NodeSpec("c") };
        var meta = (string name) => new ResourceMeta(name, new Dictionary<string, string>(), SpecOrigin.InMemory());
        var pool = new StoragePoolSpec(meta("p"), "b", StoragePoolType.Dir, "/srv/p", true);
        var volume = new VolumeSpec(meta("db-root"), null, "p", 1 * GiB, VolumeFormat.Qcow2, null, DeletionPolicy.Retain);
        var net = new NetworkSpec(meta("lan"), "c", NetworkMode.Isolated, null, null, [], true);
        var disk = new DiskSpec(null, "db-root", null, DiskDevice.Disk, "virtio", "qcow2", false, null);
        var spec = Placed("db") with { Disks = [disk] };
        var set = new SpecSet(Source, "rev1", nodes, [spec]) { Pools = [pool], Volumes = [volume] };
        // a has the most memory, but the volume's pool is on b.
        var plan = Planner.Compute(set, [On("a", 64 * GiB), On("b"), On("c")], new PlanOptions());
        Assert.Equal("b", plan.Changes.Single(c => c.Kind == ResourceKind.Domain).Node);
        Assert.DoesNotContain(plan.Diagnostics, d => d.Code.StartsWith("placement", StringComparison.Ordinal));

        // Its network is on c: no node has both.
        var both = set with { Domains = [spec with { Interfaces = [new InterfaceSpec("lan", null, "virtio", null)] }], Networks = [net] };
        plan = Planner.Compute(both, [On("a", 64 * GiB), On("b"), On("c")], new PlanOptions());
        var error = Assert.Single(plan.Diagnostics, d => d.Code == Placement.InfeasibleCode);
        Assert.Contains("storage and networks excludes a (volume db-root is on b, network lan is on c), b (network lan is on c), c (volume db-root is on b)", error.Message);
    }

    [Fact]
    public void A_node_whose_size_is_unknown_is_not_a_candidate()
    {
        var plan = Compute([NodeSpec("a"), NodeSpec("b")], [Placed("x")], On("a", 64 * GiB), new LiveNode("b", "u", "kvm", []));
        Assert.Equal("a", Assert.Single(plan.Changes).Node);
        plan = Compute([NodeSpec("b")], [Placed("x")], new LiveNode("b", "u", "kvm", []));
        Assert.Contains("capacity excludes b (its size could not be read)", Assert.Single(plan.Diagnostics).Message);
    }
}
