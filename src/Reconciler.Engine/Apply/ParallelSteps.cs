namespace Reconciler.Engine.Apply;

/// <summary>
/// Bounded parallelism for plan steps that do not depend on each other. The planner orders each
/// node's changes so that a step depends only on steps of an earlier <em>wave</em>: a wave is a
/// maximal run of consecutive changes on the same node with the same kind and the same direction
/// (destroy or not) — e.g. all domain creates and updates of a node, after its networks and
/// volumes; all domain destroys before the volumes they used. Steps of a domain wave touch
/// different domains and run together, at most <c>maxParallel</c> at a time per node; steps of
/// other kinds (pools, volumes, networks share a pool's ledger and each other) run one at a time in
/// plan order unless the caller says otherwise; waves of one node run one after the other;
/// different nodes run side by side — except when a step involves two nodes (a migration): then
/// the nodes run one after the other in plan order, as a sequential apply would. A libvirt
/// connection is thread-safe, so the steps of one node may share its session.
/// </summary>
public static class ParallelSteps
{
    /// <summary>
    /// Steps in flight per node. libvirtd works on up to <c>max_client_requests</c> (default 5) calls
    /// of one connection at a time and keeps the rest in its socket buffer until one finishes, so
    /// more steps than that cost nothing but a wait at the daemon, and a daemon with a raised limit
    /// gets them all at once. The benchmark's floor is the same calls made all at once (10 starts:
    /// docs/benchmarks.md); 16 reaches it for the domain waves a node usually has.
    /// </summary>
    public const int DefaultMaxParallel = 16;

    /// <summary>The waves of <paramref name="changes"/> as index ranges, in plan order.</summary>
    /// <param name="changes">The plan's changes, in plan order.</param>
    /// <returns>Consecutive, non-overlapping ranges that cover every index.</returns>
    public static IReadOnlyList<Range> Waves(IReadOnlyList<ResourceChange> changes)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var waves = new List<Range>();
        var start = 0;
        for (var i = 1; i <= changes.Count; i++)
        {
            if (i < changes.Count && SameWave(changes[i - 1], changes[i])) continue;
            if (i > start) waves.Add(new Range(start, i));
            start = i;
        }
        return waves;
    }

    /// <summary>
    /// Calls <paramref name="step"/> once for every index of <paramref name="changes"/>: waves in
    /// order, at most <paramref name="maxParallel"/> steps of a wave at a time, nodes side by side.
    /// Returns when every step has returned. <paramref name="step"/> records its own outcome (into
    /// an array slot of its index, say) and should not throw; if it does, the remaining steps still
    /// run and the exceptions are rethrown together at the end as an <see cref="AggregateException"/>.
    /// </summary>
    /// <param name="changes">The plan's changes, in plan order.</param>
    /// <param name="maxParallel">Steps in flight per node; 1 runs everything in plan order on the calling thread.</param>
    /// <param name="step">Carries out the change at the given index.</param>
    /// <param name="parallelizable">Which waves may run side by side (tested on a wave's first change); default: domain waves only.</param>
    /// <exception cref="AggregateException">One or more steps threw.</exception>
    public static void Run(IReadOnlyList<ResourceChange> changes, int maxParallel, Action<int> step,
        Func<ResourceChange, bool>? parallelizable = null)
    {
        ArgumentNullException.ThrowIfNull(changes);
        ArgumentNullException.ThrowIfNull(step);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxParallel, 1);
        parallelizable ??= c => c is DomainChange;
        var errors = new List<Exception>();
        var byNode = Waves(changes).GroupBy(w => changes[w.Start.Value].Node, StringComparer.Ordinal).ToList();
        void RunNode(IEnumerable<Range> waves)
        {
            foreach (var wave in waves)
            {
                RunWave(wave, parallelizable(changes[wave.Start.Value]) ? maxParallel : 1, step, errors);
            }
        }
        if (byNode.Count <= 1 || changes.Any(c => c.TouchedNodes().Count > 1))
        {
            foreach (var node in byNode) RunNode(node);
        }
        else
        {
            var threads = byNode.Select(node => StartThread(() => RunNode(node))).ToList();
            foreach (var t in threads) t.Join();
        }
        if (errors.Count > 0) throw new AggregateException(errors);
    }

    private static bool SameWave(ResourceChange a, ResourceChange b) =>
        string.Equals(a.Node, b.Node, StringComparison.Ordinal) && a.Kind == b.Kind
        && (a.Action == ChangeAction.Destroy) == (b.Action == ChangeAction.Destroy);

    private static void RunWave(Range wave, int maxParallel, Action<int> step, List<Exception> errors)
    {
        var (first, count) = (wave.Start.Value, wave.End.Value - wave.Start.Value);
        var next = first - 1;
        void Worker()
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < first + count)
            {
                try
                {
                    step(i);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add(e);
                }
            }
        }
        var workers = Math.Min(maxParallel, count);
        // Dedicated threads, not the thread pool: steps block in libvirt for up to the shutdown
        // timeout, and a 2-core pool would add threads only slowly.
        var threads = Enumerable.Range(0, workers - 1).Select(_ => StartThread(Worker)).ToList();
        Worker();
        foreach (var t in threads) t.Join();
    }

    private static Thread StartThread(Action body)
    {
        var thread = new Thread(() => body()) { IsBackground = true, Name = "reconcile-apply" };
        thread.Start();
        return thread;
    }
}
