using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Host;

/// <summary>
/// libvirt events of the in-process nodes (<c>test:///…</c> URIs other than the sandbox): those
/// are opened afresh for every pass (see <see cref="NodeConnections"/>), so their events are
/// listened to on a connection of their own here. Remote nodes get no second connection: their
/// events are registered on the one connection <see cref="NodeConnectionService"/> keeps, and
/// re-registered on each reconnect. A domain lifecycle event asks for a pass; a lost connection
/// is re-opened with backoff, and a re-opened one asks for a pass too.
/// </summary>
internal sealed partial class LibvirtEventService(
    ReconcileService loop,
    ReconcileTrigger trigger,
    StatusStore status,
    Metrics metrics,
    GuestWake guests,
    ControllerSettings settings,
    ILogger<LibvirtEventService> logger) : BackgroundService
{
    private readonly SemaphoreSlim _nodesChanged = new(0, 1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        loop.NodesChanged += OnNodesChanged;
        var watchers = new Dictionary<string, (NodeTarget Target, CancellationTokenSource Stop, Task Task)>(StringComparer.Ordinal);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wanted = loop.Nodes.Where(n => !n.IsSandbox && NodeConnections.IsInProcess(n)).ToDictionary(n => n.Name + "|" + n.Uri, StringComparer.Ordinal);
                foreach (var (key, w) in watchers.Where(w => !wanted.ContainsKey(w.Key)).ToList())
                {
                    await w.Stop.CancelAsync().ConfigureAwait(false);
                    await w.Task.ConfigureAwait(false);
                    w.Stop.Dispose();
                    watchers.Remove(key);
                }
                foreach (var (key, target) in wanted.Where(w => !watchers.ContainsKey(w.Key)))
                {
                    var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                    watchers[key] = (target, stop, Task.Run(() => WatchAsync(target, stop.Token), CancellationToken.None));
                }
                try
                {
                    await _nodesChanged.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            loop.NodesChanged -= OnNodesChanged;
            foreach (var w in watchers.Values)
            {
                await w.Stop.CancelAsync().ConfigureAwait(false);
                await w.Task.ConfigureAwait(false);
                w.Stop.Dispose();
            }
        }
    }

    private void OnNodesChanged()
    {
        try { _nodesChanged.Release(); } catch (SemaphoreFullException) { }
    }

    /// <summary>One node: connect, listen until the connection dies, reconnect with backoff.</summary>
    private async Task WatchAsync(NodeTarget target, CancellationToken ct)
    {
        var failures = 0;
        var everConnected = false;
        while (!ct.IsCancellationRequested)
        {
            var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            LibvirtConnection? connection = null;
            var subscriptions = new List<IDisposable>();
            try
            {
                connection = target.Connect(enableEvents: true);
                subscriptions.Add(connection.RegisterCloseCallback(reason => closed.TrySetResult($"connection closed ({reason})")));
                try
                {
                    connection.SetKeepAlive((int)settings.KeepAliveInterval.TotalSeconds, (uint)settings.KeepAliveCount);
                }
                catch (LibvirtException)
                {
                    // In-process drivers have no keep-alive; the liveness probe below still runs.
                }
                subscriptions.Add(connection.RegisterDomainLifecycleEvents(e =>
                {
                    metrics.Event();
                    if (trigger.Request(e)) guests.Request();
                }));
                failures = 0;
                status.EventConnection(target.Name, target.Uri, true, null);
                LogConnected(target.Name, target.Uri, everConnected ? "reconnected" : "connected");
                // Whatever happened while we were not listening is picked up by a full pass.
                trigger.Request(everConnected ? $"node {target.Name} reconnected" : $"node {target.Name} events connected");
                everConnected = true;
                while (!ct.IsCancellationRequested)
                {
                    var probe = Task.Delay(settings.KeepAliveInterval, ct);
                    if (await Task.WhenAny(closed.Task, probe).ConfigureAwait(false) == closed.Task) break;
                    if (!connection.IsAlive)
                    {
                        closed.TrySetResult("connection is no longer alive");
                        break;
                    }
                }
                if (closed.Task.IsCompleted)
                {
                    var why = await closed.Task.ConfigureAwait(false);
                    status.EventConnection(target.Name, target.Uri, false, why);
                    metrics.Error("node");
                    LogLost(target.Name, why);
                    trigger.Request($"node {target.Name} lost");
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (LibvirtException e)
            {
                failures++;
                status.EventConnection(target.Name, target.Uri, false, e.Message);
                var delay = Backoff.Delay(failures, settings.BackoffBase, TimeSpan.FromSeconds(Math.Min(30, settings.BackoffMax.TotalSeconds)));
                LogConnectFailed(target.Name, e.Message, delay.TotalSeconds);
                try
                {
                    await Task.Delay(delay, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }
            }
            finally
            {
                foreach (var s in subscriptions) s.Dispose();
                connection?.Dispose();
            }
        }
        status.EventConnection(target.Name, target.Uri, false, null);
    }

    public override void Dispose()
    {
        _nodesChanged.Dispose();
        base.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node={Node} libvirt events {What} ({Uri})")]
    private partial void LogConnected(string node, string uri, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node={Node} libvirt event connection lost: {Why}; reconnecting")]
    private partial void LogLost(string node, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node={Node} cannot open the libvirt event connection: {Error}; retrying in {Seconds:0.#}s")]
    private partial void LogConnectFailed(string node, string error, double seconds);
}
