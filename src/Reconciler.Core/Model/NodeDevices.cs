using System.Globalization;
using System.Xml.Linq;

namespace Reconciler.Core.Model;

/// <summary>A PCI device of the node (a node device of capability <c>pci</c>).</summary>
/// <param name="Address">Its address, canonical <c>0000:03:00.0</c>.</param>
/// <param name="ClassCode">The PCI class code (<c>0x030000</c>), or null when not reported.</param>
/// <param name="Vendor">The vendor id, four lower-case hex digits without 0x (<c>10de</c>), or null.</param>
/// <param name="Product">The product id, like <paramref name="Vendor"/>, or null.</param>
/// <param name="Driver">The host driver bound to it (<c>vfio-pci</c>, <c>nvidia</c>), or null.</param>
/// <param name="IommuGroup">Its IOMMU group number; null when the host has no IOMMU (or does not say).</param>
/// <param name="VirtualFunctions">For an SR-IOV physical function: the addresses of its VFs; empty otherwise.</param>
/// <param name="PhysicalFunction">For an SR-IOV virtual function: its PF's address; null otherwise.</param>
/// <param name="SriovCapable">The device reports the <c>virt_functions</c> capability (an SR-IOV PF, even with no VFs enabled).</param>
public sealed record HostPciDevice(
    string Address,
    string? ClassCode,
    string? Vendor,
    string? Product,
    string? Driver,
    int? IommuGroup,
    IReadOnlyList<string> VirtualFunctions,
    string? PhysicalFunction,
    bool SriovCapable);

/// <summary>A USB device of the node.</summary>
/// <param name="Vendor">Vendor id, canonical <c>0x046d</c>.</param>
/// <param name="Product">Product id, canonical <c>0xc52b</c>.</param>
public sealed record HostUsbDevice(string Vendor, string Product);

/// <summary>
/// The host devices libvirt lists on a node (<c>virConnectListAllNodeDevices</c> and each one's
/// <c>virNodeDeviceGetXMLDesc</c>), for the host-device checks and device selectors.
/// </summary>
/// <param name="Pci">PCI devices, by address order.</param>
/// <param name="Usb">USB devices.</param>
/// <param name="Mdevs">Mediated device UUIDs, lower-case.</param>
/// <param name="NetInterfaces">Host network interface names (capability <c>net</c>).</param>
/// <param name="BlockDevices">Block device paths (capability <c>storage</c>: <c>/dev/vda</c>).</param>
public sealed record NodeDevices(
    IReadOnlyList<HostPciDevice> Pci,
    IReadOnlyList<HostUsbDevice> Usb,
    IReadOnlyList<string> Mdevs,
    IReadOnlyList<string> NetInterfaces,
    IReadOnlyList<string> BlockDevices)
{
    /// <summary>The PCI device at <paramref name="address"/> (canonical), or null.</summary>
    public HostPciDevice? PciAt(string address) => Pci.FirstOrDefault(p => p.Address == address);

    /// <summary>
    /// Parses node-device XML documents (one per device). Documents of other capabilities are
    /// skipped; a PCI device without an address is skipped.
    /// </summary>
    /// <exception cref="System.Xml.XmlException">A text is not XML.</exception>
    public static NodeDevices Parse(IEnumerable<string> documents)
    {
        var pci = new List<HostPciDevice>();
        var usb = new List<HostUsbDevice>();
        var mdevs = new List<string>();
        var nets = new List<string>();
        var blocks = new List<string>();
        foreach (var xml in documents)
        {
            var device = XDocument.Parse(xml).Root;
            if (device is null) continue;
            foreach (var cap in device.Elements("capability"))
            {
                switch ((string?)cap.Attribute("type"))
                {
                    case "pci":
                        if (ParsePci(device, cap) is { } p) pci.Add(p);
                        break;
                    case "usb_device":
                        if ((string?)cap.Element("vendor")?.Attribute("id") is { } v && (string?)cap.Element("product")?.Attribute("id") is { } pr)
                        {
                            usb.Add(new HostUsbDevice(Id(v, prefix: true), Id(pr, prefix: true)));
                        }
                        break;
                    case "mdev":
                        var uuid = (string?)cap.Element("uuid") ?? MdevUuidFromName((string?)device.Element("name"));
                        if (uuid is not null) mdevs.Add(uuid.Trim().ToLowerInvariant());
                        break;
                    case "net":
                        if ((string?)cap.Element("interface") is { Length: > 0 } name) nets.Add(name.Trim());
                        break;
                    case "storage":
                        if ((string?)cap.Element("block") is { Length: > 0 } block) blocks.Add(block.Trim());
                        foreach (var node in device.Elements("devnode")) if (node.Value.Trim() is { Length: > 0 } dev && !blocks.Contains(dev)) blocks.Add(dev);
                        break;
                }
            }
        }
        return new NodeDevices(
            pci.OrderBy(p => p.Address, StringComparer.Ordinal).ToList(), usb, mdevs.Distinct().ToList(),
            nets.Distinct().Order(StringComparer.Ordinal).ToList(), blocks.Distinct().Order(StringComparer.Ordinal).ToList());
    }

    private static HostPciDevice? ParsePci(XElement device, XElement cap)
    {
        int? N(XElement? e) => e is null ? null : Number(e.Value);
        if (N(cap.Element("domain")) is not { } domain || N(cap.Element("bus")) is not { } bus
            || N(cap.Element("slot")) is not { } slot || N(cap.Element("function")) is not { } function) return null;
        var vfs = new List<string>();
        string? pf = null;
        var sriov = false;
        foreach (var sub in cap.Elements("capability"))
        {
            switch ((string?)sub.Attribute("type"))
            {
                case "virt_functions":
                    sriov = true;
                    vfs.AddRange(sub.Elements("address").Select(AddressOf).OfType<string>());
                    break;
                case "phys_function":
                    pf = sub.Elements("address").Select(AddressOf).OfType<string>().FirstOrDefault();
                    break;
            }
        }
        var group = (string?)cap.Element("iommuGroup")?.Attribute("number") is { } g ? Number(g) : null;
        return new HostPciDevice(
            Address(domain, bus, slot, function),
            ((string?)cap.Element("class"))?.Trim().ToLowerInvariant(),
            (string?)cap.Element("vendor")?.Attribute("id") is { } vendor ? Id(vendor, prefix: false) : null,
            (string?)cap.Element("product")?.Attribute("id") is { } product ? Id(product, prefix: false) : null,
            ((string?)device.Element("driver")?.Element("name"))?.Trim(),
            group,
            vfs,
            pf,
            sriov);
    }

    /// <summary><c>&lt;address domain='0x0000' bus='0x03' slot='0x10' function='0x1'/&gt;</c> → <c>0000:03:10.1</c>.</summary>
    private static string? AddressOf(XElement a)
    {
        int? H(string name) => (string?)a.Attribute(name) is { } v ? Number(v) : null;
        return H("domain") is { } d && H("bus") is { } b && H("slot") is { } s && H("function") is { } f ? Address(d, b, s, f) : null;
    }

    private static string Address(int domain, int bus, int slot, int function) =>
        string.Create(CultureInfo.InvariantCulture, $"{domain:x4}:{bus:x2}:{slot:x2}.{function:x}");

    /// <summary>A number written in decimal or as 0x hex.</summary>
    private static int? Number(string text)
    {
        text = text.Trim();
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(text[2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var h) ? h : null;
        }
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static string Id(string text, bool prefix)
    {
        var hex = text.Trim();
        hex = hex.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? hex[2..] : hex;
        hex = hex.ToLowerInvariant().PadLeft(4, '0');
        return prefix ? "0x" + hex : hex;
    }

    /// <summary><c>mdev_4b20d080_1b54_4048_85b3_a6a62d165c01</c> (older libvirt has no &lt;uuid&gt;) → the UUID.</summary>
    private static string? MdevUuidFromName(string? name)
    {
        if (name is null || !name.StartsWith("mdev_", StringComparison.Ordinal)) return null;
        var rest = name[5..];
        if (rest.Length < 36) return null;
        return rest[..36].Replace('_', '-');
    }
}
