namespace Reconciler.Host.Tests;

/// <summary>
/// How long after a full read the next is due (<see cref="ControllerSettings.ResyncAfter"/>):
/// <c>--resync auto</c> stretches <c>--interval</c> to 100 × the last full read's CPU time, at most
/// an hour; a given duration is kept as is.
/// </summary>
public sealed class ResyncPeriodTests : IDisposable
{
    private readonly TempDir _dir = new("resync");

    public void Dispose() => _dir.Dispose();

    private ControllerSettings Settings(string interval = "1m", string resync = "auto") =>
        ControllerSettings.From(new ControllerOptions { Source = _dir.Path, Interval = interval, Resync = resync });

    [Fact]
    public void Auto_keeps_the_interval_while_full_reads_are_short_and_stretches_it_to_100_times_a_long_one()
    {
        var auto = Settings();
        Assert.Null(auto.Resync);
        Assert.Equal(TimeSpan.FromMinutes(1), auto.ResyncAfter(TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromMinutes(1), auto.ResyncAfter(TimeSpan.FromMilliseconds(300)));
        Assert.Equal(TimeSpan.FromMinutes(5), auto.ResyncAfter(TimeSpan.FromSeconds(3)));
        Assert.Equal(TimeSpan.FromHours(1), auto.ResyncAfter(TimeSpan.FromSeconds(100)));
        // An interval longer than the cap is never shortened.
        Assert.Equal(TimeSpan.FromHours(2), Settings(interval: "2h").ResyncAfter(TimeSpan.FromSeconds(100)));
    }

    [Fact]
    public void A_settled_guest_is_read_at_most_a_minute_apart_unless_the_resync_is_stretched_past_the_interval()
    {
        var minute = TimeSpan.FromMinutes(1);
        Assert.Equal(12, GuestWatchService.MaxRounds(minute, minute));
        Assert.Equal(6, GuestWatchService.MaxRounds(TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(30)));
        Assert.Equal(12, GuestWatchService.MaxRounds(TimeSpan.FromMinutes(10), TimeSpan.FromMinutes(10))); // a long interval as given: still a minute
        Assert.Equal(120, GuestWatchService.MaxRounds(TimeSpan.FromMinutes(10), minute)); // stretched at scale: the resync period
        Assert.Equal(9, GuestWatchService.MaxRounds(TimeSpan.FromSeconds(45), TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void A_given_resync_period_is_kept_whatever_a_full_read_takes_and_a_bad_one_is_named()
    {
        var fixedPeriod = Settings(resync: "10m");
        Assert.Equal(TimeSpan.FromMinutes(10), fixedPeriod.ResyncAfter(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMinutes(10), fixedPeriod.ResyncAfter(TimeSpan.Zero));
        var error = Assert.Throws<InvalidSettingsException>(() => Settings(resync: "often"));
        Assert.Contains("Resync: 'often' is not a duration", error.Message, StringComparison.Ordinal);
    }
}
