namespace Reconciler.Libvirt;

/// <summary>The progress of a domain's current job (<c>virDomainGetJobStats</c>), in libvirt's units.</summary>
/// <param name="Active">False when the domain has no job (<c>VIR_DOMAIN_JOB_NONE</c>); the other values are then null.</param>
/// <param name="ElapsedMs">Time since the job started (<c>time_elapsed</c>).</param>
/// <param name="DataTotal">Bytes to send in all (<c>data_total</c>).</param>
/// <param name="DataProcessed">Bytes sent (<c>data_processed</c>).</param>
/// <param name="DataRemaining">Bytes still to send (<c>data_remaining</c>).</param>
/// <param name="MemoryBps">The memory transfer rate QEMU measured, bytes per second (<c>memory_bps</c>).</param>
/// <param name="MemoryIteration">The pass over the guest's memory (<c>memory_iteration</c>).</param>
/// <param name="AutoConvergeThrottle">How far auto-converge slows the vCPUs, percent (<c>auto_converge_throttle</c>; only while it throttles).</param>
public sealed record DomainJobStats(bool Active, ulong? ElapsedMs, ulong? DataTotal, ulong? DataProcessed, ulong? DataRemaining,
    ulong? MemoryBps, ulong? MemoryIteration, int? AutoConvergeThrottle);

public sealed partial class LibvirtDomain
{
    /// <summary>The current job's statistics (<c>virDomainGetJobStats</c>); safe to call from another thread while a migration call blocks.</summary>
    public DomainJobStats GetJobStats()
    {
        Interop.Check(NativeMethods.virDomainGetJobStats(Handle, out var type, out var parameters, out var count, 0), "virDomainGetJobStats");
        try
        {
            ulong? U(string name) => NativeMethods.virTypedParamsGetULLong(parameters, count, name, out var v) == 1 ? v : null;
            int? I(string name) => NativeMethods.virTypedParamsGetInt(parameters, count, name, out var v) == 1 ? v : null;
            // VIR_DOMAIN_JOB_NONE = 0.
            return new DomainJobStats(type != 0, U("time_elapsed"), U("data_total"), U("data_processed"), U("data_remaining"),
                U("memory_bps"), U("memory_iteration"), I("auto_converge_throttle"));
        }
        finally
        {
            if (parameters != 0) NativeMethods.virTypedParamsFree(parameters, count);
        }
    }

    /// <summary>Cancels the domain's current job, e.g. a migration (<c>virDomainAbortJob</c>); an aborted migration leaves the domain running on the source.</summary>
    public void AbortJob() => Interop.Check(NativeMethods.virDomainAbortJob(Handle), "virDomainAbortJob");

    /// <summary>Switches a running migration started with <see cref="MigrateFlags.Postcopy"/> to post-copy (<c>virDomainMigrateStartPostCopy</c>).</summary>
    public void MigrateStartPostCopy() => Interop.Check(NativeMethods.virDomainMigrateStartPostCopy(Handle, 0), "virDomainMigrateStartPostCopy");

    /// <summary>The migration bandwidth limit in MiB/s (<c>virDomainMigrateGetMaxSpeed</c>); during a migration, the limit it runs with.</summary>
    public ulong GetMigrationMaxSpeed()
    {
        Interop.Check(NativeMethods.virDomainMigrateGetMaxSpeed(Handle, out var bandwidth, 0), "virDomainMigrateGetMaxSpeed");
        return bandwidth.Value;
    }
}
