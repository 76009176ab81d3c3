using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>The mass-removal guard: a pure step over the plan, no I/O.</summary>
public sealed class PruneGuardTests
{
    /// <summary>A node that owns <paramref name="owned"/> domains, of which the specs keep <paramref name="kept"/>: plans the rest's removal and guards it.</summary>
    private static (Plan Planned, Plan Guarded) Remove(int owned, int kept, PruneLimits? limits = null, int foreign = 0)
    {
        var specs = Enumerable.Range(0, owned).Select(i => Domain($"vm-{i:D4}", d => d with { State = PowerState.Stopped })).ToList();
        var live = specs.Select(s => Live(s, LiveRunState.Stopped))
            .Concat(Enumerable.Range(0, foreign).Select(i => Live(Domain($"other-{i}"), source: null)))
            .ToList();
        var node = Node([.. live]);
        var planned = Planner.Compute(Set([.. specs.Take(kept)]), [node], new PlanOptions());
        return (planned, PruneGuard.Apply(planned, [node], limits ?? PruneLimits.Default));
    }

    [Fact]
    public void Removing_1_of_2_in_a_small_lab_goes_ahead_as_before()
    {
        var (planned, guarded) = Remove(owned: 2, kept: 1);
        Assert.Equal(planned, guarded);
        Assert.Single(guarded.Changes, c => c.Action == ChangeAction.Destroy);
        Assert.Empty(guarded.HeldPrunes);
        Assert.False(guarded.HasErrors);
    }

    [Fact]
    public void Removing_6_of_20_is_30_percent_and_held_with_a_diagnostic_naming_count_revision_and_the_flag()
    {
        var (_, guarded) = Remove(owned: 20, kept: 14);
        Assert.DoesNotContain(guarded.Changes, c => c.Action == ChangeAction.Destroy);
        var held = Assert.Single(guarded.HeldPrunes);
        Assert.Equal(("hv1", "rev1", 20, 6), (held.Node, held.Revision, held.Owned, held.Count));
        Assert.All(held.Changes, c => Assert.Equal(ChangeAction.Destroy, c.Action));
        var error = Assert.Single(guarded.Diagnostics, d => d.Code == PruneGuard.Code);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Contains("remove 6 of the 20", error.Message, StringComparison.Ordinal);
        Assert.Contains("revision rev1", error.Message, StringComparison.Ordinal);
        Assert.Contains(PruneGuard.AllowFlag, error.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Removing_6_of_30_is_20_percent_and_goes_ahead()
    {
        var (_, guarded) = Remove(owned: 30, kept: 24);
        Assert.Equal(6, guarded.Changes.Count(c => c.Action == ChangeAction.Destroy));
        Assert.Empty(guarded.HeldPrunes);
    }

    [Fact]
    public void Removing_51_of_1000_is_held_whatever_the_share()
    {
        var (_, guarded) = Remove(owned: 1000, kept: 949);
        Assert.Equal(51, Assert.Single(guarded.HeldPrunes).Count);
        Assert.DoesNotContain(guarded.Changes, c => c.Action == ChangeAction.Destroy);
    }

    [Fact]
    public void Removing_50_of_1000_is_under_both_rules()
    {
        var (_, guarded) = Remove(owned: 1000, kept: 950);
        Assert.Empty(guarded.HeldPrunes);
        Assert.Equal(50, guarded.Changes.Count(c => c.Action == ChangeAction.Destroy));
    }

    [Fact]
    public void Foreign_domains_do_not_count_towards_the_node_s_owned_domains()
    {
        // 6 of 20 owned is held even though the node holds 100 domains in all.
        var (_, guarded) = Remove(owned: 20, kept: 14, foreign: 80);
        Assert.Equal(20, Assert.Single(guarded.HeldPrunes).Owned);
    }

    [Fact]
    public void Everything_else_in_the_plan_is_kept_in_order()
    {
        var specs = Enumerable.Range(0, 20).Select(i => Domain($"vm-{i:D2}")).ToList();
        var node = Node([.. specs.Select(s => Live(s))]);
        var changed = specs.Take(5).Select(s => s with { Vcpus = 2 }).Append(Domain("new-1")).ToList();
        var planned = Planner.Compute(Set([.. changed]), [node], new PlanOptions());
        var guarded = PruneGuard.Apply(planned, [node], PruneLimits.Default);
        Assert.Equal(15, Assert.Single(guarded.HeldPrunes).Count);
        Assert.Equal(planned.Changes.Where(c => c.Action != ChangeAction.Destroy), guarded.Changes);
        Assert.Equal(6, guarded.Changes.Count);
    }

    [Fact]
    public void Unlimited_holds_nothing_and_off_parses_to_it()
    {
        var (planned, guarded) = Remove(owned: 20, kept: 0, PruneLimits.Unlimited);
        Assert.Same(planned, guarded);
        Assert.True(PruneLimits.TryParse("off", out var off, out _));
        Assert.Equal(PruneLimits.Unlimited, off);
        Assert.Equal("off", PruneLimits.Unlimited.ToString());
    }

    [Theory]
    [InlineData("5,25%,50", 5, 25, 50)]
    [InlineData(" 2, 10 % ,20 ", 2, 10, 20)]
    [InlineData("0,0,0", 0, 0, 0)]
    public void Limits_parse(string text, int min, int percent, int max)
    {
        Assert.True(PruneLimits.TryParse(text, out var limits, out var error), error);
        Assert.Equal(new PruneLimits(min, percent, max), limits);
    }

    [Theory]
    [InlineData("")]
    [InlineData("5,25%")]
    [InlineData("5,125%,50")]
    [InlineData("-1,25%,50")]
    [InlineData("five,25%,50")]
    public void Bad_limits_are_refused_with_the_expected_form(string text)
    {
        Assert.False(PruneLimits.TryParse(text, out _, out var error));
        Assert.Contains("COUNT,PERCENT%,MAX", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_limits_round_trip_through_their_text()
    {
        Assert.True(PruneLimits.TryParse(PruneLimits.Default.ToString(), out var parsed, out _));
        Assert.Equal(PruneLimits.Default, parsed);
    }

    [Fact]
    public void Volumes_and_networks_are_not_counted_or_held()
    {
        var owned = Enumerable.Range(0, 10).Select(i => Domain($"vm-{i}")).ToList();
        var node = Node([.. owned.Select(s => Live(s))]);
        var plan = Planner.Compute(Set([.. owned]), [node], new PlanOptions());
        var storage = Enumerable.Range(0, 10).Select(i => new VolumeChange("hv1", $"v{i}", ChangeAction.Destroy, "gone", [], null) { Pool = "pool", Spec = null }).ToList();
        var withStorage = plan with { Changes = [.. plan.Changes, .. storage] };
        var guarded = PruneGuard.Apply(withStorage, [node], PruneLimits.Default);
        Assert.Equal(withStorage, guarded);
    }
}
