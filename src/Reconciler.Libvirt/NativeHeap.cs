namespace Reconciler.Libvirt;

/// <summary>
/// How the C heap that libvirt (and libxml2 under it) allocates from behaves in this process.
/// </summary>
public static class NativeHeap
{
    /// <summary>Bytes the heap grows by beyond each request that needs more memory.</summary>
    internal const int BatchTopPad = 64 << 20;

    /// <summary>Free bytes at the top of the heap kept instead of being handed back.</summary>
    internal const int BatchTrimThreshold = 256 << 20;

    /// <summary>
    /// For a command that reads a large estate once and exits (<c>plan</c>, <c>apply</c>): the C heap
    /// grows in 64 MiB steps and keeps what is freed instead of growing and shrinking by small steps
    /// many times over (reading 50 test-driver nodes of 10,000 domains allocates and frees a few
    /// hundred MiB in small pieces). Address space is reserved, not touched, so resident memory
    /// does not grow by the step. Not for the long-running controller, whose heap should shrink
    /// back after a large pass. Returns false when the C library is not glibc (nothing changed).
    /// </summary>
    public static bool PreferThroughput()
    {
        try
        {
            return NativeMethods.mallopt(NativeMethods.M_TOP_PAD, BatchTopPad) == 1
                & NativeMethods.mallopt(NativeMethods.M_TRIM_THRESHOLD, BatchTrimThreshold) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>
    /// For the long-running controller: at most two malloc arenas from now on. glibc otherwise
    /// gives each thread that allocates an arena of its own (up to 8 per core), and each keeps the
    /// pages freed in it; the controller's reads run on many short-lived and thread-pool threads.
    /// Returns false when the C library is not glibc (nothing changed).
    /// </summary>
    public static bool PreferSmallFootprint()
    {
        try
        {
            return NativeMethods.mallopt(NativeMethods.M_ARENA_MAX, 2) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Hands the free pages of every malloc arena back to the system (<c>malloc_trim(0)</c>); false when not glibc.</summary>
    public static bool Trim()
    {
        try
        {
            return NativeMethods.malloc_trim(0) == 1;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }
}
