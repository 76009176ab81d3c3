using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Sources;

namespace Reconciler.Host;

/// <summary>
/// Watches the source: fetches at start, on change notifications (debounced file events) and
/// every interval, and when <see cref="SourceTrigger"/> asks (pending removals are due); retries
/// failed fetches with backoff. A fetch asks for a pass when it gives a new revision (or a new
/// rejection) or when something asked for it; the periodic fetch of an unchanged source does not
/// (the reconcile loop's own timer runs the resync).
/// </summary>
internal sealed partial class SourceService(
    ISpecSource source,
    DesiredState desired,
    ReconcileTrigger trigger,
    SourceTrigger fetches,
    Metrics metrics,
    ControllerSettings settings,
    TimeProvider clock,
    ILogger<SourceService> logger,
    Dashboard.DashboardSignal dashboards,
    GuestWake guests) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var watch = source.Watch(fetches.Request);
        var failures = 0;
        // The first fetch, and every fetch something asked for (a file event, pending removals due).
        var asked = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = settings.Interval;
            try
            {
                var snapshot = await source.FetchAsync(stoppingToken).ConfigureAwait(false);
                failures = 0;
                var changed = desired.Offer(snapshot);
                if (changed)
                {
                    dashboards.Changed();
                    // A readiness check changed in the specs is read at once, not after the guest's backoff.
                    guests.Request();
                }
                if (snapshot.IsValid)
                {
                    metrics.Fetch("success");
                    if (changed) LogRevision(snapshot.Revision, source.Description);
                }
                else
                {
                    metrics.Fetch("invalid");
                    if (changed)
                    {
                        metrics.Error("invalid_spec");
                        var errors = snapshot.Load.Diagnostics.Where(d => d.Severity == Core.Diagnostics.Severity.Error).ToList();
                        LogRejected(snapshot.Revision, errors.Count, DesiredState.Short(desired.Good?.Revision),
                            string.Join(" | ", errors.Take(5).Select(d => d.ToString().Replace('\n', ' '))));
                    }
                }
                // A new revision, or a fetch something asked for, asks for a pass. An unchanged fetch
                // of the interval does not: the loop's own timer runs the resync (a full read) every
                // interval, and at 10,000 domains a second pass per interval was most of the idle CPU.
                if (changed) trigger.RequestRevision($"revision {DesiredState.Short(snapshot.Revision)}");
                else if (asked) trigger.Request("source read again");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (SourceUnavailableException e)
            {
                failures++;
                metrics.Fetch("error");
                metrics.Error("source");
                desired.Failed(e.Message, clock.GetUtcNow());
                dashboards.Changed();
                var delay = Backoff.Delay(failures, settings.BackoffBase, settings.BackoffMax);
                if (delay < wait) wait = delay;
                LogFetchFailed(source.Description, e.Message, wait.TotalSeconds);
            }
#pragma warning disable CA1031 // the watcher must outlive any bug in one fetch
            catch (Exception e)
#pragma warning restore CA1031
            {
                failures++;
                metrics.Error("internal");
                desired.Failed($"internal error: {e.GetType().Name}: {e.Message}", clock.GetUtcNow());
                LogFetchBug(e);
                wait = Backoff.Delay(failures, settings.BackoffBase, settings.BackoffMax);
            }
            try
            {
                asked = await fetches.WaitAsync(wait, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "revision={Revision} source {Source}: new revision in force")]
    private partial void LogRevision(string revision, string source);

    [LoggerMessage(Level = LogLevel.Error, Message = "revision={Revision} rejected: {Count} error(s) in the specs; revision {Good} stays in force: {Errors}")]
    private partial void LogRejected(string revision, int count, string good, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "source {Source} could not be fetched: {Error}; retrying in {Seconds:0.#}s")]
    private partial void LogFetchFailed(string source, string error, double seconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "source fetch failed unexpectedly")]
    private partial void LogFetchBug(Exception e);
}
