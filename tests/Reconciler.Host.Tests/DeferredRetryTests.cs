using Microsoft.Extensions.Time.Testing;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Reconcile;

namespace Reconciler.Host.Tests;

/// <summary>
/// A resource that backs off after a failure is left alone (deferred) by the passes that run before
/// its retry is due. When the retry falls due while such a pass runs, the retry is still owed: the
/// store keeps asking for a pass (<see cref="StatusStore.NextWake"/>). The fresh-clone CI once saw
/// the retry dropped there, and the resource sat backing off with no retry until the resync.
/// </summary>
public sealed class DeferredRetryTests : IDisposable
{
    private readonly TempDir _dir = new("deferred");

    public void Dispose() => _dir.Dispose();

    private static PassReport Report(ResourceOutcome outcome) =>
        new(new Plan("dir", "r1", [], [], [], []),
            [new ResourceReport("n1", ResourceKind.Domain, "vm", outcome, outcome == ResourceOutcome.Failed ? "ApplyFailed" : ReconcileReasons.BackingOff,
                "start", null, false, null, [], "key")],
            [], null);

    /// <summary>A store whose resource has just failed once: backing off, its retry due at the returned time.</summary>
    private (StatusStore Store, FakeTimeProvider Clock, DateTimeOffset Retry) FailedOnce()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 1, 4, 12, 0, 0, TimeSpan.Zero));
        var settings = ControllerSettings.From(new ControllerOptions { Source = _dir.Path, BackoffBase = "500ms", BackoffMax = "3s" });
        var store = new StatusStore(settings, clock);
        store.Record(Report(ResourceOutcome.Failed), "r1", TimeSpan.Zero);
        var retry = store.NextWake();
        Assert.NotNull(retry);
        Assert.False(store.MayApply("n1", "vm"));
        return (store, clock, retry.Value);
    }

    [Fact]
    public void A_retry_that_falls_due_during_a_pass_that_deferred_it_is_still_asked_for()
    {
        var (store, clock, retry) = FailedOnce();

        // A pass decides before the retry is due (deferred) and records after it fell due.
        clock.SetUtcNow(retry + TimeSpan.FromMilliseconds(1));
        store.Record(Report(ResourceOutcome.Deferred), "r1", TimeSpan.Zero);

        Assert.Equal(retry, store.NextWake());
        Assert.True(store.MayApply("n1", "vm"));
        var status = Assert.Single(store.Snapshot(null!).Resources);
        Assert.Equal(retry, status.NextRetryAt);
        Assert.Equal(1, status.Failures);
    }

    [Fact]
    public void A_deferred_pass_before_the_retry_is_due_keeps_the_retry_as_it_was()
    {
        var (store, clock, retry) = FailedOnce();

        clock.Advance(TimeSpan.FromMilliseconds(100));
        store.Record(Report(ResourceOutcome.Deferred), "r1", TimeSpan.Zero);

        Assert.Equal(retry, store.NextWake());
        Assert.False(store.MayApply("n1", "vm"));
    }
}
