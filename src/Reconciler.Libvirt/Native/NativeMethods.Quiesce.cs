namespace Reconciler.Libvirt.Native;

// A snapshot's own XML (its creation time, description, state and disks) and the guest agent's
// filesystem freeze, which Reconciler wraps around an internal snapshot (libvirt refuses
// VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE for those).
internal static unsafe partial class NativeMethods
{
    /// <summary>The <c>&lt;domainsnapshot&gt;</c> XML; the caller frees the string.</summary>
    [LibraryImport(Lib)]
    internal static partial nint virDomainSnapshotGetXMLDesc(DomainSnapshotHandle snapshot, uint flags);

    /// <summary>Freezes the guest's filesystems (all of them when <paramref name="mountpoints"/> is null) through the agent; returns how many were frozen, or -1.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainFSFreeze(DomainHandle domain, nint mountpoints, uint nmountpoints, uint flags);

    /// <summary>Thaws the guest's filesystems; returns how many were thawed, or -1.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainFSThaw(DomainHandle domain, nint mountpoints, uint nmountpoints, uint flags);
}
