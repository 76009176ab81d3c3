namespace Reconciler.Libvirt.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    internal static partial int virConnectListAllNodeDevices(ConnectHandle conn, out nint devices, uint flags);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial NodeDeviceHandle virNodeDeviceLookupByName(ConnectHandle conn, string name);

    [LibraryImport(Lib)]
    internal static partial int virNodeDeviceFree(nint device);

    [LibraryImport(Lib)]
    internal static partial nint virNodeDeviceGetName(NodeDeviceHandle device);

    [LibraryImport(Lib)]
    internal static partial nint virNodeDeviceGetParent(NodeDeviceHandle device);

    [LibraryImport(Lib)]
    internal static partial nint virNodeDeviceGetXMLDesc(NodeDeviceHandle device, uint flags);
}
