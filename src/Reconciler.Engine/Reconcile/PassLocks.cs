namespace Reconciler.Engine.Reconcile;

/// <summary>
/// The node locks a pass holds, by URI, and why each node it could not lock is busy. Taken side by
/// side, each node waiting at most the pass's lock wait; released all at once on dispose, or early
/// for nodes the pass will not change (<see cref="ReleaseAllBut"/>).
/// </summary>
internal sealed class PassLocks : IDisposable
{
    private readonly Dictionary<string, IDisposable> _held = new(StringComparer.Ordinal);

    /// <summary>By URI, why a node is busy: the holder, named by the lock.</summary>
    public Dictionary<string, string> Busy { get; } = new(StringComparer.Ordinal);

    /// <summary>Tries every node's lock side by side, each waiting at most <paramref name="wait"/>. Cancelled: every lock taken is released.</summary>
    public static async Task<PassLocks> TakeAsync(IReadOnlyList<NodeTarget> nodes, TimeSpan wait, CancellationToken ct)
    {
        var attempts = nodes.Select(n => n.Uri).Distinct(StringComparer.Ordinal).Select(async uri =>
        {
            try
            {
                return (Uri: uri, Lock: await NodeLock.AcquireAsync(uri, "reconcile controller", wait, ct).ConfigureAwait(false), Busy: (string?)null);
            }
            catch (NodeLockedException e)
            {
                return (Uri: uri, Lock: (NodeLock?)null, Busy: e.Message);
            }
        }).ToList();
        try
        {
            await Task.WhenAll(attempts).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            foreach (var a in attempts.Where(a => a.IsCompletedSuccessfully)) a.Result.Lock?.Dispose();
            throw;
        }
        var locks = new PassLocks();
        foreach (var (uri, nodeLock, why) in attempts.Select(a => a.Result))
        {
            if (nodeLock is not null) locks._held[uri] = nodeLock;
            else locks.Busy[uri] = why!;
        }
        return locks;
    }

    /// <summary>Releases every lock except those of <paramref name="keep"/> (URIs).</summary>
    public void ReleaseAllBut(IEnumerable<string> keep)
    {
        var kept = keep.ToHashSet(StringComparer.Ordinal);
        foreach (var uri in _held.Keys.Where(u => !kept.Contains(u)).ToList())
        {
            _held[uri].Dispose();
            _held.Remove(uri);
        }
    }

    public void Dispose()
    {
        foreach (var item in _held.Values) item.Dispose();
        _held.Clear();
    }
}
