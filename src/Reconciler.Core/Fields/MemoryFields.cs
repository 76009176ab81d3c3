using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// <c>spec.memoryBacking</c>: huge pages, locked and shared memory (<c>&lt;memoryBacking&gt;</c>),
/// each declared once (see <see cref="DomainField"/>). Owned when <c>memoryBacking</c> is written
/// (locked and shared then default to false); changes take effect at the next boot.
/// </summary>
internal static class MemoryFields
{
    private static readonly FieldPath Path = DomainPaths.Spec.Field("memoryBacking");

    /// <summary>4KiB to 16GiB, a power of two (x86 offers 2MiB and 1GiB).</summary>
    public static readonly SizeRange HugepageSizes = new(4096, 16UL << 30, 1024, PowerOfTwo: true);

    private static readonly MemoryBackingSpec Unread = new(null, false, false);

    public static readonly DomainField HugepageSize = new(Path.Field("hugepages").Field("size"),
        new FieldDef("size", FieldType.Size, "The huge page size; the node must have enough free pages of it when the domain starts. The memory is memfd-backed, so the node needs no hugetlbfs mount.")
        {
            Required = true, Sizes = HugepageSizes, Example = "2MiB", Libvirt = "<memoryBacking><hugepages><page size='2048' unit='KiB'/></hugepages><source type='memfd'/></memoryBacking>",
        })
    {
        Value = s => s.MemoryBacking?.HugepageBytes is { } bytes ? ByteSize.Format(bytes) : null,
        Elements = ["memoryBacking"],
        Render = (domain, s) =>
        {
            if (s.MemoryBacking?.HugepageBytes is not { } bytes) return;
            var backing = XmlOrder.Ensure(domain, "memoryBacking");
            XmlOrder.Ensure(backing, "hugepages").Add(new XElement("page", new XAttribute("size", Num(bytes / 1024)), new XAttribute("unit", "KiB")));
            // memfd with hugetlb: libvirt's default file backing needs a hugetlbfs mount that libvirtd found when it started.
            XmlOrder.Ensure(backing, "source").SetAttributeValue("type", "memfd");
        },
        // <hugepages/> without a page is the host's default size, which the spec cannot name: read as 0 (a difference).
        Read = (domain, s) => s with
        {
            MemoryBacking = (s.MemoryBacking ?? Unread) with
            {
                HugepageBytes = domain.Element("memoryBacking")?.Element("hugepages") is not { } hugepages ? null
                    : hugepages.Element("page") is { } page ? AttributeBytes(page, "size") : 0,
            },
        },
    };

    public static readonly DomainField Locked = new(Path.Field("locked"),
        new FieldDef("locked", FieldType.Boolean, "Lock the guest's memory in host RAM (never swapped).")
        {
            Default = false, Example = "true", Libvirt = "<memoryBacking><locked/></memoryBacking>",
        })
    {
        Value = s => s.MemoryBacking is { } m ? Bool(m.Locked) : null,
        Elements = ["memoryBacking"],
        Render = (domain, s) =>
        {
            if (s.MemoryBacking is { Locked: true }) XmlOrder.Ensure(XmlOrder.Ensure(domain, "memoryBacking"), "locked");
        },
        Read = (domain, s) => s with
        {
            MemoryBacking = (s.MemoryBacking ?? Unread) with { Locked = domain.Element("memoryBacking")?.Element("locked") is not null },
        },
    };

    public static readonly DomainField Shared = new(Path.Field("shared"),
        new FieldDef("shared", FieldType.Boolean, "memfd-backed memory with shared access (what vhost-user devices such as virtiofs need).")
        {
            Default = false, Example = "true", Libvirt = "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>",
        })
    {
        Value = s => s.MemoryBacking is { } m ? Bool(m.Shared) : null,
        Elements = ["memoryBacking"],
        Render = (domain, s) =>
        {
            if (s.MemoryBacking is not { Shared: true }) return;
            var backing = XmlOrder.Ensure(domain, "memoryBacking");
            XmlOrder.Ensure(backing, "source").SetAttributeValue("type", "memfd");
            XmlOrder.Ensure(backing, "access").SetAttributeValue("mode", "shared");
        },
        Read = (domain, s) => s with
        {
            MemoryBacking = (s.MemoryBacking ?? Unread) with
            {
                Shared = (string?)domain.Element("memoryBacking")?.Element("access")?.Attribute("mode") == "shared",
            },
        },
    };

    public static readonly ObjectDef HugepagesDef = new("Hugepages", "Back the guest's memory with huge pages of one size.", [HugepageSize.Row]);

    public static readonly ObjectDef Def = new("MemoryBacking", "How the guest's memory is backed on the host; changes take effect at the next boot.",
    [
        new FieldDef("hugepages", FieldType.Object, "Huge pages of one size.")
        {
            Item = HugepagesDef, DefaultText = "ordinary pages", Example = "{size: 2MiB}", Libvirt = "<memoryBacking><hugepages>",
        },
        Locked.Row,
        Shared.Row,
    ]);

    /// <summary><c>spec.memoryBacking</c>'s row.</summary>
    public static readonly FieldDef Field = new("memoryBacking", FieldType.Object, "Huge pages, locked and shared memory.")
    {
        Item = Def, DefaultText = "libvirt's default (ordinary, unlocked, private memory)", Example = "{hugepages: {size: 2MiB}}", Libvirt = "<memoryBacking>",
    };

    /// <summary>In the order the planner lists them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [HugepageSize, Locked, Shared];

    /// <summary>A libvirt size held in an attribute with a <c>unit</c> attribute beside it (default KiB), in bytes.</summary>
    internal static ulong AttributeBytes(XElement element, string attribute)
    {
        var text = ((string?)element.Attribute(attribute))?.Trim() ?? "";
        var unit = (string?)element.Attribute("unit") ?? "KiB";
        if (!ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || LibvirtUnits.UnitFactor(unit) is not { } factor)
        {
            throw new LiveXmlException($"<{element.Name.LocalName} {attribute}='{text}' unit='{unit}'> is not a size");
        }
        return value * factor;
    }

    private static string Num(ulong value) => value.ToString(CultureInfo.InvariantCulture);
    private static string Bool(bool value) => value ? "true" : "false";
}
