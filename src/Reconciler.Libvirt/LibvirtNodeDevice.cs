namespace Reconciler.Libvirt;

/// <summary>Which node devices <see cref="LibvirtConnection.ListAllNodeDevices"/> lists (<c>virConnectListAllNodeDevicesFlags</c>); none: all.</summary>
[Flags]
public enum NodeDeviceListFlags : uint
{
    /// <summary>Every device.</summary>
    All = 0,
    /// <summary>The host system.</summary>
    System = 1 << 0,
    /// <summary>PCI devices.</summary>
    PciDevice = 1 << 1,
    /// <summary>USB devices.</summary>
    UsbDevice = 1 << 2,
    /// <summary>USB interfaces.</summary>
    UsbInterface = 1 << 3,
    /// <summary>Network interfaces.</summary>
    Net = 1 << 4,
    /// <summary>SCSI hosts.</summary>
    ScsiHost = 1 << 5,
    /// <summary>SCSI targets.</summary>
    ScsiTarget = 1 << 6,
    /// <summary>SCSI devices.</summary>
    Scsi = 1 << 7,
    /// <summary>Block storage devices.</summary>
    Storage = 1 << 8,
    /// <summary>Mediated devices.</summary>
    Mdev = 1 << 14,
}

/// <summary>A host device libvirt knows (<c>virNodeDevicePtr</c>). Disposing drops the reference only.</summary>
public sealed class LibvirtNodeDevice : LibvirtObject
{
    private readonly NodeDeviceHandle _handle;

    internal LibvirtNodeDevice(LibvirtConnection connection, NodeDeviceHandle handle)
        : base(connection, handle) => _handle = handle;

    /// <summary>The device's name (<c>virNodeDeviceGetName</c>), e.g. <c>pci_0000_00_03_0</c>.</summary>
    public string Name => Interop.PeekStringOrThrow(NativeMethods.virNodeDeviceGetName(_handle), "virNodeDeviceGetName");

    /// <summary>The parent device's name (<c>virNodeDeviceGetParent</c>), or null for the root (<c>computer</c>).</summary>
    public string? Parent => Interop.PeekString(NativeMethods.virNodeDeviceGetParent(_handle));

    /// <summary>The device XML (<c>virNodeDeviceGetXMLDesc</c>): its capabilities (for PCI: class, vendor, product, IOMMU group, SR-IOV functions).</summary>
    /// <returns>The XML document.</returns>
    public string GetXmlDesc() => Interop.TakeStringOrThrow(NativeMethods.virNodeDeviceGetXMLDesc(_handle, 0), "virNodeDeviceGetXMLDesc");
}
