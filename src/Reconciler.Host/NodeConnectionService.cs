using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.Host;

/// <summary>
/// Owns the controller's long-lived per-node connections (<see cref="NodeConnections"/>): each
/// remote node is reconnected on its own with exponential backoff and jitter (base
/// <c>BackoffBase</c>, at most 30 s or <c>BackoffMax</c> if lower), keep-alive as configured; a
/// node that drops or comes back asks for a pass, so its resources turn Unknown/Stalled at once
/// and converge as soon as it is back. That connection is the node's only one: libvirt's domain
/// lifecycle events are registered on it each time it is opened (first connect and every
/// reconnect), and an event asks for a pass. Closes every connection when the host stops.
/// </summary>
internal sealed partial class NodeConnectionService : IDisposable
{
    private readonly ReconcileTrigger _trigger;
    private readonly StatusStore _status;
    private readonly Metrics _metrics;
    private readonly GuestWake _guests;
    private readonly ILogger<NodeConnectionService> _logger;
    private readonly Dictionary<string, bool> _lastConnected = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string?> _eventErrors = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public NodeConnectionService(ControllerSettings settings, ReconcileTrigger trigger, StatusStore status, Metrics metrics, GuestWake guests,
        ILogger<NodeConnectionService> logger)
    {
        _guests = guests;
        _trigger = trigger;
        _status = status;
        _metrics = metrics;
        _logger = logger;
        var max = TimeSpan.FromSeconds(Math.Min(30, settings.BackoffMax.TotalSeconds));
        Pool = new NodeConnections(
            failures => Backoff.Delay(failures, settings.BackoffBase, max),
            firstConnectWait: TimeSpan.FromSeconds(15),
            keepAliveInterval: (int)Math.Max(1, settings.KeepAliveInterval.TotalSeconds),
            keepAliveCount: settings.KeepAliveCount,
            attach: AttachEvents);
        Pool.NodeChanged += OnNodeChanged;
    }

    /// <summary>The pool the reconcile passes use.</summary>
    public NodeConnections Pool { get; }

    public void Dispose()
    {
        Pool.NodeChanged -= OnNodeChanged;
        Pool.Dispose();
    }

    /// <summary>Registers the domain lifecycle events on a freshly opened node connection (the pool's hook).</summary>
    private IDisposable? AttachEvents(NodeTarget target, LibvirtConnection connection)
    {
        try
        {
            var subscription = connection.RegisterDomainLifecycleEvents(e =>
            {
                _metrics.Event();
                // A domain we watch: its guest is read in a round now (the pool's own count of the
                // event, registered before this hook, is taken first, so the round sees it).
                if (_trigger.Request(e)) _guests.Request();
            });
            _eventErrors[target.Name] = null;
            return subscription;
        }
        catch (LibvirtException e)
        {
            _eventErrors[target.Name] = e.Message;
            LogEventsFailed(target.Name, e.Message);
            return null;
        }
    }

    private void OnNodeChanged(string node)
    {
        var state = Pool.States.FirstOrDefault(s => s.Node == node);
        var connected = state?.Connected ?? false;
        var eventError = _eventErrors.GetValueOrDefault(node);
        lock (_gate)
        {
            var known = _lastConnected.TryGetValue(node, out var before);
            _lastConnected[node] = connected;
            if (connected) LogConnected(node, known && !before ? "reconnected" : "connected");
            else LogDropped(node, state?.LastError ?? "connection lost");
        }
        if (state is not null)
        {
            _status.EventConnection(node, state.Uri, connected && eventError is null, connected ? eventError : state.LastError ?? "connection lost");
        }
        if (!connected) _metrics.Error("node");
        // Whatever happened while the node was not listened to is picked up by a full pass.
        _trigger.Request(connected ? $"node {node} connected" : $"node {node} dropped");
        // A new connection is a new session: its guests are read again in this round.
        if (connected) _guests.Request();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node={Node} libvirt connection {What} (events on it)")]
    private partial void LogConnected(string node, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node={Node} libvirt connection dropped: {Why}; reconnecting with backoff")]
    private partial void LogDropped(string node, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node={Node} libvirt events not registered on the node connection: {Error}; drift is found by the periodic resync only")]
    private partial void LogEventsFailed(string node, string error);
}
