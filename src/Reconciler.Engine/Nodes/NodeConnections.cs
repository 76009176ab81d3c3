using Reconciler.Libvirt;

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
public sealed class NodeConnections : IDisposable
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

    /// <summary>One node: its held session, or why there is none and when it is tried next.</summary>
    private sealed class Entry(NodeTarget target, CancellationToken disposed)
    {
        private readonly Lock _lock = new();
        private readonly List<(NodeSession Session, IDisposable? Subscription)> _retired = [];
        private IDisposable? _closeSubscription;
        private Task? _reconnecting;

        public NodeTarget Target { get; } = target;

        private NodeSession? Session { get; set; }

        /// <summary>Set by the close callback: the session must not be handed out any more.</summary>
        private bool Dropped { get; set; }

        public int Failures { get; private set; }

        private string? LastError { get; set; }

        private DateTimeOffset? NextAttemptAt { get; set; }

        private bool Closed { get; set; }

        /// <summary>The held session when it is up, else null.</summary>
        public NodeSession? Live()
        {
            lock (_lock)
            {
                return Session is not null && !Dropped ? Session : null;
            }
        }

        /// <summary>Closes sessions that were dropped or replaced. Only between passes.</summary>
        public void DisposeRetired()
        {
            List<(NodeSession Session, IDisposable? Subscription)> old;
            lock (_lock)
            {
                if (Dropped && Session is not null) Retire();
                old = [.. _retired];
                _retired.Clear();
            }
            foreach (var (session, subscription) in old)
            {
                subscription?.Dispose();
                session.Dispose();
            }
        }

        public NodeConnectionState State()
        {
            lock (_lock)
            {
                return new(Target.Name, Target.Uri, Session is not null && !Dropped, Failures, LastError, NextAttemptAt);
            }
        }

        public string Describe()
        {
            lock (_lock)
            {
                var error = LastError ?? "connecting";
                if (NextAttemptAt is { } next)
                {
                    var wait = Math.Max(0, (next - DateTimeOffset.UtcNow).TotalSeconds);
                    return $"{error} (reconnecting with backoff: attempt {Failures + 1} in {wait:0.#}s)";
                }
                return Failures == 0 && LastError is null ? "connecting: no answer yet" : $"{error} (reconnecting)";
            }
        }

        /// <summary>Starts the reconnect loop unless it runs; returns it.</summary>
        public Task EnsureReconnecting(NodeConnections pool)
        {
            lock (_lock)
            {
                if (_reconnecting is { IsCompleted: false } running) return running;
                if ((Session is not null && !Dropped) || Closed) return Task.CompletedTask;
                _reconnecting = Task.Run(() => ReconnectLoopAsync(pool), CancellationToken.None);
                return _reconnecting;
            }
        }

        /// <summary>
        /// The held connection died: stop handing it out and reconnect. It is closed later, between
        /// passes (never under a pass, never inside libvirt's close callback, which may call this).
        /// </summary>
        public void Drop(NodeConnections pool, string why)
        {
            lock (_lock)
            {
                if (Session is null || Dropped || Closed) return;
                Dropped = true;
                LastError = why;
            }
            pool.Raise(Target.Name);
            EnsureReconnecting(pool);
        }

        public void Close()
        {
            lock (_lock)
            {
                Closed = true;
                DisposeSession();
            }
        }

        private async Task ReconnectLoopAsync(NodeConnections pool)
        {
            while (!disposed.IsCancellationRequested)
            {
                NodeSession? session = null;
                string? error = null;
                try
                {
                    session = await NodeOpener.OpenAsync(Target, disposed).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
#pragma warning disable CA1031 // whatever failed the attempt is its error; the loop must go on
                catch (Exception e)
#pragma warning restore CA1031
                {
                    error = e is LibvirtException ? e.Message : $"{e.GetType().Name}: {e.Message}";
                }
                if (session is not null)
                {
                    IDisposable? subscription = null;
                    try
                    {
                        subscription = session.Connection.RegisterCloseCallback(reason => Drop(pool, $"connection closed by libvirt ({reason})"));
                    }
                    catch (LibvirtException e)
                    {
                        // Without a close callback a drop is still seen by IsAlive after a pass.
                        System.Diagnostics.Trace.TraceWarning("close callback for node {0} not registered: {1}", Target.Name, e.Message);
                    }
                    if (pool._attach is { } attach)
                    {
                        try
                        {
                            subscription = Both(subscription, attach(Target, session.Connection));
                        }
                        catch (LibvirtException e)
                        {
                            System.Diagnostics.Trace.TraceWarning("callbacks for node {0} not registered: {1}", Target.Name, e.Message);
                        }
                    }
                    lock (_lock)
                    {
                        if (Closed)
                        {
                            subscription?.Dispose();
                            session.Dispose();
                            return;
                        }
                        if (Session is not null) Retire();
                        Session = session;
                        _closeSubscription = subscription;
                        Dropped = false;
                        Failures = 0;
                        LastError = null;
                        NextAttemptAt = null;
                    }
                    pool.Raise(Target.Name);
                    return;
                }
                TimeSpan delay;
                lock (_lock)
                {
                    Failures++;
                    LastError = error;
                    delay = pool._backoff(Failures);
                    NextAttemptAt = DateTimeOffset.UtcNow + delay;
                }
                try
                {
                    await Task.Delay(delay, disposed).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }

        private static IDisposable? Both(IDisposable? first, IDisposable? second) =>
            first is null ? second : second is null ? first : new Pair(first, second);

        private void Retire()
        {
            _retired.Add((Session!, _closeSubscription));
            _closeSubscription = null;
            Session = null;
        }

        private void DisposeSession()
        {
            if (Session is not null) Retire();
            foreach (var (session, subscription) in _retired)
            {
                subscription?.Dispose();
                session.Dispose();
            }
            _retired.Clear();
        }

        /// <summary>Two subscriptions disposed together, the later one first.</summary>
        private sealed class Pair(IDisposable first, IDisposable second) : IDisposable
        {
            public void Dispose()
            {
                second.Dispose();
                first.Dispose();
            }
        }
    }
}
