using Reconciler.Libvirt;

namespace Reconciler.Host;

/// <summary>
/// Keeps the long-running controller's memory at what it holds between passes (docs/benchmarks.md,
/// "Where the controller's memory goes"). A pass allocates and drops memory in proportion to the
/// domains it reads, on the managed heap and in libvirt's native allocations (glibc malloc); neither
/// gives freed memory back to the system on its own: the GC keeps its budget committed, and glibc
/// keeps one arena per thread that ever allocated (up to 8 per core), each with its freed pages.
/// <see cref="Enable"/> (at start) caps glibc at two arenas; <see cref="Trim"/> (after each pass over
/// everything, and after a targeted pass while the heap is small or grew: <see cref="TrimAfterPass"/>)
/// runs a compacting full collection that decommits the free managed heap
/// (<see cref="GCCollectionMode.Aggressive"/>) and hands glibc's free pages back (<c>malloc_trim</c>).
/// Outside glibc the native half does nothing.
/// </summary>
internal static class ProcessMemory
{
    private static bool _enabled;

    /// <summary>True once the process is the controller's own (<see cref="Enable"/>): passes are followed by <see cref="Trim"/>.</summary>
    public static bool Enabled => Volatile.Read(ref _enabled);

    /// <summary>
    /// For a process that is the controller and nothing else (<c>reconcile run</c>, not a test host):
    /// at most two glibc malloc arenas from now on, and a <see cref="Trim"/> after every pass.
    /// </summary>
    public static void Enable()
    {
        NativeHeap.PreferSmallFootprint();
        Volatile.Write(ref _enabled, true);
    }

    /// <summary>How much a targeted pass may grow the managed heap before it is followed by a trim too.</summary>
    public const long Slack = 16L << 20;

    private static long _afterTrim;

    /// <summary>Below this much live managed heap a compacting full collection costs a few milliseconds: every pass is followed by one.</summary>
    public const long SmallHeap = 96L << 20;

    /// <summary>
    /// After a pass: <see cref="Trim"/> when it looked at everything (<paramref name="whole"/>), when
    /// the heap the last trim left was small (<see cref="SmallHeap"/>), or when the managed heap grew
    /// by more than <see cref="Slack"/> since then. A compacting full collection costs in proportion
    /// to what lives: at 10,000 domains more CPU than a targeted pass, which allocates little.
    /// </summary>
    public static void TrimAfterPass(bool whole)
    {
        var kept = Volatile.Read(ref _afterTrim);
        if (!whole && kept >= SmallHeap && GC.GetTotalMemory(forceFullCollection: false) <= kept + Slack) return;
        Trim();
    }

    /// <summary>Gives back what the last pass freed: a compacting, decommitting full GC, then glibc's free pages.</summary>
    public static void Trim()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        NativeHeap.Trim();
        Volatile.Write(ref _afterTrim, GC.GetTotalMemory(forceFullCollection: false));
    }
}
