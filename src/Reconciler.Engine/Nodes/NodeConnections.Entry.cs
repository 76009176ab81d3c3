namespace Reconciler.Engine.Nodes;

/// <summary>One node's entry: its held session, the reconnect with backoff, and its state.</summary>
public sealed partial class NodeConnections
{
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
                    // Before any pass reads through it: reuse counts only events seen since then.
                    if (!session.WatchChanges())
                    {
                        System.Diagnostics.Trace.TraceWarning("lifecycle events of node {0} not watched: every pass reads every definition", Target.Name);
                    }
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
