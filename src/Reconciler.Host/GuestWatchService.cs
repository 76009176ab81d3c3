using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Engine.Guests;
using Reconciler.Libvirt;

namespace Reconciler.Host;

/// <summary>
/// The controller's guest reads, apart from its passes: every <see cref="Interval"/> the declared
/// domains' guests are read (addresses, readiness), in parallel and
/// bounded (<see cref="GuestReadOptions"/>), so a silent guest agent never stalls a pass. Remote
/// nodes are read over the controller's held connections (a node down is skipped, not waited for). Domains
/// with a console readiness check have their console watched for as long as they run.
/// </summary>
internal sealed partial class GuestWatchService(DesiredState desired, ReconcileService reconcile, NodeConnectionService connections, GuestStore store,
    ILogger<GuestWatchService> logger)
    : BackgroundService
{
    /// <summary>How often the guests are read.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Remote nodes are read over the controller's own connections: no second one per node.
        await using var watch = new GuestWatch(connections.Pool);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                if (desired.Good?.Load.Specs is { } specs)
                {
                    try
                    {
                        store.Record(await watch.ReadAsync(specs, reconcile.Nodes, GuestReadOptions.Default, stoppingToken).ConfigureAwait(false));
                    }
                    catch (LibvirtException e)
                    {
                        LogRoundFailed(logger, e.Message);
                    }
                }
                await Task.Delay(Interval, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "guest read round failed: {Error}")]
    private static partial void LogRoundFailed(ILogger logger, string error);
}

/// <summary>The last guest read of each domain, and since when its readiness has had its value.</summary>
internal sealed class GuestStore
{
    private readonly Lock _gate = new();
    private Dictionary<(string? Node, string Name), GuestStatusInfo> _guests = [];

    /// <summary>Replaces what is known with a round's reads (a domain no longer declared is forgotten).</summary>
    public void Record(IEnumerable<GuestStatus> statuses)
    {
        lock (_gate)
        {
            var next = new Dictionary<(string? Node, string Name), GuestStatusInfo>();
            foreach (var s in statuses)
            {
                var since = _guests.TryGetValue((s.Node, s.Name), out var before) && before.Ready == s.Ready ? before.Since : s.CheckedAt;
                next[(s.Node, s.Name)] = new GuestStatusInfo(s.State, s.Readiness.ToString(), s.Ready, s.Reason, s.Primary?.Address,
                    [.. s.Addresses.Select(a => new GuestAddressStatus(a.Address, a.Prefix, a.Source, a.Mac, a.Interface))],
                    [.. s.Skipped.Select(k => $"{k.Source}: {k.Error}")], s.CheckedAt, since);
            }
            _guests = next;
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
