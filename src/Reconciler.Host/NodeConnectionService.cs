using Microsoft.Extensions.Logging;
using Reconciler.Engine.Nodes;

namespace Reconciler.Host;

/// <summary>
/// Owns the controller's long-lived per-node connections (<see cref="NodeConnections"/>): each
/// remote node is reconnected on its own with exponential backoff and jitter (base
/// <c>BackoffBase</c>, at most 30 s or <c>BackoffMax</c> if lower), keep-alive as configured; a
/// node that drops or comes back asks for a pass, so its resources turn Unknown/Stalled at once
/// and converge as soon as it is back. Closes every connection when the host stops.
/// </summary>
internal sealed partial class NodeConnectionService : IDisposable
{
    private readonly ReconcileTrigger _trigger;
    private readonly ILogger<NodeConnectionService> _logger;
    private readonly Dictionary<string, bool> _lastConnected = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public NodeConnectionService(ControllerSettings settings, ReconcileTrigger trigger, ILogger<NodeConnectionService> logger)
    {
        _trigger = trigger;
        _logger = logger;
        var max = TimeSpan.FromSeconds(Math.Min(30, settings.BackoffMax.TotalSeconds));
        Pool = new NodeConnections(
            failures => Backoff.Delay(failures, settings.BackoffBase, max),
            firstConnectWait: TimeSpan.FromSeconds(15),
            keepAliveInterval: (int)Math.Max(1, settings.KeepAliveInterval.TotalSeconds),
            keepAliveCount: settings.KeepAliveCount);
        Pool.NodeChanged += OnNodeChanged;
    }

    /// <summary>The pool the reconcile passes use.</summary>
    public NodeConnections Pool { get; }

    public void Dispose()
    {
        Pool.NodeChanged -= OnNodeChanged;
        Pool.Dispose();
    }

    private void OnNodeChanged(string node)
    {
        var state = Pool.States.FirstOrDefault(s => s.Node == node);
        var connected = state?.Connected ?? false;
        lock (_gate)
        {
            var known = _lastConnected.TryGetValue(node, out var before);
            _lastConnected[node] = connected;
            if (connected) LogConnected(node, known && !before ? "reconnected" : "connected");
            else LogDropped(node, state?.LastError ?? "connection lost");
        }
        _trigger.Request(connected ? $"node {node} connected" : $"node {node} dropped");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "node={Node} libvirt connection {What}")]
    private partial void LogConnected(string node, string what);

    [LoggerMessage(Level = LogLevel.Warning, Message = "node={Node} libvirt connection dropped: {Why}; reconnecting with backoff")]
    private partial void LogDropped(string node, string why);
}
