using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>Changing a domain's node is a move (migration), never create + destroy.</summary>
public sealed class MoveTests
{
    private static LiveNode On(string name, params LiveDomain[] domains) => new(name, $"qemu+tcp://{name}/system", "kvm", domains);

    private static Plan Compute(DomainSpec spec, params LiveNode[] nodes) => Planner.Compute(Set(spec), nodes, new PlanOptions());

    [Fact]
    public void A_running_domain_whose_node_changed_is_live_migrated_not_recreated()
    {
        var spec = Domain("web", d => d with { Node = "b" });
        var plan = Compute(spec, On("a", Live(spec with { Node = "a" })), On("b"));
        var change = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Migrate, "b", "a", "web"), (change.Action, change.Node, change.FromNode, change.Name));
        Assert.Equal(Disruption.Live, change.Disruption);
        Assert.Contains("live migration", change.Reason);
        Assert.Equal("uuid-web", change.LiveUuid);
        Assert.DoesNotContain(plan.Diagnostics, d => d.Severity == Severity.Error);
    }

    [Fact]
    public void Storage_copy_is_a_live_migration_that_says_it_copies_the_disks_and_shared_is_the_default()
    {
        var shared = Domain("web", d => d with { Node = "b" });
        var copy = shared with { Migration = new MigrationPolicy(MigrationStorage.Copy) };
        var sharedChange = Assert.Single(Compute(shared, On("a", Live(shared with { Node = "a" })), On("b")).Changes);
        var copyChange = Assert.Single(Compute(copy, On("a", Live(copy with { Node = "a" })), On("b")).Changes);
        Assert.Contains("shared storage", sharedChange.Reason);
        Assert.DoesNotContain("copying", sharedChange.Reason);
        Assert.Contains("copying the disks", copyChange.Reason);
        Assert.Equal((ChangeAction.Migrate, Disruption.Live), (copyChange.Action, copyChange.Disruption));
        Assert.Equal(MigrationStorage.Copy, Assert.IsType<DomainMigrate>(copyChange).Desired.Migration!.Storage);
    }

    [Fact]
    public void A_stopped_domain_is_moved_with_no_disruption()
    {
        var spec = Domain("web", d => d with { Node = "b", State = PowerState.Stopped });
        var change = Assert.Single(Compute(spec, On("a", Live(spec, LiveRunState.Stopped)), On("b")).Changes);
        Assert.Equal(ChangeAction.Migrate, change.Action);
        Assert.Equal(Disruption.None, change.Disruption);
        Assert.Contains("stopped", change.Reason);
    }

    [Fact]
    public void The_same_domain_on_both_nodes_during_a_migration_is_not_a_duplicate_to_prune()
    {
        var spec = Domain("web", d => d with { Node = "b" });
        var plan = Compute(spec, On("a", Live(spec)), On("b", Live(spec)));
        Assert.True(plan.IsEmpty);
        var warning = Assert.Single(plan.Diagnostics);
        Assert.Equal(("move-in-progress", Severity.Warning), (warning.Code, warning.Severity));
    }

    [Fact]
    public void A_domain_whose_new_node_is_unreachable_is_neither_pruned_nor_moved()
    {
        var spec = Domain("web", d => d with { Node = "b" });
        var plan = Compute(spec, On("a", Live(spec)), new LiveNode("b", "qemu+tcp://127.0.0.1:1/system", "", [], "Connection refused"));
        Assert.True(plan.IsEmpty);
        Assert.Contains(plan.Diagnostics, d => d.Code == "node-unreachable");
    }

    [Fact]
    public void A_domain_owned_by_another_source_is_not_moved_but_created()
    {
        var spec = Domain("web", d => d with { Node = "b" });
        var change = Assert.Single(Compute(spec, On("a", Live(spec, source: "/elsewhere")), On("b")).Changes);
        Assert.Equal(ChangeAction.Create, change.Action);
    }
}
