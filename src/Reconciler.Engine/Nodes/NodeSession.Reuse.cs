using System.Collections.Concurrent;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// Reusing definitions between reads of a long-lived session (the controller's): a domain whose
/// definition was read before and that libvirt has sent no lifecycle event for since is not
/// fetched again when a read asks for reuse (<see cref="Read(bool)"/>). Correct only as far as
/// libvirt's lifecycle events reach: a change libvirt sends no lifecycle event for (a
/// <c>setmem --config</c>, a metadata change) is not seen by a reusing read, only by a full one
/// (the controller's periodic resync). Reuse needs the watch (<see cref="WatchChanges"/>) registered
/// on this session's connection; a new connection (a reconnect) is a new session with nothing to
/// reuse; trouble in libvirt's event loop drops everything cached.
/// </summary>
internal sealed partial class NodeSession
{
    private IDisposable? _changeWatch;

    /// <summary>Lifecycle events seen per domain UUID since the watch was registered.</summary>
    private readonly ConcurrentDictionary<string, long> _changes = new(StringComparer.Ordinal);

    /// <summary>Lifecycle events seen for any domain since the watch was registered.</summary>
    private long _allChanges;

    /// <summary>Lifecycle events seen for any domain of this connection so far (0 without the watch).</summary>
    internal long AllChanges => Interlocked.Read(ref _allChanges);

    /// <summary><see cref="LibvirtEventLoop.Faults"/> when the cache was last known complete.</summary>
    private long _eventLoopFaults;

    /// <summary>True once <see cref="WatchChanges"/> registered the lifecycle events of this connection.</summary>
    public bool WatchesChanges => Volatile.Read(ref _changeWatch) is not null;

    /// <summary>
    /// Registers this session's own lifecycle-event callback on its connection (opened with events),
    /// so that reads may reuse definitions. Returns false, and nothing is ever reused, when libvirt
    /// refuses the registration or the connection has no event loop.
    /// </summary>
    public bool WatchChanges()
    {
        if (WatchesChanges) return true;
        try
        {
            _eventLoopFaults = LibvirtEventLoop.Faults;
            var watch = Connection.RegisterDomainLifecycleEvents(e =>
            {
                _changes.AddOrUpdate(e.DomainUuid, 1, (_, n) => n + 1);
                Interlocked.Increment(ref _allChanges);
            });
            Volatile.Write(ref _changeWatch, watch);
            return true;
        }
        catch (Exception e) when (e is LibvirtException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Drops what was read of the named domains (after this process changed them: not every change of ours sends a lifecycle event).</summary>
    public void Forget(IReadOnlySet<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0) return;
        foreach (var (uuid, parsed) in _parsed)
        {
            if (names.Contains(parsed.Name)) _parsed.TryRemove(uuid, out _);
        }
    }

    /// <summary>How many domains the last reads left reusable (for tests and metrics).</summary>
    internal int Cached => _parsed.Count;

    /// <summary>Lifecycle events seen for <paramref name="uuid"/> so far (0 without the watch).</summary>
    internal long ChangesOf(string uuid) => _changes.GetValueOrDefault(uuid);

    /// <summary>
    /// Whether what was seen through the watch since <paramref name="faults"/> was taken
    /// (<see cref="LibvirtEventLoop.Faults"/>) is complete: the watch is registered and libvirt's
    /// event loop has had no fault since (after one, events may have been lost).
    /// </summary>
    internal bool EventsCompleteSince(long faults) => WatchesChanges && LibvirtEventLoop.Faults == faults;

    /// <summary>
    /// Whether a read may reuse: asked for, the watch registered, and libvirt's event loop without a
    /// fault since the cache was last known complete (after a fault everything cached is dropped).
    /// </summary>
    private bool MayReuse(bool reuse)
    {
        if (!reuse || !WatchesChanges) return false;
        var faults = LibvirtEventLoop.Faults;
        if (faults == Volatile.Read(ref _eventLoopFaults)) return true;
        _parsed.Clear();
        Volatile.Write(ref _eventLoopFaults, faults);
        return false;
    }

    private void DisposeWatch() => Interlocked.Exchange(ref _changeWatch, null)?.Dispose();
}
