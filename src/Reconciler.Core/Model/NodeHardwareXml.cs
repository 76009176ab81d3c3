using System.Globalization;
using System.Xml.Linq;

namespace Reconciler.Core.Model;

/// <summary>
/// Parses libvirt's capability documents into <see cref="NodeHardware"/>'s parts. Pure: the
/// documents are read by the engine. Elements a driver leaves out become nulls or empty lists,
/// which the checks report as "not answered" rather than as "not supported".
/// </summary>
public static class NodeHardwareXml
{
    /// <summary>The host part of <c>virConnectGetCapabilities</c>.</summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    public static HostCapabilities ParseHost(string xml)
    {
        var host = XDocument.Parse(xml).Root?.Element("host");
        var cpu = host?.Element("cpu");
        var pages = (cpu?.Elements("pages") ?? [])
            .Select(p => PageKiB(p))
            .Where(p => p > 0)
            .Distinct()
            .Order()
            .ToList();
        var cells = (host?.Element("topology")?.Element("cells")?.Elements("cell") ?? [])
            .Select(c => new HostCell(
                Int(c.Attribute("id")?.Value),
                Kib(c.Element("memory")),
                c.Element("cpus")?.Elements("cpu").Count() ?? 0))
            .ToList();
        return new HostCapabilities((string?)cpu?.Element("arch") ?? "", (string?)cpu?.Element("model"), pages, cells);
    }

    /// <summary>The parts of <c>virConnectGetDomainCapabilities</c> the checks use.</summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    public static DomainCapabilities ParseDomain(string xml)
    {
        var root = XDocument.Parse(xml).Root;
        var modes = root?.Element("cpu")?.Elements("mode").ToList() ?? [];
        XElement? Mode(string name) => modes.FirstOrDefault(m => (string?)m.Attribute("name") == name);
        var passthrough = Mode("host-passthrough") is { } pt && Supported(pt);
        Dictionary<string, string>? custom = null;
        if (Mode("custom") is { } c)
        {
            custom = new Dictionary<string, string>(StringComparer.Ordinal);
            if (Supported(c))
            {
                foreach (var m in c.Elements("model"))
                {
                    var name = m.Value.Trim();
                    if (name.Length > 0) custom[name] = (string?)m.Attribute("usable") ?? "unknown";
                }
            }
        }
        TpmCapabilities? tpm = null;
        if (root?.Element("devices")?.Element("tpm") is { } t)
        {
            tpm = new TpmCapabilities(Supported(t), Enum(t, "model"), Enum(t, "backendModel"));
        }
        FirmwareCapabilities? firmware = null;
        if (root?.Element("os") is { } os)
        {
            var loader = os.Element("loader");
            var loaderSupported = loader is not null && Supported(loader);
            var efi = Supported(os) && Enum(os, "firmware").Contains("efi");
            var secure = loaderSupported && Enum(loader!, "secure").Contains("yes");
            var paths = loaderSupported ? loader!.Elements("value").Select(v => v.Value.Trim()).Where(v => v.Length > 0).ToList() : [];
            firmware = new FirmwareCapabilities(efi || paths.Count > 0, secure, paths);
        }
        return new DomainCapabilities((string?)root?.Element("machine"), passthrough, custom, tpm, firmware);
    }

    private static bool Supported(XElement e) => (string?)e.Attribute("supported") == "yes";

    private static List<string> Enum(XElement parent, string name) =>
        parent.Elements("enum").FirstOrDefault(e => (string?)e.Attribute("name") == name)?.Elements("value").Select(v => v.Value.Trim()).ToList() ?? [];

    private static ulong PageKiB(XElement page)
    {
        var size = ULong(page.Attribute("size")?.Value);
        return Scale(size, (string?)page.Attribute("unit") ?? "KiB");
    }

    private static ulong Kib(XElement? e) => e is null ? 0 : Scale(ULong(e.Value), (string?)e.Attribute("unit") ?? "KiB");

    private static ulong Scale(ulong value, string unit) => unit switch
    {
        "b" or "bytes" => value / 1024,
        "MiB" or "M" => value * 1024,
        "GiB" or "G" => value * 1024 * 1024,
        _ => value,
    };

    private static ulong ULong(string? s) => ulong.TryParse(s?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;

    private static int Int(string? s) => int.TryParse(s?.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : 0;
}
