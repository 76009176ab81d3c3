using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>The move's plan data carries its migration policy, and the planner's snapshot rules for moves and prunes (a pure function of the live snapshot names).</summary>
public sealed class MigrationPolicyPlanTests
{
    private static LiveNode On(string name, params LiveDomain[] domains) => new(name, $"qemu+tcp://{name}/system", "kvm", domains);

    private static Plan Compute(DomainSpec spec, params LiveNode[] nodes) => Planner.Compute(Set(spec), nodes, new PlanOptions());

    private static readonly MigrationPolicy Policy = new(MigrationStorage.Shared)
    {
        BandwidthMiBps = 200, AutoConverge = true, Timeout = new MigrationTimeout(TimeSpan.FromSeconds(30)),
    };

    [Fact]
    public void A_live_move_carries_the_policy_a_stopped_one_says_offline()
    {
        var spec = Domain("web", d => d with { Node = "b", Migration = Policy });
        var live = Assert.IsType<DomainMigrate>(Assert.Single(Compute(spec, On("a", Live(spec with { Node = "a" })), On("b")).Changes));
        Assert.Equal("live, shared, 200 MiB/s, auto-converge, timeout 30s/GiB → abort", live.Migration);
        Assert.Empty(live.Snapshots);

        var stopped = spec with { State = PowerState.Stopped };
        var cold = Assert.IsType<DomainMigrate>(Assert.Single(Compute(stopped, On("a", Live(stopped, LiveRunState.Stopped)), On("b")).Changes));
        Assert.Equal("offline (stopped)", cold.Migration);
    }

    [Theory]
    [InlineData(MigrationSnapshots.Refuse, new[] { "reconciler-1" }, "reconciler-1")]
    [InlineData(MigrationSnapshots.Delete, new[] { "reconciler-1", "user" }, "user")]
    [InlineData(MigrationSnapshots.Refuse, new[] { "user" }, "user")]
    public void Snapshots_block_a_move_naming_them(MigrationSnapshots rule, string[] snapshots, string named)
    {
        var spec = Domain("web", d => d with { Node = "b", Migration = Policy with { Snapshots = rule } });
        var plan = Compute(spec, On("a", Live(spec with { Node = "a" }) with { Snapshots = snapshots }), On("b"));
        Assert.Empty(plan.Changes); // neither moved, nor created on b, nor pruned on a
        var error = Assert.Single(plan.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(Planner.SnapshotsBlockMoveCode, error.Code);
        Assert.Equal(named.StartsWith("reconciler-", StringComparison.Ordinal) ? "spec.migration.snapshots" : "spec.node", error.FieldPath);
        Assert.Contains(named, error.Message);
    }

    [Fact]
    public void Delete_lists_reconcilers_own_for_deletion_and_unread_snapshots_block_nothing()
    {
        var spec = Domain("web", d => d with { Node = "b", Migration = Policy with { Snapshots = MigrationSnapshots.Delete } });
        var move = Assert.IsType<DomainMigrate>(Assert.Single(Compute(spec, On("a", Live(spec with { Node = "a" }) with { Snapshots = ["reconciler-1", "reconciler-2"] }), On("b")).Changes));
        Assert.Equal(["reconciler-1", "reconciler-2"], move.Snapshots);

        var unread = Compute(spec with { Migration = Policy }, On("a", Live(spec with { Node = "a" })), On("b"));
        Assert.IsType<DomainMigrate>(Assert.Single(unread.Changes));
    }

    [Fact]
    public void A_prune_takes_reconcilers_own_snapshot_metadata_with_it_and_refuses_while_a_users_remain()
    {
        var gone = Domain("old");
        var other = Domain("web");
        var own = Planner.Compute(Set(other), [On("a", Live(gone) with { Snapshots = ["reconciler-1"] })], new PlanOptions());
        var prune = Assert.IsType<DomainDestroy>(Assert.Single(own.Changes, c => c.Name == "old"));
        Assert.Equal(["reconciler-1"], prune.Snapshots);

        var users = Planner.Compute(Set(other), [On("a", Live(gone) with { Snapshots = ["reconciler-1", "keep-me"] })], new PlanOptions());
        Assert.DoesNotContain(users.Changes, c => c.Name == "old");
        var error = Assert.Single(users.Diagnostics, d => d.Code == Planner.SnapshotsBlockPruneCode);
        Assert.Contains("keep-me", error.Message);
        Assert.DoesNotContain("reconciler-1", error.Message);
    }
}
