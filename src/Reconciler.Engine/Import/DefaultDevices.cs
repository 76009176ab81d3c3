using System.Globalization;
using System.Xml.Linq;
using System.Xml.XPath;

namespace Reconciler.Engine.Import;

/// <summary>
/// The devices Reconciler renders by default that have no <c>spec.devices</c> toggle, and how an
/// imported spec turns each off when the live domain lacks it (a <c>remove</c> patch), so that
/// adopting the domain adds no device. The toggled defaults (agent channel, serial and console, RNG,
/// balloon, tablet, USB) are read back through <c>DeviceToggleFields</c> and written as
/// <c>devices:</c> by <see cref="DomainImporter"/>; the PCIe root ports are matched here by count.
/// </summary>
/// <param name="Toggle">What the entry is called in the import summary.</param>
/// <param name="XPath">Selects the rendered device(s), relative to nothing: it is also the patch's xpath.</param>
internal sealed record DefaultDevices(string Toggle, string XPath)
{
    /// <summary>The renderer's untoggled default devices, in the order their patches are written.</summary>
    public static readonly IReadOnlyList<DefaultDevices> Table =
    [
        new("video", "/domain/devices/video"),
        new("spiceChannel", "/domain/devices/channel[@type='spicevmc']"),
    ];

    /// <summary>The toggle for the PCIe root ports left free for hotplug.</summary>
    public const string SpareRootPorts = "spareRootPorts";

    private const string RootPorts = "/domain/devices/controller[@model='pcie-root-port']";

    /// <summary>
    /// Adds a patch for each default device the rendered <paramref name="rendered"/> devices have and
    /// the live ones lack, and removes those devices from <paramref name="rendered"/>; the PCIe root
    /// ports are matched by count (libvirt numbers them, so only how many there are matters) and
    /// taken out of both sides.
    /// </summary>
    public static void TurnOff(XElement rendered, XElement live, List<XmlPatch> patches, List<string> carried)
    {
        // XPath from the root needs a document: the devices are copied into one each.
        var renderedDomain = new XDocument(new XElement("domain", rendered)).Root!;
        var liveDomain = new XDocument(new XElement("domain", live)).Root!;
        foreach (var entry in Table)
        {
            var mine = renderedDomain.XPathSelectElements(entry.XPath).ToList();
            if (mine.Count == 0 || liveDomain.XPathSelectElements(entry.XPath).Any()) continue;
            patches.Add(new XmlPatch(entry.XPath, Remove: true));
            carried.Add($"devices/{mine[0].Name.LocalName} (off: {entry.Toggle})");
            foreach (var e in mine) e.Remove();
        }
        var ours = renderedDomain.XPathSelectElements(RootPorts).ToList();
        var theirs = liveDomain.XPathSelectElements(RootPorts).ToList();
        if (ours.Count > theirs.Count)
        {
            patches.Add(new XmlPatch(theirs.Count == 0 ? RootPorts : $"{RootPorts}[position() > {theirs.Count.ToString(CultureInfo.InvariantCulture)}]", Remove: true));
            carried.Add($"devices/controller (off: {SpareRootPorts})");
        }
        else if (ours.Count < theirs.Count)
        {
            // Numbered after the rendered ones (1..n): without an index QEMU's driver would give the first one 0, pcie-root's.
            patches.Add(new XmlPatch("/domain/devices", Add: string.Concat(Enumerable.Range(ours.Count + 1, theirs.Count - ours.Count)
                .Select(i => $"<controller type='pci' index='{i.ToString(CultureInfo.InvariantCulture)}' model='pcie-root-port'/>"))));
            carried.Add("devices/controller");
        }
        foreach (var e in ours.Concat(theirs)) e.Remove();
        // The wrappers were copies' parents: move what is left back.
        rendered.ReplaceNodes(renderedDomain.Element("devices")!.Nodes());
        live.ReplaceNodes(liveDomain.Element("devices")!.Nodes());
    }
}
