using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Sources;
using Reconciler.Specs;

namespace Reconciler.Host.Tests;

/// <summary>When the removals of the revision in force may go ahead: the settle rule alone, with given fetch times (no I/O, no clock).</summary>
public sealed class SettleRuleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);

    private static SourceSnapshot Good(string revision, double at) =>
        new("/specs", revision, new LoadResult(new SpecSet("/specs", revision, [], []), []), T0.AddSeconds(at));

    private static SourceSnapshot Rejected(string revision, double at) =>
        new("/specs", revision, new LoadResult(null, [Diagnostic.Error("yaml", "broken")]), T0.AddSeconds(at));

    [Fact]
    public void A_revision_is_settled_only_by_a_read_made_the_settle_time_after_it_was_first_seen()
    {
        var desired = new DesiredState();
        desired.Offer(Good("r18", 0));
        var pending = desired.Settle(desired.Good!, Settle);
        Assert.Equal(T0.AddSeconds(5), pending!.DueAt);
        desired.Offer(Good("r18", 4.9));
        Assert.Equal(T0.AddSeconds(5), desired.Settle(desired.Good!, Settle)!.DueAt);
        desired.Offer(Good("r18", 5));
        Assert.Null(desired.Settle(desired.Good!, Settle));
    }

    [Fact]
    public void Content_that_changes_back_starts_the_settle_time_again()
    {
        var desired = new DesiredState();
        desired.Offer(Good("r20", 0));
        desired.Offer(Good("r18", 10));
        desired.Offer(Good("r20", 11.5));
        // r20 was seen long ago, but the directory changed since: it is settled 5 s after its return.
        Assert.Equal(T0.AddSeconds(16.5), desired.Settle(desired.Good!, Settle)!.DueAt);
        desired.Offer(Good("r20", 16.5));
        Assert.Null(desired.Settle(desired.Good!, Settle));
    }

    [Fact]
    public void A_rejected_newer_revision_keeps_removals_waiting_with_no_due_time()
    {
        var desired = new DesiredState();
        desired.Offer(Good("r20", 0));
        desired.Offer(Rejected("half", 20));
        var pending = desired.Settle(desired.Good!, Settle);
        Assert.Null(pending!.DueAt);
        Assert.Contains("rejected", pending.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void A_zero_settle_time_never_waits()
    {
        var desired = new DesiredState();
        desired.Offer(Good("sha1", 0));
        Assert.Null(desired.Settle(desired.Good!, TimeSpan.Zero));
    }
}
