namespace Reconciler.Libvirt;

public sealed partial class LibvirtDomain
{
    /// <summary>
    /// Starts merging <paramref name="top"/> down into <paramref name="base"/> in the running
    /// domain's disk chain (<c>virDomainBlockCommit</c>). Returns once the job runs; follow it with
    /// <see cref="GetBlockJobInfo"/>, and finish an active commit with <see cref="AbortBlockJob"/>
    /// and <see cref="BlockJobAbortFlags.Pivot"/>.
    /// </summary>
    /// <param name="disk">The disk's target (<c>vda</c>) or source path.</param>
    /// <param name="base">The file to merge into, or null for the bottom of the chain.</param>
    /// <param name="top">The file to merge, or null for the active layer.</param>
    /// <param name="flags">Active, shallow, delete...</param>
    public void BlockCommit(string disk, string? @base, string? top, BlockCommitFlags flags)
    {
        ArgumentException.ThrowIfNullOrEmpty(disk);
        Interop.Check(NativeMethods.virDomainBlockCommit(Handle, disk, @base, top, new CULong(0), (uint)flags), "virDomainBlockCommit");
    }

    /// <summary>The block job running on <paramref name="disk"/> (<c>virDomainGetBlockJobInfo</c>), or null when none runs (it finished, failed or was cancelled).</summary>
    /// <param name="disk">The disk's target or source path.</param>
    /// <returns>The job, or null.</returns>
    public BlockJobInfo? GetBlockJobInfo(string disk)
    {
        ArgumentException.ThrowIfNullOrEmpty(disk);
        var found = Interop.Check(NativeMethods.virDomainGetBlockJobInfo(Handle, disk, out var info, 0), "virDomainGetBlockJobInfo");
        return found == 0 ? null : new BlockJobInfo((BlockJobType)info.Type, info.Cur, info.End);
    }

    /// <summary>Ends the block job on <paramref name="disk"/> (<c>virDomainBlockJobAbort</c>): cancels it, or with <see cref="BlockJobAbortFlags.Pivot"/> completes a ready active commit.</summary>
    /// <param name="disk">The disk's target or source path.</param>
    /// <param name="flags">Pivot, async.</param>
    public void AbortBlockJob(string disk, BlockJobAbortFlags flags)
    {
        ArgumentException.ThrowIfNullOrEmpty(disk);
        Interop.Check(NativeMethods.virDomainBlockJobAbort(Handle, disk, (uint)flags), "virDomainBlockJobAbort");
    }
}
