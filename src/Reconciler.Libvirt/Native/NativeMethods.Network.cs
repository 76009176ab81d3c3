namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    internal const uint VIR_NETWORK_DEFINE_VALIDATE = 1 << 0;
    internal const uint VIR_NETWORK_XML_INACTIVE = 1 << 0;

    [LibraryImport(Lib)]
    internal static partial int virConnectListAllNetworks(ConnectHandle conn, out nint nets, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkLookupByUUIDString(ConnectHandle conn, string uuid);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NetworkHandle virNetworkDefineXMLFlags(ConnectHandle conn, string xml, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virNetworkFree(nint network);

    [LibraryImport(Lib)]
    internal static partial nint virNetworkGetName(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkGetUUIDString(NetworkHandle network, byte* buf);

    [LibraryImport(Lib)]
    internal static partial nint virNetworkGetXMLDesc(NetworkHandle network, uint flags);

    [LibraryImport(Lib)]
    internal static partial nint virNetworkGetBridgeName(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkIsActive(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkIsPersistent(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkCreate(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkDestroy(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkUndefine(NetworkHandle network);

    [LibraryImport(Lib)]
    internal static partial int virNetworkGetAutostart(NetworkHandle network, out int autostart);

    [LibraryImport(Lib)]
    internal static partial int virNetworkSetAutostart(NetworkHandle network, int autostart);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virNetworkUpdate(NetworkHandle network, uint command, uint section, int parentIndex, string xml, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int virNetworkGetDHCPLeases(NetworkHandle network, string? mac, out nint leases, uint flags);

    [LibraryImport(Lib)]
    internal static partial void virNetworkDHCPLeaseFree(nint lease);
}

/// <summary>Layout of <c>struct _virNetworkDHCPLease</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct VirNetworkDhcpLease
{
    internal nint Iface;
    internal long ExpiryTime;
    internal int Type;
    internal nint Mac;
    internal nint Iaid;
    internal nint IpAddr;
    internal uint Prefix;
    internal nint Hostname;
    internal nint ClientId;
}
