using System.Xml.Linq;

namespace Reconciler.Core.Fields;

/// <summary>
/// Where a declared field's value lives in libvirt XML, relative to the element of the object that
/// holds it: an attribute of that element or of a child element, or a child element's text.
/// </summary>
/// <param name="Element">
/// A child element path (<c>type</c>, <c>a/b</c>), or empty for the object's own element. A step may
/// select among siblings of one name by an attribute (<c>timer[@name='rtc']</c>: found by it, created
/// with it) and may name an element of a known namespace by its prefix (<c>libosinfo:os</c>, see
/// <see cref="XmlStep"/>).
/// </param>
/// <param name="Attribute">The attribute, or null for the element's text.</param>
internal sealed record XmlPlace(string Element, string? Attribute)
{
    /// <summary>An attribute of the object's own element.</summary>
    public static XmlPlace Attr(string attribute) => new("", attribute);

    /// <summary>An attribute of a child element.</summary>
    public static XmlPlace Attr(string element, string attribute) => new(element, attribute);

    /// <summary>The text of a child element.</summary>
    public static XmlPlace Text(string element) => new(element, null);
}

/// <summary>
/// One step of a declared field's element path: <c>name</c>, <c>name[@attr='value']</c> (the child of
/// that name whose attribute has that value; created with it), or <c>prefix:name</c> for a namespace
/// of <see cref="Namespaces"/> (created with its declaration, so libvirt keeps the prefix).
/// </summary>
internal static class XmlStep
{
    /// <summary>The foreign namespaces a declared field may name by prefix.</summary>
    public static readonly IReadOnlyDictionary<string, XNamespace> Namespaces = new Dictionary<string, XNamespace>(StringComparer.Ordinal)
    {
        ["libosinfo"] = "http://libosinfo.org/xmlns/libvirt/domain/1.0",
    };

    /// <summary>The child of <paramref name="parent"/> that <paramref name="step"/> selects, or null.</summary>
    public static XElement? Find(XElement parent, string step)
    {
        var (name, attribute, value) = Parse(step);
        if (attribute is null) return parent.Element(name);
        foreach (var element in parent.Elements(name))
        {
            if ((string?)element.Attribute(attribute) == value) return element;
        }
        return null;
    }

    /// <summary>The child <paramref name="step"/> selects, created at libvirt's position (<see cref="XmlOrder"/>) when missing.</summary>
    public static XElement Ensure(XElement parent, string step)
    {
        var (name, attribute, value) = Parse(step);
        if (attribute is null && name.Namespace == XNamespace.None) return XmlOrder.Ensure(parent, name.LocalName);
        if (Find(parent, step) is { } existing) return existing;
        var created = new XElement(name);
        if (attribute is not null) created.SetAttributeValue(attribute, value);
        if (name.Namespace != XNamespace.None && parent.GetPrefixOfNamespace(name.Namespace) is null)
        {
            created.SetAttributeValue(XNamespace.Xmlns + step.Split(':')[0], name.NamespaceName);
        }
        return XmlOrder.Append(parent, created);
    }

    /// <summary>Each step text parsed once: live XML is read with the same few dozen steps for every domain.</summary>
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, (XName Name, string? Attribute, string? Value)> Steps =
        new(StringComparer.Ordinal);

    private static (XName Name, string? Attribute, string? Value) Parse(string step) => Steps.GetOrAdd(step, ParseText);

    private static (XName Name, string? Attribute, string? Value) ParseText(string step)
    {
        var bracket = step.IndexOf('[', StringComparison.Ordinal);
        var element = bracket < 0 ? step : step[..bracket];
        string? attribute = null, value = null;
        if (bracket >= 0)
        {
            // [@attr='value']
            var inner = step[(bracket + 2)..^1];
            var eq = inner.IndexOf('=', StringComparison.Ordinal);
            attribute = inner[..eq];
            value = inner[(eq + 2)..^1];
        }
        var colon = element.IndexOf(':', StringComparison.Ordinal);
        XName name = colon < 0 ? element : Namespaces[element[..colon]] + element[(colon + 1)..];
        return (name, attribute, value);
    }
}

/// <summary>
/// libvirt's order of an element's children (as <c>virsh dumpxml</c> writes them). An element
/// that a declared field creates goes before the first sibling that libvirt writes after it, so
/// rendered XML reads like libvirt's own; children not listed go last.
/// </summary>
internal static class XmlOrder
{
    private static readonly Dictionary<string, string[]> Children = new(StringComparer.Ordinal)
    {
        ["domain"] =
        [
            "name", "uuid", "genid", "title", "description", "metadata", "maxMemory", "memory", "currentMemory", "blkiotune",
            "memtune", "memoryBacking", "vcpu", "vcpus", "iothreads", "cputune", "numatune", "resource", "sysinfo", "bootloader",
            "os", "idmap", "features", "cpu", "clock", "on_poweroff", "on_reboot", "on_crash", "pm", "perf", "devices", "seclabel",
        ],
        ["cpu"] = ["model", "vendor", "topology", "cache", "maxphysaddr", "feature", "numa"],
        ["cputune"] =
        [
            "shares", "period", "quota", "global_period", "global_quota", "emulator_period", "emulator_quota", "iothread_period",
            "iothread_quota", "vcpupin", "emulatorpin", "iothreadpin", "vcpusched", "iothreadsched", "emulatorsched", "cachetune", "memorytune",
        ],
        ["memoryBacking"] = ["hugepages", "nosharepages", "locked", "source", "access", "allocation", "discard"],
        ["os"] = ["type", "firmware", "loader", "nvram", "kernel", "initrd", "cmdline", "dtb", "boot", "bootmenu", "smbios"],
        ["disk"] = ["driver", "source", "backingStore", "geometry", "blockio", "target", "iotune", "readonly", "shareable", "transient", "serial", "wwn", "vendor", "product", "encryption", "boot", "alias", "address"],
        ["devices"] =
        [
            "emulator", "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel", "console", "channel",
            "input", "tpm", "graphics", "sound", "audio", "video", "hostdev", "redirdev", "hub", "watchdog", "memballoon", "rng", "panic",
            "shmem", "memory", "iommu", "vsock", "crypto",
        ],
        ["serial"] = ["source", "protocol", "log", "target", "alias", "address"],
        ["tpm"] = ["backend", "alias"],
        ["interface"] = ["mac", "source", "virtualport", "ip", "route", "script", "target", "guest", "model", "driver", "backend", "filterref", "tune", "link", "mtu", "bandwidth", "vlan", "rom", "address", "boot"],
    };

    /// <summary>The child <paramref name="name"/> of <paramref name="parent"/>, created at libvirt's position when missing.</summary>
    public static XElement Ensure(XElement parent, string name)
    {
        if (parent.Element(name) is { } existing) return existing;
        var created = new XElement(name);
        var order = Children.GetValueOrDefault(parent.Name.LocalName);
        var rank = order is null ? -1 : Array.IndexOf(order, name);
        var after = rank < 0 ? null : parent.Elements().FirstOrDefault(e => Array.IndexOf(order!, e.Name.LocalName) > rank);
        if (after is null) parent.Add(created);
        else after.AddBeforeSelf(created);
        return created;
    }

    /// <summary>
    /// Adds <paramref name="child"/> to <paramref name="parent"/> at libvirt's position, after the
    /// children of the same name already there (a list: <c>&lt;feature&gt;</c>, <c>&lt;vcpupin&gt;</c>).
    /// </summary>
    public static XElement Append(XElement parent, XElement child)
    {
        var order = Children.GetValueOrDefault(parent.Name.LocalName);
        var rank = order is null ? -1 : Array.IndexOf(order, child.Name.LocalName);
        var after = rank < 0 ? null : parent.Elements().FirstOrDefault(e => Array.IndexOf(order!, e.Name.LocalName) > rank);
        if (after is null) parent.Add(child);
        else after.AddBeforeSelf(child);
        return child;
    }
}
