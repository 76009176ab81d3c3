namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    internal static partial int virConnectListAllInterfaces(ConnectHandle conn, out nint ifaces, uint flags);

    [LibraryImport(Lib)]
    internal static partial int virInterfaceFree(nint iface);

    [LibraryImport(Lib)]
    internal static partial nint virInterfaceGetName(InterfaceHandle iface);
}
