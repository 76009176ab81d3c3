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
    public void A_given_resync_period_is_kept_whatever_a_full_read_takes_and_a_bad_one_is_named()
    {
        var fixedPeriod = Settings(resync: "10m");
        Assert.Equal(TimeSpan.FromMinutes(10), fixedPeriod.ResyncAfter(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMinutes(10), fixedPeriod.ResyncAfter(TimeSpan.Zero));
        var error = Assert.Throws<InvalidSettingsException>(() => Settings(resync: "often"));
        Assert.Contains("Resync: 'often' is not a duration", error.Message, StringComparison.Ordinal);
    }
}
