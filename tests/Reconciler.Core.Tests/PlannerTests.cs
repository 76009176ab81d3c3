using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

public sealed class PlannerTests
{
    private static Plan Compute(SpecSet set, params LiveNode[] nodes) => Planner.Compute(set, nodes, new PlanOptions());

    [Fact]
    public void A_missing_domain_is_created_on_the_only_node()
    {
        var plan = Compute(Set(Domain("web-1")), Node());
        var change = Assert.Single(plan.Changes);
        Assert.Equal((ChangeAction.Create, "hv1", "web-1"), (change.Action, change.Node, change.Name));
        Assert.NotNull(Assert.IsType<DomainCreate>(change).Desired);
        Assert.Null(change.LiveFingerprint);
    }

    [Fact]
    public void A_domain_that_matches_its_spec_plans_nothing_even_with_libvirt_defaults_filled_in()
    {
        var spec = Domain("web-1", d => d with { Interfaces = [new InterfaceSpec("default", null, "virtio", null)] });
        var plan = Compute(Set(spec), Node(Live(spec)));
        Assert.True(plan.IsEmpty);
        Assert.Equal(["web-1"], plan.Unchanged);
    }

    [Fact]
    public void Memory_within_the_maximum_of_a_running_domain_is_a_live_update()
    {
        var live = Domain("db", d => d with { MemoryBytes = 1UL << 30, MaxMemoryBytes = 4UL << 30 });
        var desired = live with { MemoryBytes = 2UL << 30 };
        var change = Assert.Single(Compute(Set(desired), Node(Live(live))).Changes);
        Assert.Equal(ChangeAction.Update, change.Action);
        var field = Assert.Single(change.Fields);
        Assert.Equal(("spec.memory", "1GiB", "2GiB", Disruption.Live), (field.Path, field.Before, field.After, field.Disruption));
    }

    [Fact]
    public void Memory_beyond_the_maximum_waits_for_the_next_boot_but_costs_nothing_when_stopped()
    {
        var live = Domain("db", d => d with { MemoryBytes = 1UL << 30 });
        var desired = live with { MemoryBytes = 2UL << 30 };
        var running = Assert.Single(Compute(Set(desired), Node(Live(live))).Changes);
        Assert.Equal(Disruption.NextBoot, running.Disruption);

        var stoppedSpec = desired with { State = PowerState.Stopped };
        var stopped = Assert.Single(Compute(Set(stoppedSpec), Node(Live(live with { State = PowerState.Stopped }, LiveRunState.Stopped))).Changes);
        Assert.All(stopped.Fields, f => Assert.Equal(Disruption.None, f.Disruption));
    }

    [Fact]
    public void A_domain_stopped_behind_our_back_is_started_again()
    {
        var spec = Domain("web-1");
        var change = Assert.Single(Compute(Set(spec), Node(Live(spec, LiveRunState.Stopped))).Changes);
        Assert.Equal(ChangeAction.Start, change.Action);
        Assert.Contains("drift", change.Reason);
    }

    [Fact]
    public void Autostart_drift_is_an_update_of_that_field_only()
    {
        var spec = Domain("web-1");
        var change = Assert.Single(Compute(Set(spec), Node(Live(spec, autostart: true))).Changes);
        Assert.Equal(ChangeAction.Update, change.Action);
        var field = Assert.Single(change.Fields);
        Assert.Equal(("spec.autostart", "true", "false", Disruption.None), (field.Path, field.Before, field.After, field.Disruption));
    }

    [Fact]
    public void A_foreign_domain_with_a_specs_name_is_an_error_and_untouched_unless_adopted()
    {
        var spec = Domain("web-1");
        var foreign = Live(spec with { Vcpus = 4 }, source: null);
        var plan = Compute(Set(spec), Node(foreign));
        Assert.Empty(plan.Changes);
        var error = Assert.Single(plan.Diagnostics);
        Assert.Equal("not-owned", error.Code);
        Assert.Contains("--adopt", error.Hint);
        Assert.Equal(4, error.Location!.Line);

        var adopted = Planner.Compute(Set(spec), [Node(foreign)], new PlanOptions(Adopt: true));
        var change = Assert.Single(adopted.Changes);
        Assert.Equal(ChangeAction.Update, change.Action);
        Assert.Equal("uuid-web-1", change.LiveUuid);
    }

    [Fact]
    public void A_domain_diagnostic_references_its_domain_and_node_and_a_node_wide_one_the_node()
    {
        var spec = Domain("web-1");
        var plan = Compute(Set(spec, Domain("db", d => d with { Node = "hv9" })), Node(Live(spec, source: null)));
        var notOwned = Assert.Single(plan.Diagnostics, d => d.Code == "not-owned");
        Assert.Equal(new ResourceRef(ResourceKind.Domain, "web-1", "hv1"), notOwned.Resource);
        var unknown = Assert.Single(plan.Diagnostics, d => d.Code == "unknown-node");
        Assert.Equal(new ResourceRef(ResourceKind.Domain, "db", "hv9"), unknown.Resource);

        var down = Planner.Compute(Set(spec), [Node() with { Error = "connection refused" }], new PlanOptions());
        Assert.Equal(new ResourceRef(ResourceKind.Node, "hv1"), Assert.Single(down.Diagnostics).Resource);
    }

    [Fact]
    public void Foreign_and_other_sources_domains_are_never_pruned()
    {
        var plan = Compute(Set(), Node(
            Live(Domain("foreign"), source: null),
            Live(Domain("theirs"), source: "/other/specs")));
        Assert.True(plan.IsEmpty);
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void An_owned_domain_no_longer_in_the_specs_is_destroyed_unless_protected()
    {
        var plan = Compute(Set(), Node(Live(Domain("old")), Live(Domain("keep"), protect: true)));
        var change = Assert.Single(plan.Changes);
        Assert.Equal((ChangeAction.Destroy, "old"), (change.Action, change.Name));
        Assert.Equal("protected", Assert.Single(plan.Diagnostics).Code);
    }

    [Fact]
    public void An_unreachable_node_is_an_error_and_nothing_on_it_is_pruned_or_created()
    {
        var down = new LiveNode("hv1", "qemu+tls://hv1/system", "kvm", [], "Connection refused");
        var plan = Compute(Set(Domain("web-1")), down);
        Assert.Empty(plan.Changes);
        Assert.Equal("node-unreachable", Assert.Single(plan.Diagnostics).Code);
    }

    [Fact]
    public void A_spec_naming_an_unknown_node_is_an_error_at_its_node_field()
    {
        var plan = Compute(Set(Domain("web-1", d => d with { Node = "hv9" })), Node());
        var error = Assert.Single(plan.Diagnostics);
        Assert.Equal(("unknown-node", "spec.node", 6), (error.Code, error.FieldPath, error.Location!.Line));
    }

    [Fact]
    public void Removing_a_disk_and_changing_a_nic_are_listed_field_by_field()
    {
        var live = Domain("web-1", d => d with
        {
            Disks = [new DiskSpec("/a.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, "vda"),
                     new DiskSpec("/b.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, "vdb")],
            Interfaces = [new InterfaceSpec("default", null, "virtio", null)],
        });
        var desired = live with
        {
            Disks = [live.Disks[0] with { Target = null }],
            Interfaces = [new InterfaceSpec(null, "br0", "virtio", null)],
        };
        var change = Assert.Single(Compute(Set(desired), Node(Live(live))).Changes);
        var paths = change.Fields.Select(f => f.Path).ToList();
        Assert.Contains("spec.disks[1].device", paths);
        Assert.Contains("spec.interfaces[0].bridge", paths);
        Assert.DoesNotContain("spec.disks[0].target", paths); // unspecified: libvirt's choice is kept
        Assert.DoesNotContain(paths, p => p.EndsWith(".mac", StringComparison.Ordinal));
    }

    [Fact]
    public void The_plan_is_a_pure_function_of_its_inputs()
    {
        var specs = Set(Domain("b"), Domain("a"), Domain("c", d => d with { Vcpus = 2 }));
        var node = Node(Live(Domain("c")), Live(Domain("z")));
        var first = Compute(specs, node);
        var second = Compute(specs, node);
        Assert.Equal(first.Changes.Select(c => (c.Name, c.Action)), second.Changes.Select(c => (c.Name, c.Action)));
        Assert.Equal(["a", "b", "c", "z"], first.Changes.Select(c => c.Name));
        Assert.Equal(ChangeAction.Destroy, first.Changes[^1].Action);
    }

    [Theory]
    [InlineData("q35", "pc-q35-7.2", true)]
    [InlineData("pc", "pc-i440fx-7.2", true)]
    [InlineData("q35", "pc-i440fx-7.2", false)]
    [InlineData("pc-q35-7.2", "pc-q35-8.0", false)]
    public void Machine_aliases_match_their_versioned_names(string desired, string live, bool match) =>
        Assert.Equal(match, DomainFields.Equivalent("spec.machine", desired, live));
}

public sealed class DiskAlignmentTests
{
    private static DiskSpec Disk(string? path, string target, DiskDevice device = DiskDevice.Disk, string bus = "virtio") =>
        new(path, null, null, device, bus, path is null ? null : "qcow2", device == DiskDevice.Cdrom, target);

    [Fact]
    public void Disks_libvirt_stored_in_its_own_order_are_not_a_difference()
    {
        // libvirt groups disks by bus and sorts by target: [vda, cdrom sda, vdb] reads back as [vda, vdb, sda].
        var desired = Specs.Domain("d", d => d with { Disks = [Disk("/a", "vda"), Disk(null, "sda", DiskDevice.Cdrom, "sata"), Disk("/b", "vdb")] });
        var live = desired with { Disks = [desired.Disks[0], desired.Disks[2], desired.Disks[1]] };
        Assert.Empty(DomainFields.Diff(desired, live));
    }

    [Fact]
    public void The_same_pair_of_records_gives_the_differences_found_before_and_another_live_record_is_compared_afresh()
    {
        var desired = Specs.Domain("d");
        var live = desired with { MemoryBytes = desired.MemoryBytes * 2 };
        var first = DomainFields.Diff(desired, live);
        Assert.Same(first, DomainFields.Diff(desired, live));
        Assert.Single(first, d => d.Path == "spec.memory");
        // An equal but other live record (a definition read again) is compared again: no memory of the old one leaks in.
        Assert.Empty(DomainFields.Diff(desired, desired with { }));
        Assert.Single(DomainFields.Diff(desired, live with { }), d => d.Path == "spec.memory");
    }

    [Fact]
    public void A_changed_path_reads_as_that_disks_path_changing_and_a_dropped_disk_as_removed()
    {
        var live = Specs.Domain("d", d => d with { Disks = [Disk("/a", "vda"), Disk("/b", "vdb"), Disk("/c", "vdc")] });
        var desired = live with { Disks = [Disk("/a", "vda"), Disk("/b2", "vdb")] };
        var diffs = DomainFields.Diff(desired, live);
        Assert.Contains(new FieldDiff("spec.disks[1].path", "/b", "/b2"), diffs);
        Assert.Contains(diffs, d => d.Path == "spec.disks[2].device" && d.After is null);
    }

    [Fact]
    public void A_disk_inserted_in_front_is_an_addition_not_a_rename_of_every_disk()
    {
        var live = Specs.Domain("d", d => d with { Disks = [Disk("/a", "vda")] });
        var desired = live with { Disks = [Disk("/new", "vdb"), Disk("/a", "vda")] };
        var diffs = DomainFields.Diff(desired, live);
        Assert.All(diffs, d => Assert.StartsWith("spec.disks[0].", d.Path));
        Assert.All(diffs, d => Assert.Null(d.Before));
    }
}
