namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    internal const uint VIR_DOMAIN_DEFINE_VALIDATE = 1 << 0;
    internal const int VIR_DOMAIN_METADATA_ELEMENT = 2;
    internal const uint VIR_DOMAIN_MEM_MAXIMUM = 1 << 2;
    internal const uint VIR_DOMAIN_BLOCK_RESIZE_BYTES = 1 << 0;

    [LibraryImport(Lib)]
    internal static partial int virConnectListAllDomains(ConnectHandle conn, out nint domains, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainLookupByUUIDString(ConnectHandle conn, string uuid);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainHandle virDomainDefineXMLFlags(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainFree(nint domain);

    /// <summary>Borrowed string.</summary>
    [LibraryImport(Lib)]
    internal static partial nint virDomainGetName(DomainHandle domain);

    /// <summary>Raw-pointer variant for event callbacks, where libvirt lends the domain.</summary>
    [LibraryImport(Lib, EntryPoint = "virDomainGetName")]
    internal static partial nint virDomainGetNameRaw(nint domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetUUIDString(DomainHandle domain, byte* buf);

    [LibraryImport(Lib, EntryPoint = "virDomainGetUUIDString")]
    internal static partial int virDomainGetUUIDStringRaw(nint domain, byte* buf);

    [LibraryImport(Lib)]
    internal static partial nint virDomainGetXMLDesc(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetInfo(DomainHandle domain, out VirDomainInfo info);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetState(DomainHandle domain, out int state, out int reason, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainIsActive(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainIsPersistent(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainCreateWithFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainShutdownFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainSuspend(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainResume(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainDestroyFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainReboot(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainUndefineFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetAutostart(DomainHandle domain, out int autostart);

    [LibraryImport(Lib)]
    internal static partial int virDomainSetAutostart(DomainHandle domain, int autostart);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint virDomainGetMetadata(DomainHandle domain, int type, string? uri, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainSetMetadata(DomainHandle domain, int type, string? metadata, string? key, string? uri, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainSetMemoryFlags(DomainHandle domain, CULong memory, uint flags);

    /// <summary>0 on error.</summary>
    [LibraryImport(Lib)]
    internal static partial CULong virDomainGetMaxMemory(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainSetVcpusFlags(DomainHandle domain, uint nvcpus, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainGetVcpusFlags(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainPinVcpuFlags(DomainHandle domain, uint vcpu, byte* cpumap, int maplen, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainPinEmulator(DomainHandle domain, byte* cpumap, int maplen, uint flags);

    /// <summary>Fills <paramref name="ncpumaps"/> maps of <paramref name="maplen"/> bytes; returns the number of vCPUs.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainGetVcpuPinInfo(DomainHandle domain, int ncpumaps, byte* cpumaps, int maplen, uint flags);

    /// <summary>Returns 1 when the emulator is pinned (the map is filled), 0 when not.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainGetEmulatorPinInfo(DomainHandle domain, byte* cpumap, int maplen, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainAttachDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainDetachDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainUpdateDeviceFlags(DomainHandle domain, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainBlockResize(DomainHandle domain, string disk, ulong size, uint flags);

    // ---- snapshots ---------------------------------------------------------------------------

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainSnapshotHandle virDomainSnapshotCreateXML(DomainHandle domain, string xmlDesc, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainListAllSnapshots(DomainHandle domain, out nint snaps, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial DomainSnapshotHandle virDomainSnapshotLookupByName(DomainHandle domain, string name, uint flags);

    /// <summary>Borrowed string.</summary>
    [LibraryImport(Lib)]
    internal static partial nint virDomainSnapshotGetName(DomainSnapshotHandle snapshot);

    [LibraryImport(Lib)]
    internal static partial int virDomainRevertToSnapshot(DomainSnapshotHandle snapshot, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainSnapshotDelete(DomainSnapshotHandle snapshot, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainSnapshotFree(nint snapshot);

    // ---- migration ---------------------------------------------------------------------------

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virDomainMigrateToURI3(DomainHandle domain, string dconnuri, nint parameters, uint nparams, uint flags);

    [LibraryImport(Lib)]
    internal static partial DomainHandle virDomainMigrate3(DomainHandle domain, ConnectHandle dconn, nint parameters, uint nparams, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsAddString(ref nint parameters, ref int nparams, ref int maxparams, string name, string value);

    [LibraryImport(Lib)]
    internal static partial void virTypedParamsFree(nint parameters, int nparams);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsAddULLong(ref nint parameters, ref int nparams, ref int maxparams, string name, ulong value);

    /// <summary>1 when found, 0 when not, -1 on error (e.g. the parameter has another type).</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsGetULLong(nint parameters, int nparams, string name, out ulong value);

    /// <summary>1 when found, 0 when not, -1 on error.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virTypedParamsGetInt(nint parameters, int nparams, string name, out int value);

    /// <summary>The caller frees <paramref name="parameters"/> with <see cref="virTypedParamsFree"/>.</summary>
    [LibraryImport(Lib)]
    internal static partial int virDomainGetJobStats(DomainHandle domain, out int type, out nint parameters, out int nparams, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainAbortJob(DomainHandle domain);

    [LibraryImport(Lib)]
    internal static partial int virDomainMigrateStartPostCopy(DomainHandle domain, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virDomainMigrateGetMaxSpeed(DomainHandle domain, out CULong bandwidth, uint flags);
}

/// <summary>Layout of <c>struct _virDomainInfo</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirDomainInfo
{
    internal byte State;
    internal CULong MaxMem;
    internal CULong Memory;
    internal ushort NrVirtCpu;
    internal ulong CpuTime;
}
