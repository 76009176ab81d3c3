namespace Reconciler.Engine.Nodes;

/// <summary>
/// Nodes opened — and for a plan also read — while the specs are still loading: the loader names
/// the nodes it has found before it parses the other files (<see cref="Workspace.Load"/>), and
/// this starts on them at once. Purely an earlier start: <see cref="Workspace.OpenAsync"/> and
/// <see cref="Workspace.ReadAsync"/> take a prefetched session (and read) only for a target
/// exactly equal to one the final resolution gives, and open and read every other target as
/// usual, so the nodes a command talks to and what it concludes are the same with or without it.
/// Reading early is only for commands that change nothing (a plan is a view of the nodes at one
/// moment; a little earlier is as good); apply reads under its node locks, so it prefetches
/// connections only (opening one reads nothing that the plan depends on).
/// Disposing closes every session no caller took, including ones still opening.
/// </summary>
/// <param name="read">Also read each node once it is open.</param>
public sealed class NodePrefetch(bool read) : IDisposable
{
    /// <summary>
    /// What was prefetched for one target: a session or the error that prevented it; or, for a
    /// reading prefetch, the read of a session already closed (session and error null).
    /// </summary>
    internal sealed record Prefetched(NodeSession? Session, string? Error, LiveNode? Live);

    private readonly Lock _gate = new();
    private readonly Dictionary<NodeTarget, Task<Prefetched>> _started = [];
    private readonly Dictionary<NodeTarget, LiveNode> _reads = [];
    private bool _disposed;

    /// <summary>The loaded specs (null when they did not load), for the hardware a reading prefetch reads after the domains.</summary>
    private readonly TaskCompletionSource<SpecSet?> _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The specs finished loading (null: they did not): a reading prefetch reads the hardware they need, then closes its node.</summary>
    internal void Loaded(SpecSet? specs) => _loaded.TrySetResult(specs);

    /// <summary>Whether each node is also read once it is open (only for commands that change nothing).</summary>
    public bool ReadsNodes => read;

    /// <summary>How many targets were started (for tests).</summary>
    internal int Started { get; private set; }

    /// <summary>Starts opening (and reading) each target not started yet, on the thread pool.</summary>
    internal void Start(IEnumerable<NodeTarget> targets, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_disposed) return;
            foreach (var target in targets)
            {
                if (_started.ContainsKey(target)) continue;
                Started++;
                _started[target] = Task.Run(async () =>
                {
                    if (!read)
                    {
                        var (session, error) = await Workspace.OpenOneAsync(target, ct).ConfigureAwait(false);
                        return new Prefetched(session, error, null);
                    }
                    return await ReadAsync(target, ct).ConfigureAwait(false);
                }, ct);
            }
        }
    }

    /// <summary>
    /// In-process nodes opened and read at once: as many as there are cores. Such a node's open and
    /// read are all CPU in this process, and its connection holds the whole node in memory, so more
    /// at a time only share the same cores while holding more nodes.
    /// </summary>
    private readonly SemaphoreSlim _inProcessSlots = new(Math.Max(1, Environment.ProcessorCount));

    /// <summary>
    /// A reading prefetch of one target. It serves a plan, which needs nothing of a node after its
    /// read except the hardware the specs ask of it. An in-process node's connection closes right
    /// after the read, before the specs have finished loading, so that no more than
    /// <see cref="_inProcessSlots"/> nodes are held at once; it is opened again only when the specs
    /// ask it something (<see cref="NodeSession.AsksNothing"/>). A remote node's connection holds
    /// little in this process: it stays open until the specs are loaded and its hardware is read.
    /// </summary>
    private async Task<Prefetched> ReadAsync(NodeTarget target, CancellationToken ct)
    {
        var inProcess = NodeConnections.IsInProcess(target);
        NodeSession? session;
        LiveNode live;
        if (inProcess) await _inProcessSlots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            (session, var error) = await Workspace.OpenOneAsync(target, ct).ConfigureAwait(false);
            if (session is null) return new Prefetched(null, error, null);
            var opened = session;
            live = inProcess ? Workspace.ReadOne(target, opened) : await Workspace.RunBlocking(target, () => Workspace.ReadOne(target, opened), ct).ConfigureAwait(false);
            if (inProcess)
            {
                session.Dispose();
                session = null;
            }
        }
        finally
        {
            if (inProcess) _inProcessSlots.Release();
        }
        try
        {
            // The hardware the checks need depends on the specs, which finish loading meanwhile.
            var desired = await _loaded.Task.WaitAsync(ct).ConfigureAwait(false);
            if (desired is null || live.Error is not null) return new Prefetched(null, null, live);
            if (session is not null)
            {
                var (remote, read) = (session, live);
                return new Prefetched(null, null, await Workspace.RunBlocking(target, () => Workspace.WithHardware(target, remote, read, desired), ct).ConfigureAwait(false));
            }
            var query = Workspace.QueryFor(desired, target.Name, live.DomainType);
            if (NodeSession.AsksNothing(query)) return new Prefetched(null, null, live with { Hardware = NodeSession.Unasked });
            await _inProcessSlots.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                var (again, error) = await Workspace.OpenOneAsync(target, ct).ConfigureAwait(false);
                if (again is null) return new Prefetched(null, null, new LiveNode(target.Name, target.Uri, live.DomainType, [], error));
                using (again) return new Prefetched(null, null, Workspace.WithHardware(target, again, live, desired));
            }
            finally
            {
                _inProcessSlots.Release();
            }
        }
        finally
        {
            session?.Dispose();
        }
    }

    /// <summary>Completes when everything started so far has finished opening (and reading); for tests.</summary>
    internal Task Settled()
    {
        lock (_gate) return Task.WhenAll(_started.Values);
    }

    /// <summary>The prefetch of this target without taking it; for tests.</summary>
    internal Task<Prefetched>? Peek(NodeTarget target)
    {
        lock (_gate) return _started.GetValueOrDefault(target);
    }

    /// <summary>The prefetch of exactly this target, taken (it will not be disposed here), or null.</summary>
    internal Task<Prefetched>? Take(NodeTarget target)
    {
        lock (_gate)
        {
            if (_disposed || !_started.Remove(target, out var task)) return null;
            return task;
        }
    }

    /// <summary>Remembers the read of a taken prefetch for <see cref="ReadOf"/>.</summary>
    internal void KeepRead(NodeTarget target, LiveNode live)
    {
        lock (_gate) _reads[target] = live;
    }

    /// <summary>The prefetched read of a taken target (once), or null to read it now.</summary>
    internal LiveNode? ReadOf(NodeTarget target)
    {
        lock (_gate) return _reads.Remove(target, out var live) ? live : null;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        List<Task<Prefetched>> left;
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            left = [.. _started.Values];
            _loaded.TrySetResult(null);
            _started.Clear();
            _reads.Clear();
        }
        // A session nobody took is closed as soon as its open completes; nobody waits for a slow host here.
        foreach (var task in left)
        {
            task.ContinueWith(static t => t.Result.Session?.Dispose(), CancellationToken.None,
                TaskContinuationOptions.OnlyOnRanToCompletion | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
