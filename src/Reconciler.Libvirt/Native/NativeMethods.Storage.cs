namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    internal const uint VIR_STORAGE_POOL_DEFINE_VALIDATE = 1 << 0;
    internal const uint VIR_STORAGE_XML_INACTIVE = 1 << 0;

    [LibraryImport(Lib)]
    internal static partial int virConnectListAllStoragePools(ConnectHandle conn, out nint pools, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StoragePoolHandle virStoragePoolDefineXML(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolFree(nint pool);

    [LibraryImport(Lib)]
    internal static partial nint virStoragePoolGetName(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolGetUUIDString(StoragePoolHandle pool, byte* buf);

    [LibraryImport(Lib)]
    internal static partial nint virStoragePoolGetXMLDesc(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolGetInfo(StoragePoolHandle pool, out VirStoragePoolInfo info);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolIsActive(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolIsPersistent(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolCreate(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolBuild(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolDestroy(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolUndefine(StoragePoolHandle pool);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolRefresh(StoragePoolHandle pool, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolGetAutostart(StoragePoolHandle pool, out int autostart);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolSetAutostart(StoragePoolHandle pool, int autostart);

    [LibraryImport(Lib)]
    internal static partial int virStoragePoolListAllVolumes(StoragePoolHandle pool, out nint vols, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolLookupByName(StoragePoolHandle pool, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolCreateXML(StoragePoolHandle pool, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial StorageVolHandle virStorageVolCreateXMLFrom(StoragePoolHandle pool, string xml, StorageVolHandle clonevol, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolFree(nint vol);

    /// <summary>Borrowed string.</summary>
    [LibraryImport(Lib)]
    internal static partial nint virStorageVolGetName(StorageVolHandle vol);

    /// <summary>Borrowed string.</summary>
    [LibraryImport(Lib)]
    internal static partial nint virStorageVolGetKey(StorageVolHandle vol);

    /// <summary>Caller-owned string.</summary>
    [LibraryImport(Lib)]
    internal static partial nint virStorageVolGetPath(StorageVolHandle vol);

    [LibraryImport(Lib)]
    internal static partial nint virStorageVolGetXMLDesc(StorageVolHandle vol, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolGetInfo(StorageVolHandle vol, out VirStorageVolInfo info);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolResize(StorageVolHandle vol, ulong capacity, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolDelete(StorageVolHandle vol, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolUpload(StorageVolHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virStorageVolDownload(StorageVolHandle vol, StreamHandle stream, ulong offset, ulong length, uint flags);

    // ---- streams -----------------------------------------------------------------------------

    [LibraryImport(Lib)]
    internal static partial StreamHandle virStreamNew(ConnectHandle conn, uint flags);

    /// <summary>Bytes sent, -1 on error, -2 when a non-blocking stream would block.</summary>
    [LibraryImport(Lib)]
    internal static partial int virStreamSend(StreamHandle stream, byte* data, nuint nbytes);

    /// <summary>Bytes received, 0 at end of stream, -1 on error, -2 when it would block.</summary>
    [LibraryImport(Lib)]
    internal static partial int virStreamRecv(StreamHandle stream, byte* data, nuint nbytes);

    [LibraryImport(Lib)]
    internal static partial int virStreamFinish(StreamHandle stream);

    [LibraryImport(Lib)]
    internal static partial int virStreamAbort(StreamHandle stream);

    [LibraryImport(Lib)]
    internal static partial int virStreamFree(nint stream);
}

/// <summary>Layout of <c>struct _virStoragePoolInfo</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirStoragePoolInfo
{
    internal int State;
    internal ulong Capacity;
    internal ulong Allocation;
    internal ulong Available;
}

/// <summary>Layout of <c>struct _virStorageVolInfo</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirStorageVolInfo
{
    internal int Type;
    internal ulong Capacity;
    internal ulong Allocation;
}
