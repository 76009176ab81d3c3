namespace Reconciler.Libvirt.Native;

// Block jobs (the merge of an external snapshot's overlay back into its backing file) and the XML
// of one snapshot (which disks it made overlays for, and where).
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainBlockCommit(DomainHandle domain, string disk, string? @base, string? top, CULong bandwidth, uint flags);

    /// <summary>Returns 1 and fills <paramref name="info"/> while a job runs on the disk, 0 when none does, -1 on error.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainGetBlockJobInfo(DomainHandle domain, string disk, out VirDomainBlockJobInfo info, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainBlockJobAbort(DomainHandle domain, string disk, uint flags);
}

/// <summary>Layout of <c>struct _virDomainBlockJobInfo</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainBlockJobInfo
{
    internal int Type;
    internal CULong Bandwidth;
    internal ulong Cur;
    internal ulong End;
}
