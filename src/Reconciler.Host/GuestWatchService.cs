using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Engine.Guests;
using Reconciler.Libvirt;

namespace Reconciler.Host;

/// <summary>
/// The controller's guest reads, apart from its passes: a round every <see cref="Interval"/> reads
/// the declared domains' guests (addresses, readiness), in parallel and bounded
/// (<see cref="GuestReadOptions"/>), so a silent guest agent never stalls a pass. Remote
/// nodes are read over the controller's held connections (a node down is skipped, not waited for). Domains
/// with a console readiness check have their console watched for as long as they run.
/// A running guest that is ready and reads the same twice in a row is read less often
/// (<see cref="GuestBackoff"/>: every 2, 4, 8… rounds, at most <see cref="MaxWait"/> or the resync
/// period if shorter, or the resync period while it is stretched at scale: <see cref="MaxRounds"/>); a lifecycle event, a reconnect or a new revision wakes a round at once
/// (<see cref="GuestWake"/>), and in it the guests concerned are read again.
/// </summary>
internal sealed partial class GuestWatchService(DesiredState desired, ReconcileService reconcile, NodeConnectionService connections, GuestStore store,
    GuestWake wake, ControllerSettings settings, ILogger<GuestWatchService> logger)
    : BackgroundService
{
    /// <summary>How often a round runs (and so how often a guest not yet settled is read).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>The longest a settled guest goes unread (unless the resync interval is shorter).</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Rounds between two reads of a settled guest at most: <see cref="MaxWait"/> or the resync
    /// period, whichever is shorter; while the resync is stretched past <paramref name="interval"/>
    /// (auto, at scale: docs/controller.md, "The resync period"), the resync period. What a settled
    /// guest's read finds without a lifecycle event (an address renewed with another lease) is then
    /// found within the resync period, as a definition changed without an event is.
    /// </summary>
    public static int MaxRounds(TimeSpan resync, TimeSpan interval)
    {
        var wait = resync > interval && resync > MaxWait ? resync : resync < MaxWait ? resync : MaxWait;
        return (int)Math.Max(1, Math.Floor(wait / Interval));
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Remote nodes are read over the controller's own connections: no second one per node.
        await using var watch = new GuestWatch(connections.Pool, new GuestBackoff(MaxRounds(settings.Interval, settings.Interval)));
        var sinceTick = System.Diagnostics.Stopwatch.StartNew();
        var tick = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (desired.Good?.Load.Specs is { } specs)
                {
                    try
                    {
                        watch.MaxRounds = MaxRounds(reconcile.ResyncPeriod, settings.Interval);
                        // A woken round between two scheduled ones reads only what an event made due (no backoff advances).
                        store.Record(await watch.ReadAsync(specs, reconcile.Nodes, GuestReadOptions.Default, stoppingToken, tick).ConfigureAwait(false));
                    }
                    catch (LibvirtException e)
                    {
                        LogRoundFailed(logger, e.Message);
                    }
                }
                // The pause counts from the end of a scheduled round (a long round is never followed by another at once).
                if (tick) sinceTick.Restart();
                var left = Interval - sinceTick.Elapsed;
                var woken = left > TimeSpan.Zero && await wake.WaitAsync(left, stoppingToken).ConfigureAwait(false);
                tick = !woken || sinceTick.Elapsed >= Interval;
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "guest read round failed: {Error}")]
    private static partial void LogRoundFailed(ILogger logger, string error);
}

/// <summary>
/// Asks the guest watch for a round now (a lifecycle event, a node (re)connected, a new revision):
/// requests coalesce, and a round follows a request after <see cref="Settle"/>, so a burst of
/// events costs one round.
/// </summary>
internal sealed class GuestWake : IDisposable
{
    private readonly SemaphoreSlim _poke = new(0, 1);

    /// <summary>How long a round waits after the first request, for the rest of a burst.</summary>
    public static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    /// <summary>Asks for a round.</summary>
    public void Request()
    {
        try { _poke.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
    }

    /// <summary>Waits for a request (then <see cref="Settle"/>) or <paramref name="timeout"/>; true when a request came.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct)
    {
        if (!await _poke.WaitAsync(timeout, ct).ConfigureAwait(false)) return false;
        await Task.Delay(Settle, ct).ConfigureAwait(false);
        return true;
    }

    public void Dispose() => _poke.Dispose();
}

/// <summary>The last guest read of each domain, and since when its readiness has had its value.</summary>
internal sealed class GuestStore
{
    private readonly Lock _gate = new();
    private Dictionary<(string? Node, string Name), GuestStatusInfo> _guests = [];
    private Dictionary<(string? Node, string Name), GuestStatus> _sources = [];

    /// <summary>Replaces what is known with a round's reads (a domain no longer declared is forgotten).</summary>
    public void Record(IEnumerable<GuestStatus> statuses)
    {
        var list = statuses as IReadOnlyList<GuestStatus> ?? [.. statuses];
        lock (_gate)
        {
            // A round that read nothing anew (every status the instance recorded before): nothing to rebuild.
            if (list.Count == _sources.Count && list.All(s => _sources.TryGetValue((s.Node, s.Name), out var same) && ReferenceEquals(same, s))) return;
            var next = new Dictionary<(string? Node, string Name), GuestStatusInfo>();
            var sources = new Dictionary<(string? Node, string Name), GuestStatus>();
            foreach (var s in list)
            {
                var key = (s.Node, s.Name);
                sources[key] = s;
                // A guest not read again this round (the watch's backoff) keeps what was made of it.
                if (_sources.TryGetValue(key, out var same) && ReferenceEquals(same, s) && _guests.TryGetValue(key, out var kept))
                {
                    next[key] = kept;
                    continue;
                }
                var since = _guests.TryGetValue(key, out var before) && before.Ready == s.Ready ? before.Since : s.CheckedAt;
                next[key] = new GuestStatusInfo(s.State, s.Readiness.ToString(), s.Ready, s.Reason, s.Primary?.Address,
                    [.. s.Addresses.Select(a => new GuestAddressStatus(a.Address, a.Prefix, a.Source, a.Mac, a.Interface))],
                    [.. s.Skipped.Select(k => $"{k.Source}: {k.Error}")], s.CheckedAt, since);
            }
            _guests = next;
            _sources = sources;
        }
    }

    /// <summary><paramref name="doc"/> with each read domain's guest fields and its <c>GuestReady</c> condition (apart from <c>Ready</c>, which means in sync).</summary>
    public StatusDocument Merge(StatusDocument doc)
    {
        lock (_gate)
        {
            if (_guests.Count == 0) return doc;
            return doc with
            {
                Resources = [.. doc.Resources.Select(r =>
                    r.Kind == nameof(Reconciler.Core.Model.ResourceKind.Domain) && _guests.TryGetValue((r.Node, r.Name), out var g)
                        ? r with { Conditions = [.. r.Conditions, Condition(g)], Guest = g }
                        : r)],
            };
        }
    }

    private static Condition Condition(GuestStatusInfo g) => g.Ready switch
    {
        true => new("GuestReady", "True", "GuestReady", g.Reason),
        false => new("GuestReady", "False", "GuestNotReady", g.Reason),
        null => new("GuestReady", "Unknown", "GuestUnknown", g.Reason),
    };
}
