namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    internal const uint VIR_CONNECT_RO = 1 << 0;

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial ConnectHandle virConnectOpenAuth(string? name, VirConnectAuth* auth, uint flags);

    /// <summary>Returns the remaining reference count, or -1.</summary>
    [LibraryImport(Lib)]
    internal static partial int virConnectClose(nint conn);

    [LibraryImport(Lib)]
    internal static partial nint virConnectGetURI(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial nint virConnectGetHostname(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectGetLibVersion(ConnectHandle conn, out CULong libVer);

    [LibraryImport(Lib)]
    internal static partial nint virConnectGetCapabilities(ConnectHandle conn);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial nint virConnectGetDomainCapabilities(
        ConnectHandle conn, string? emulatorbin, string? arch, string? machine, string? virttype, uint flags);

    /// <summary>
    /// <c>virConnectCompareHypervisorCPU</c>: -1 on error, else a <c>virCPUCompareResult</c>
    /// (0 incompatible, 1 identical, 2 superset).
    /// </summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virConnectCompareHypervisorCPU(
        ConnectHandle conn, string? emulator, string? arch, string? machine, string? virttype, string xmlCPU, uint flags);

    /// <summary>
    /// <c>virNodeGetFreePages</c>: fills <paramref name="counts"/> (cell-major, <paramref name="npages"/> per cell)
    /// with the free pages of each size in <paramref name="pages"/> (KiB); returns the entries filled, or -1.
    /// </summary>
    [LibraryImport(Lib)]
    internal static partial int virNodeGetFreePages(
        ConnectHandle conn, uint npages, uint* pages, int startCell, uint cellCount, ulong* counts, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virNodeGetInfo(ConnectHandle conn, out VirNodeInfo info);

    /// <summary>0 on error.</summary>
    [LibraryImport(Lib)]
    internal static partial ulong virNodeGetFreeMemory(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectIsAlive(ConnectHandle conn);

    [LibraryImport(Lib)]
    internal static partial int virConnectSetKeepAlive(ConnectHandle conn, int interval, uint count);
}

/// <summary>Layout of <c>struct _virNodeInfo</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirNodeInfo
{
    internal fixed byte Model[32];
    internal CULong Memory;
    internal uint Cpus;
    internal uint Mhz;
    internal uint Nodes;
    internal uint Sockets;
    internal uint Cores;
    internal uint Threads;
}

/// <summary>Layout of <c>struct _virConnectAuth</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct VirConnectAuth
{
    internal int* CredType;
    internal uint NCredType;
    internal delegate* unmanaged<VirConnectCredential*, uint, nint, int> Cb;
    internal nint CbData;
}

/// <summary>Layout of <c>struct _virConnectCredential</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirConnectCredential
{
    internal int Type;
    internal nint Prompt;
    internal nint Challenge;
    internal nint DefResult;
    internal nint Result;
    internal uint ResultLen;
}
