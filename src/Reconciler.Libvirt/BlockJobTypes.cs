namespace Reconciler.Libvirt;

/// <summary>Flags for <see cref="LibvirtDomain.BlockCommit"/> (<c>virDomainBlockCommitFlags</c>).</summary>
[Flags]
public enum BlockCommitFlags
{
    /// <summary>No flag: commit a layer below the active one.</summary>
    None = 0,

    /// <summary>Base is the immediate backing file of top (<c>VIR_DOMAIN_BLOCK_COMMIT_SHALLOW</c>).</summary>
    Shallow = 1 << 0,

    /// <summary>Delete the files removed from the chain once the commit succeeded (<c>VIR_DOMAIN_BLOCK_COMMIT_DELETE</c>); the node's daemon deletes them.</summary>
    Delete = 1 << 1,

    /// <summary>Top is the active layer: the job becomes ready and waits for a pivot (<c>VIR_DOMAIN_BLOCK_COMMIT_ACTIVE</c>).</summary>
    Active = 1 << 2,

    /// <summary>Keep backing file names relative (<c>VIR_DOMAIN_BLOCK_COMMIT_RELATIVE</c>).</summary>
    Relative = 1 << 3,
}

/// <summary>Flags for <see cref="LibvirtDomain.AbortBlockJob"/> (<c>virDomainBlockJobAbortFlags</c>).</summary>
[Flags]
public enum BlockJobAbortFlags
{
    /// <summary>Cancel the job and wait for it to end; an active commit leaves the disk on its old chain.</summary>
    None = 0,

    /// <summary>Return at once (<c>VIR_DOMAIN_BLOCK_JOB_ABORT_ASYNC</c>).</summary>
    Async = 1 << 0,

    /// <summary>Finish a ready active commit or copy by switching the disk to the new image (<c>VIR_DOMAIN_BLOCK_JOB_ABORT_PIVOT</c>).</summary>
    Pivot = 1 << 1,
}

/// <summary>The kind of a block job (<c>virDomainBlockJobType</c>).</summary>
public enum BlockJobType
{
    /// <summary>Unknown.</summary>
    Unknown = 0,

    /// <summary>Block pull.</summary>
    Pull = 1,

    /// <summary>Block copy.</summary>
    Copy = 2,

    /// <summary>Commit of a layer below the active one.</summary>
    Commit = 3,

    /// <summary>Commit of the active layer.</summary>
    ActiveCommit = 4,

    /// <summary>Backup.</summary>
    Backup = 5,
}

/// <summary>A running block job (<c>virDomainBlockJobInfo</c>).</summary>
/// <param name="Type">The job's kind.</param>
/// <param name="Current">Progress so far, in the job's own units.</param>
/// <param name="End">The progress that means done; an active commit whose <paramref name="Current"/> reached a non-zero <paramref name="End"/> is ready to pivot.</param>
public readonly record struct BlockJobInfo(BlockJobType Type, ulong Current, ulong End);
