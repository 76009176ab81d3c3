namespace Reconciler.Libvirt;

public sealed partial class LibvirtConnection
{
    /// <summary>The host devices libvirt knows, of the capabilities in <paramref name="flags"/> (<c>virConnectListAllNodeDevices</c>).</summary>
    /// <param name="flags">Which capabilities; <see cref="NodeDeviceListFlags.All"/> for every device.</param>
    /// <returns>The devices; the caller disposes each.</returns>
    public IReadOnlyList<LibvirtNodeDevice> ListAllNodeDevices(NodeDeviceListFlags flags = NodeDeviceListFlags.All) =>
        Interop.ListAll(NativeMethods.virConnectListAllNodeDevices, Handle, (uint)flags, "virConnectListAllNodeDevices", (NodeDeviceHandle h) => new LibvirtNodeDevice(this, h));

    /// <summary>The device with this name (<c>virNodeDeviceLookupByName</c>), or null if there is none.</summary>
    /// <param name="name">The device's name, e.g. <c>pci_0000_00_03_0</c>.</param>
    /// <returns>The device or null.</returns>
    public LibvirtNodeDevice? LookupNodeDeviceByName(string name) =>
        Interop.Lookup(NativeMethods.virNodeDeviceLookupByName, Handle, name, "virNodeDeviceLookupByName", h => new LibvirtNodeDevice(this, h));
}

public sealed partial class LibvirtConnection
{
    /// <summary>
    /// The names of the host's network interfaces, active and inactive (<c>virConnectListAllInterfaces</c>).
    /// A libvirt built without an interface backend throws <see cref="LibvirtUnsupportedException"/>.
    /// </summary>
    /// <returns>The names, sorted.</returns>
    public IReadOnlyList<string> ListAllInterfaceNames()
    {
        var handles = Interop.ListAll(NativeMethods.virConnectListAllInterfaces, Handle, 0, "virConnectListAllInterfaces", (InterfaceHandle h) => h);
        try
        {
            return handles.Select(h => Interop.PeekStringOrThrow(NativeMethods.virInterfaceGetName(h), "virInterfaceGetName")).Order(StringComparer.Ordinal).ToList();
        }
        finally
        {
            foreach (var h in handles) h.Dispose();
        }
    }
}
