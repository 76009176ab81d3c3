using System.Globalization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Fields;

/// <summary>
/// <c>spec.hostdevs</c>: host devices given to the guest (<c>&lt;hostdev mode='subsystem'&gt;</c>),
/// declared once (see <see cref="DomainField"/>). The list is owned whether written or not (none
/// reads as <c>none</c>, so removing the last item detaches it) and compares as a set: order is
/// not a difference. On a running domain, attaching and detaching PCI and USB devices is live
/// (libvirt hot-plugs both); any change that touches a mediated device waits for the next boot.
/// </summary>
internal static partial class HostdevFields
{
    public static readonly IReadOnlyList<string> MdevModels = ["vfio-pci", "vfio-ccw", "vfio-ap"];

    /// <summary>A host PCI address: <c>[DDDD:]BB:SS.F</c> (the domain defaults to 0000).</summary>
    public const string PciPattern = "^([0-9A-Fa-f]{4}:)?[0-9A-Fa-f]{2}:[01][0-9A-Fa-f]\\.[0-7]$";

    /// <summary>A USB or PCI vendor/product id: four hex digits, with or without 0x.</summary>
    public const string IdPattern = "^(0x)?[0-9A-Fa-f]{4}$";

    /// <summary>A UUID as libvirt writes it.</summary>
    public const string UuidPattern = "^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$";

    public static readonly ObjectDef Usb = new("UsbDevice", "A USB device by vendor and product id (lsusb shows them as 046d:c52b).",
    [
        new FieldDef("vendor", FieldType.String, "Vendor id, four hex digits (quote it: \"0x046d\").")
        {
            Required = true, Pattern = IdPattern, Example = "\"0x046d\"", Libvirt = "<source><vendor id='0x046d'/></source>",
        },
        new FieldDef("product", FieldType.String, "Product id, four hex digits.")
        {
            Required = true, Pattern = IdPattern, Example = "\"0xc52b\"", Libvirt = "<source><product id='0xc52b'/></source>",
        },
    ]);

    public static readonly ObjectDef Def = new("Hostdev",
        "One host device: a PCI device by address, a USB device by vendor/product, a mediated device (vGPU) by UUID, or a class selector the planner resolves to a free matching PCI device of the node (exactly one of pci, usb, mdev, class).",
    [
        new FieldDef("pci", FieldType.String, "Host PCI address DDDD:BB:SS.F (virsh nodedev-list --cap pci lists pci_0000_03_00_0 as 0000:03:00.0); the domain part defaults to 0000.")
        {
            Pattern = PciPattern, Example = "\"0000:03:00.0\"", Libvirt = "<hostdev mode='subsystem' type='pci' managed='yes'><source><address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev>",
        },
        new FieldDef("usb", FieldType.Object, "A USB device by vendor and product id.")
        {
            Item = Usb, Example = "{vendor: \"0x046d\", product: \"0xc52b\"}", Libvirt = "<hostdev mode='subsystem' type='usb' managed='yes'><source><vendor id/><product id/></source></hostdev>",
        },
        new FieldDef("mdev", FieldType.String, "A mediated device (vGPU) by its UUID; the device must exist on the node (mdevctl).")
        {
            Pattern = UuidPattern, Example = "4b20d080-1b54-4048-85b3-a6a62d165c01", Libvirt = "<hostdev mode='subsystem' type='mdev' model='vfio-pci'><source><address uuid='…'/></source></hostdev>",
        },
        new FieldDef("model", FieldType.Enum, "The mediated device's API; only with mdev.")
        {
            Allowed = MdevModels, DefaultText = "vfio-pci (with mdev)", Example = "vfio-pci", Libvirt = "<hostdev type='mdev' model='vfio-pci'>",
        },
        new FieldDef("class", FieldType.Enum, "A device class: the planner gives the guest a free PCI device of this class on the node (with placement: only nodes that have one are candidates) and records the address it chose in the definition.")
        {
            Allowed = HostdevClasses.Names, Example = "gpu", Libvirt = "<hostdev type='pci'> of the chosen device (PCI class 0x03… for gpu)",
        },
        new FieldDef("vendor", FieldType.String, "With class: the PCI vendor id the device must have (10de for NVIDIA).")
        {
            Pattern = IdPattern, DefaultText = "any", Example = "\"10de\"", Libvirt = "the node device's <vendor id='0x10de'/>",
        },
        new FieldDef("product", FieldType.String, "With class: the PCI product id the device must have.")
        {
            Pattern = IdPattern, DefaultText = "any", Example = "\"1eb8\"", Libvirt = "the node device's <product id='0x1eb8'/>",
        },
        new FieldDef("managed", FieldType.Boolean, "libvirt detaches the device from its host driver at start and reattaches it at stop; PCI, USB and class only.")
        {
            Default = true, Example = "false", Libvirt = "<hostdev managed='yes'>",
        },
    ], [["pci", "usb", "mdev", "class"]]);

    /// <summary><c>spec.hostdevs</c>.</summary>
    public static readonly DomainField Hostdevs = new(DomainPaths.Spec.Field("hostdevs"),
        new FieldDef("hostdevs", FieldType.ObjectList, "Host devices passed through to the guest: PCI (GPUs, NICs, SR-IOV VFs), USB, mediated devices. Checked against the node before anything is applied. Attaching or detaching PCI and USB devices is live on a running domain; mdev changes take effect at the next boot.")
        {
            Item = Def, DefaultText = "[] (a host device the domain has is detached)", Example = "[{pci: \"0000:03:00.0\"}, {usb: {vendor: \"0x046d\", product: \"0xc52b\"}}]",
            Libvirt = "<devices><hostdev mode='subsystem'>…</hostdev></devices>",
        })
    {
        Value = s => ListText(s.Hostdevs),
        Elements = ["devices"],
        Devices = ["hostdev"],
        Render = (domain, s) =>
        {
            if (s.Hostdevs.Count == 0) return;
            var devices = XmlOrder.Ensure(domain, "devices");
            foreach (var hostdev in s.Hostdevs)
            {
                if (Render(hostdev) is { } element) XmlOrder.Append(devices, element);
            }
        },
        // Only subsystem devices of type pci, usb and mdev are read; others (scsi) are not Reconciler's.
        Read = (domain, s) => s with
        {
            Hostdevs = domain.Element("devices")?.Elements("hostdev").Select(ReadOne).OfType<HostdevSpec>().ToList() ?? [],
        },
        LiveWhen = (diff, _) => Changed(diff).All(text => text.StartsWith("pci ", StringComparison.Ordinal) || text.StartsWith("usb ", StringComparison.Ordinal)),
        Live = LiveOperation.Hostdevs,
    };

    /// <summary>The bound fields.</summary>
    public static readonly IReadOnlyList<DomainField> All = [Hostdevs];

    /// <summary>The compared text of a list: each item's <see cref="HostdevSpec.Text"/>, sorted, joined by <c>; </c>; <c>none</c> for none.</summary>
    public static string ListText(IEnumerable<HostdevSpec> hostdevs)
    {
        var items = hostdevs.Select(h => h.Text).Order(StringComparer.Ordinal).ToList();
        return items.Count == 0 ? "none" : string.Join("; ", items);
    }

    /// <summary>The items of a compared text (<see cref="ListText"/>).</summary>
    public static IReadOnlyList<string> Items(string? text) =>
        text is null or "none" ? [] : text.Split("; ", StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The items one side of a change has and the other has not.</summary>
    public static IEnumerable<string> Changed(FieldDiff diff)
    {
        var before = Items(diff.Before);
        var after = Items(diff.After);
        return before.Except(after, StringComparer.Ordinal).Concat(after.Except(before, StringComparer.Ordinal));
    }

    /// <summary>How many PCI devices a change of <c>spec.hostdevs</c> attaches (0 for a change of another field).</summary>
    public static int AddedPci(FieldDiff diff) =>
        diff.Path != Hostdevs.Path.Text ? 0
            : Items(diff.After).Except(Items(diff.Before), StringComparer.Ordinal).Count(i => i.StartsWith("pci ", StringComparison.Ordinal));

    /// <summary>A hostdev element; null for a selector not yet resolved to an address.</summary>
    public static XElement? Render(HostdevSpec h)
    {
        if (h.Mdev is { } uuid)
        {
            return new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "mdev"), new XAttribute("model", h.Model ?? "vfio-pci"),
                new XElement("source", new XElement("address", new XAttribute("uuid", uuid))));
        }
        var managed = new XAttribute("managed", h.Managed ? "yes" : "no");
        if (h.Usb is { } usb)
        {
            return new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "usb"), managed,
                new XElement("source", new XElement("vendor", new XAttribute("id", usb.Vendor)), new XElement("product", new XAttribute("id", usb.Product))));
        }
        if (h.Pci is not { } pci || ParsePci(pci) is not { } a) return null;
        return new XElement("hostdev", new XAttribute("mode", "subsystem"), new XAttribute("type", "pci"), managed,
            new XElement("source", new XElement("address",
                new XAttribute("domain", $"0x{a.Domain:x4}"), new XAttribute("bus", $"0x{a.Bus:x2}"),
                new XAttribute("slot", $"0x{a.Slot:x2}"), new XAttribute("function", $"0x{a.Function:x}"))));
    }

    /// <summary>A live hostdev element read back; null for one that is not a PCI, USB or mdev subsystem device.</summary>
    public static HostdevSpec? Read(XElement e) => ReadOne(e);

    private static HostdevSpec? ReadOne(XElement e)
    {
        if ((string?)e.Attribute("mode") is { } mode && mode != "subsystem") return null;
        var managed = (string?)e.Attribute("managed") == "yes";
        var source = e.Element("source");
        switch ((string?)e.Attribute("type"))
        {
            case "pci":
                var address = source?.Element("address");
                if (address is null) return null;
                int N(string name) => HexNumber((string?)address.Attribute(name));
                return new HostdevSpec { Pci = PciText(N("domain"), N("bus"), N("slot"), N("function")), Managed = managed };
            case "usb":
                var vendor = (string?)source?.Element("vendor")?.Attribute("id");
                var product = (string?)source?.Element("product")?.Attribute("id");
                if (vendor is null || product is null) return null;
                return new HostdevSpec { Usb = new UsbDeviceId(CanonicalId(vendor, prefix: true), CanonicalId(product, prefix: true)), Managed = managed };
            case "mdev":
                var uuid = (string?)source?.Element("address")?.Attribute("uuid");
                return uuid is null ? null : new HostdevSpec { Mdev = uuid.ToLowerInvariant(), Model = (string?)e.Attribute("model") ?? "vfio-pci", Managed = true };
            default:
                return null;
        }
    }

    /// <summary>A host PCI address's parts.</summary>
    public readonly record struct PciAddress(int Domain, int Bus, int Slot, int Function)
    {
        /// <summary><c>0000:03:00.0</c>.</summary>
        public override string ToString() => PciText(Domain, Bus, Slot, Function);
    }

    /// <summary>The parts of <c>[DDDD:]BB:SS.F</c>; null when it is not one.</summary>
    public static PciAddress? ParsePci(string text)
    {
        var m = PciRegex().Match(text);
        if (!m.Success) return null;
        int H(Group g, int fallback) => g.Success ? int.Parse(g.Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) : fallback;
        return new PciAddress(H(m.Groups["d"], 0), H(m.Groups["b"], 0), H(m.Groups["s"], 0), H(m.Groups["f"], 0));
    }

    /// <summary>The canonical form of a PCI address (<c>3:0.0</c> is not one; <c>03:00.0</c> → <c>0000:03:00.0</c>), or the text itself when it is not one.</summary>
    public static string CanonicalPci(string text) => ParsePci(text)?.ToString() ?? text;

    /// <summary>A vendor or product id in canonical form: lower-case four digits, with <c>0x</c> when <paramref name="prefix"/>.</summary>
    public static string CanonicalId(string text, bool prefix)
    {
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        hex = hex.ToLowerInvariant().PadLeft(4, '0');
        return prefix ? "0x" + hex : hex;
    }

    private static string PciText(int domain, int bus, int slot, int function) =>
        string.Create(CultureInfo.InvariantCulture, $"{domain:x4}:{bus:x2}:{slot:x2}.{function:x}");

    private static int HexNumber(string? text)
    {
        if (text is null) return 0;
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        return int.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var v) ? v
            : throw new LiveXmlException($"hostdev PCI address part '{text}' is not a hex number");
    }

    [GeneratedRegex("^(?:(?<d>[0-9A-Fa-f]{4}):)?(?<b>[0-9A-Fa-f]{2}):(?<s>[01][0-9A-Fa-f])\\.(?<f>[0-7])$")]
    private static partial Regex PciRegex();
}
