namespace Reconciler.Engine.Nodes;

/// <summary>How one node's long-lived connection stands.</summary>
/// <param name="Node">Node name.</param>
/// <param name="Uri">Its URI.</param>
/// <param name="Connected">True while an open, live connection is held.</param>
/// <param name="Failures">Failed attempts since it was last connected.</param>
/// <param name="LastError">The libvirt error of the last failure (open or drop), or null.</param>
/// <param name="NextAttemptAt">When the next reconnect attempt is due, while backing off.</param>
public sealed record NodeConnectionState(string Node, string Uri, bool Connected, int Failures, string? LastError, DateTimeOffset? NextAttemptAt);

/// <summary>
/// One long-lived connection per remote node for the controller, kept across passes. A drop is
/// noticed by libvirt's close callback (daemon gone, I/O error, keep-alive timeout: keep-alive is
/// always on for these connections), by <c>virConnectIsAlive</c> after a pass, or by a pass's
/// connection error; the node is then reconnected in the background with exponential backoff and
/// jitter (the delay function is the caller's), independently of every other node. While a node
/// is down a pass does not wait for it: it gets the node's last libvirt error at once, so its
/// resources are reported unreachable and the other nodes are planned and applied as usual.
/// <see cref="NodeChanged"/> is raised when a node drops or comes back, so the caller can run a
/// pass. In-process drivers (<c>test:///…</c>, the sandbox) cannot drop and keep their
/// per-pass semantics: they are opened for each pass and closed after it.
/// The held connection is the node's only connection: whoever wants libvirt events from the node
/// registers them through the <c>attach</c> hook, which runs on every connection the pool opens
/// (the first one and each reconnect) before any pass gets it; what the hook returns is disposed
/// with that connection.
/// Thread-safety: <see cref="AcquireAsync"/>/<see cref="Release"/> are called by one pass at a time;
/// the reconnect loops and the close callbacks run concurrently with them.
/// </summary>
public sealed partial class NodeConnections : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Func<int, TimeSpan> _backoff;
    private readonly TimeSpan _firstConnectWait;
    private readonly int _keepAliveInterval;
    private readonly int _keepAliveCount;
    private readonly Func<NodeTarget, LibvirtConnection, IDisposable?>? _attach;
    private readonly CancellationTokenSource _disposed = new();

    /// <summary>Creates the pool.</summary>
    /// <param name="backoff">The delay before reconnect attempt n+1 after n failures (n ≥ 1); should grow and carry jitter.</param>
    /// <param name="firstConnectWait">How long a pass waits for a connection attempt in flight to a node that has not failed yet.</param>
    /// <param name="keepAliveInterval">Keep-alive interval (seconds) for nodes whose spec sets none.</param>
    /// <param name="keepAliveCount">Keep-alive count for nodes whose spec sets no interval.</param>
    /// <param name="attach">
    /// Called (on a background thread) for each connection the pool opens, before a pass can use
    /// it: registers callbacks such as libvirt's domain events on it. Its result is disposed when
    /// that connection is dropped, replaced or closed. A <see cref="LibvirtException"/> it throws
    /// is traced and the connection is used all the same (the hook reports its own failures).
    /// </param>
    public NodeConnections(Func<int, TimeSpan> backoff, TimeSpan firstConnectWait, int keepAliveInterval = 5, int keepAliveCount = 3,
        Func<NodeTarget, LibvirtConnection, IDisposable?>? attach = null)
    {
        _attach = attach;
        ArgumentNullException.ThrowIfNull(backoff);
        _backoff = backoff;
        _firstConnectWait = firstConnectWait;
        _keepAliveInterval = Math.Max(1, keepAliveInterval);
        _keepAliveCount = Math.Max(1, keepAliveCount);
    }

    /// <summary>Raised (on a background thread) with the node's name when it drops or is connected again.</summary>
    public event Action<string>? NodeChanged;

    /// <summary>The state of every pooled node.</summary>
    public IReadOnlyList<NodeConnectionState> States
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.OrderBy(e => e.Target.Name, StringComparer.Ordinal).Select(e => e.State()).ToList();
            }
        }
    }

    /// <summary>True when libvirt runs the driver of <paramref name="target"/> inside this process (nothing to drop or reconnect).</summary>
    public static bool IsInProcess(NodeTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.IsSandbox) return true;
        var colon = target.Uri.IndexOf(':', StringComparison.Ordinal);
        var scheme = colon < 0 ? target.Uri : target.Uri[..colon];
        return scheme.Equals("test", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Sessions for a pass: the held connection of each remote node that is up (waiting up to the
    /// first-connect wait for an attempt in flight to a node that has not failed yet), a fresh
    /// session for each in-process node; an error (the last libvirt error) for every other node.
    /// Hand the sessions back with <see cref="Release"/>.
    /// </summary>
    internal async Task<(Dictionary<string, NodeSession> Sessions, Dictionary<string, string> Errors)> AcquireAsync(
        IReadOnlyList<NodeTarget> targets, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_disposed.IsCancellationRequested, this);
        Forget(targets);
        var inProcess = targets.Where(IsInProcess).ToList();
        var (sessions, errors) = await Workspace.OpenAsync(inProcess, ct).ConfigureAwait(false);
        var waits = new List<(NodeTarget Target, Task Attempt)>();
        foreach (var target in targets.Where(t => !IsInProcess(t)))
        {
            var entry = EntryFor(target);
            // Sessions replaced or dropped since the last pass are closed here, never under a pass.
            entry.DisposeRetired();
            if (entry.Live() is { } live)
            {
                sessions[target.Name] = live;
                continue;
            }
            var attempt = entry.EnsureReconnecting(this);
            if (entry.Failures == 0) waits.Add((target, attempt));
        }
        foreach (var (target, attempt) in waits)
        {
            await Task.WhenAny(attempt, Task.Delay(_firstConnectWait, ct)).ConfigureAwait(false);
            ct.ThrowIfCancellationRequested();
        }
        foreach (var target in targets.Where(t => !IsInProcess(t)))
        {
            if (sessions.ContainsKey(target.Name)) continue;
            var entry = EntryFor(target);
            if (entry.Live() is { } live) sessions[target.Name] = live;
            else errors[target.Name] = entry.Describe();
        }
        return (sessions, errors);
    }

    /// <summary>
    /// The held connection of each remote node in <paramref name="targets"/> that is up right now,
    /// without waiting and without starting a connection (the passes do that): for readers beside
    /// the passes (the guest watch), so that a node gets no second connection. An error for a
    /// remote node that is not up; in-process nodes are left out (the caller opens its own).
    /// The sessions stay the pool's: never dispose them.
    /// </summary>
    internal (Dictionary<string, NodeSession> Sessions, Dictionary<string, string> Errors) Held(IReadOnlyList<NodeTarget> targets)
    {
        var sessions = new Dictionary<string, NodeSession>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var target in targets.Where(t => !IsInProcess(t)))
            {
                if (_entries.TryGetValue(Key(target), out var entry) && entry.Live() is { } live) sessions[target.Name] = live;
                else errors[target.Name] = entry?.Describe() ?? "not connected yet";
            }
        }
        return (sessions, errors);
    }

    /// <summary>
    /// Takes back the sessions of a pass: in-process ones are closed; a held connection found
    /// dead (<c>virConnectIsAlive</c>) is dropped and reconnected in the background.
    /// </summary>
    internal void Release(IReadOnlyDictionary<string, NodeSession> sessions)
    {
        foreach (var session in sessions.Values)
        {
            if (IsInProcess(session.Target))
            {
                session.Dispose();
                continue;
            }
            bool alive;
            try
            {
                alive = session.Connection.IsAlive;
            }
            catch (LibvirtException)
            {
                alive = false;
            }
            if (!alive) EntryFor(session.Target).Drop(this, "the connection is no longer alive");
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (_disposed.IsCancellationRequested) return;
        _disposed.Cancel();
        lock (_gate)
        {
            foreach (var entry in _entries.Values) entry.Close();
            _entries.Clear();
        }
        _disposed.Dispose();
    }

    private static string Key(NodeTarget t) => t.Name + "\n" + t.Uri;

    private Entry EntryFor(NodeTarget target)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(Key(target), out var entry))
            {
                var pooled = target.KeepAliveInterval is null
                    ? target with { KeepAliveInterval = _keepAliveInterval, KeepAliveCount = _keepAliveCount }
                    : target;
                entry = new Entry(pooled, _disposed.Token);
                _entries[Key(target)] = entry;
            }
            return entry;
        }
    }

    /// <summary>Closes the connections of nodes no longer in the specs.</summary>
    private void Forget(IReadOnlyList<NodeTarget> targets)
    {
        var wanted = targets.Select(Key).ToHashSet(StringComparer.Ordinal);
        lock (_gate)
        {
            foreach (var key in _entries.Keys.Where(k => !wanted.Contains(k)).ToList())
            {
                _entries[key].Close();
                _entries.Remove(key);
            }
        }
    }

    private void Raise(string node)
    {
        try
        {
            NodeChanged?.Invoke(node);
        }
#pragma warning disable CA1031 // a subscriber's bug must not kill a reconnect loop or the event loop thread
        catch (Exception e)
        {
            System.Diagnostics.Trace.TraceError("NodeChanged subscriber failed: {0}", e);
        }
#pragma warning restore CA1031
    }
}
