namespace Reconciler.Rendering;

/// <summary>Reads how many PCIe devices a running domain can still take without a restart.</summary>
public static class HotplugSlots
{
    /// <summary>
    /// The number of <c>pcie-root-port</c> controllers no device sits behind in
    /// <paramref name="liveXml"/> (the running instance's XML). On i440fx (<c>pc</c>) machines
    /// hotplug goes to the PCI bus itself; there every free slot of bus 0 counts, up to 31.
    /// </summary>
    public static int CountFree(XDocument liveXml)
    {
        ArgumentNullException.ThrowIfNull(liveXml);
        var devices = liveXml.Root?.Element("devices");
        if (devices is null) return 0;
        var controllers = devices.Elements("controller").Where(c => (string?)c.Attribute("type") == "pci").ToList();
        var addresses = devices.Descendants("address").Where(a => (string?)a.Attribute("type") == "pci").ToList();
        if (controllers.Any(c => (string?)c.Attribute("model") == "pcie-root-port")) return DeviceToggleFields.FreeRootPorts(devices);
        if (controllers.Any(c => (string?)c.Attribute("model") == "pci-root"))
        {
            var usedSlots = addresses.Where(a => ParseNumber((string?)a.Attribute("bus")) == 0)
                .Select(a => ParseNumber((string?)a.Attribute("slot"))).ToHashSet();
            return Math.Max(0, 31 - usedSlots.Count);
        }
        return 0;
    }

    private static int ParseNumber(string? text)
    {
        if (string.IsNullOrEmpty(text)) return -1;
        return text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? int.Parse(text.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture)
            : int.Parse(text, CultureInfo.InvariantCulture);
    }
}
