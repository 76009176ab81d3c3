using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// One field of a list item (a network interface), declared once: its row (YAML, documentation,
/// default, one-field validation), the canonical text the planner compares, how it is written into
/// the item's element and how it is read back from a live one. The renderer, the live-XML reader
/// and <see cref="Planning.DomainFields"/> loop over the item's fields and name none.
/// </summary>
/// <typeparam name="T">The item's model.</typeparam>
internal sealed class ItemField<T>
{
    public ItemField(FieldDef row) => Row = row;

    /// <summary>The field-table row; its name is the path segment after the item (<c>spec.interfaces[0].NAME</c>).</summary>
    public FieldDef Row { get; }

    /// <summary>The canonical text the planner compares; null: not written, so not owned.</summary>
    public required Func<T, string?> Value { get; init; }

    /// <summary>Writes the value into the item's element; children are created at libvirt's position (<see cref="XmlOrder"/>).</summary>
    public required Action<XElement, T> Render { get; init; }

    /// <summary>Reads the value from a live item element into the item being built.</summary>
    public required Func<XElement, T, T> Read { get; init; }
}

/// <summary>The fields of one network interface (<c>spec.interfaces[i]</c>, a <c>&lt;devices&gt;&lt;interface&gt;</c>).</summary>
internal static class InterfaceFields
{
    public static readonly ItemField<InterfaceSpec> Network = SourceField("network", "A libvirt network name.", Patterns.Token, "default",
        n => n.Network, (n, value) => n with { Network = value });

    public static readonly ItemField<InterfaceSpec> Bridge = SourceField("bridge", "A host bridge name.", Patterns.Bridge, "br0",
        n => n.Bridge, (n, value) => n with { Bridge = value });

    public static readonly ItemField<InterfaceSpec> Model = new(
        new FieldDef("model", FieldType.String, "NIC model.")
        {
            Default = "virtio", Pattern = Patterns.Token, Example = "e1000e", Libvirt = "<model type='virtio'/>",
        })
    {
        Value = n => n.Model,
        Render = (element, n) => XmlOrder.Ensure(element, "model").SetAttributeValue("type", n.Model),
        Read = (element, n) => n with { Model = (string?)element.Element("model")?.Attribute("type") ?? "" },
    };

    /// <summary>Rendered from the MAC the renderer resolved (the spec's, else the one the live interface has).</summary>
    public static readonly ItemField<InterfaceSpec> Mac = new(
        new FieldDef("mac", FieldType.String, "Unicast MAC address (any case; stored lower-case). Unset: libvirt picks one and it is kept.")
        {
            Pattern = Patterns.Mac, DefaultText = "chosen by libvirt", Example = "\"52:54:00:12:34:56\"", Libvirt = "<mac address='52:54:00:12:34:56'/>",
        })
    {
        Value = n => n.Mac?.ToLowerInvariant(),
        Render = (element, n) =>
        {
            if (n.Mac is { } mac) XmlOrder.Ensure(element, "mac").SetAttributeValue("address", mac);
        },
        Read = (element, n) => n with { Mac = ((string?)element.Element("mac")?.Attribute("address"))?.ToLowerInvariant() },
    };

    /// <summary>In the order the planner lists them and the Domain table documents them.</summary>
    public static readonly IReadOnlyList<ItemField<InterfaceSpec>> All = [Network, Bridge, .. NicFields.Attachments, Model, Mac, .. NicFields.Options];

    /// <summary>The table of <c>spec.interfaces[]</c>: exactly one attachment.</summary>
    public static readonly ObjectDef Def = new("Interface",
        "One network interface: on a libvirt network, a host bridge, a host interface (macvtap), an SR-IOV VF or user mode (exactly one of network, bridge, direct, hostdev, user).",
        [.. All.Select(f => f.Row)], [["network", "bridge", "direct", "hostdev", "user"]]);

    /// <summary>What a live interface starts as before its fields are read (interfaces of other types keep their place with no attachment).</summary>
    public static readonly InterfaceSpec Unread = new(null, null, "", null);

    /// <summary>The interface's element with every field written; <paramref name="nic"/> carries the resolved MAC.</summary>
    public static XElement Render(InterfaceSpec nic)
    {
        var element = new XElement("interface");
        foreach (var field in All) field.Render(element, nic);
        return element;
    }

    /// <summary>A live interface element read back.</summary>
    public static InterfaceSpec Read(XElement element) => All.Aggregate(Unread, (nic, field) => field.Read(element, nic));

    /// <summary>network or bridge: the interface's type, and its source attribute of the same name.</summary>
    private static ItemField<InterfaceSpec> SourceField(string type, string description, string pattern, string example,
        Func<InterfaceSpec, string?> get, Func<InterfaceSpec, string?, InterfaceSpec> set) => new(
        new FieldDef(type, FieldType.String, description)
        {
            Pattern = pattern, Example = example, Libvirt = $"<interface type='{type}'><source {type}='{example}'/>",
        })
    {
        Value = get,
        Render = (element, n) =>
        {
            if (get(n) is not { } value) return;
            element.SetAttributeValue("type", type);
            XmlOrder.Ensure(element, "source").SetAttributeValue(type, value);
        },
        Read = (element, n) => set(n, (string?)element.Attribute("type") == type ? (string?)element.Element("source")?.Attribute(type) : null),
    };
}

/// <summary>
/// The fields of the graphical console (<c>spec.graphics</c>, the first vnc or spice
/// <c>&lt;devices&gt;&lt;graphics&gt;</c>). Type none has no element; the renderer adds the devices
/// that go with a console (tablet, video, the spice channel) around it.
/// </summary>
internal static class GraphicsFields
{
    public static readonly ItemField<GraphicsSpec> Type = new(
        new FieldDef("type", FieldType.Enum, "Console protocol; none for a serial console only.")
        {
            Allowed = ["none", "vnc", "spice"], Default = "vnc", Example = "spice", Libvirt = "<graphics type='vnc'/> (nothing for none)",
        })
    {
        Value = g => g.Type.ToString().ToLowerInvariant(),
        Render = (element, g) =>
        {
            element.SetAttributeValue("type", g.Type == GraphicsType.Spice ? "spice" : "vnc");
            if (g.Type == GraphicsType.Vnc) element.SetAttributeValue("port", "-1");
            element.SetAttributeValue("autoport", "yes");
        },
        Read = (element, g) => g with { Type = (string?)element.Attribute("type") == "spice" ? GraphicsType.Spice : GraphicsType.Vnc },
    };

    /// <summary>The listen value that renders no address: the node's own (qemu.conf's spice_listen or vnc_listen).</summary>
    public const string NodeDefault = "default";

    public static readonly ItemField<GraphicsSpec> Listen = new(
        new FieldDef("listen", FieldType.String, "IP address the console listens on, or default: the node's configured address (qemu.conf's spice_listen or vnc_listen, 127.0.0.1 unless changed; what virt-install leaves).")
        {
            Default = "127.0.0.1", Example = "0.0.0.0", Libvirt = "<graphics listen='…'><listen type='address' address='…'/></graphics> (<listen type='address'/> for default)",
        })
    {
        Value = g => g.Type == GraphicsType.None ? null : g.Listen,
        Render = (element, g) => element.Add(g.Listen == NodeDefault
            ? new XElement("listen", new XAttribute("type", "address"))
            : new XElement("listen", new XAttribute("type", "address"), new XAttribute("address", g.Listen))),
        // An address listen without an address is the node's default; no address at all (a socket or none) reads as the spec's default.
        Read = (element, g) => g with
        {
            Listen = (string?)element.Attribute("listen")
                     ?? element.Elements("listen").Where(l => (string?)l.Attribute("type") == "address")
                         .Select(l => (string?)l.Attribute("address") ?? NodeDefault).FirstOrDefault()
                     ?? new GraphicsSpec(GraphicsType.Vnc).Listen,
        },
    };

    public static readonly IReadOnlyList<string> Compressions = ["auto_glz", "auto_lz", "quic", "glz", "lz", "off"];

    public static readonly ItemField<GraphicsSpec> Compression = new(
        new FieldDef("compression", FieldType.Enum, "spice only: how images are compressed on the wire (virt-install writes off). Quote off in YAML.")
        {
            Allowed = Compressions, DefaultText = "hypervisor default", Example = "\"off\"", Libvirt = "<graphics type='spice'><image compression='off'/></graphics>",
        })
    {
        Value = g => g.Type == GraphicsType.Spice ? g.Compression : null,
        Render = (element, g) =>
        {
            if (g.Type == GraphicsType.Spice && g.Compression is { } compression) element.Add(new XElement("image", new XAttribute("compression", compression)));
        },
        Read = (element, g) => g with { Compression = (string?)element.Element("image")?.Attribute("compression") },
    };

    /// <summary>A spice USB redirection channel.</summary>
    private static bool IsRedirection(XElement e) => (string?)e.Attribute("bus") == "usb" && (string?)e.Attribute("type") == "spicevmc";

    /// <summary>Rendered beside the console (a sibling in <c>&lt;devices&gt;</c>): the graphics element is in its devices when the fields render.</summary>
    public static readonly ItemField<GraphicsSpec> UsbRedirection = new(
        new FieldDef("usbRedirection", FieldType.Integer, "spice only: how many USB devices the spice client may redirect to the guest at once (virt-install writes 2; needs a USB controller).")
        {
            Minimum = 0, Maximum = 16, DefaultText = "not managed", Example = "2", Libvirt = "<devices><redirdev bus='usb' type='spicevmc'/> per channel</devices>",
        })
    {
        Value = g => g.Type == GraphicsType.Spice && g.UsbRedirection is { } n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : null,
        Render = (element, g) =>
        {
            if (g.Type != GraphicsType.Spice || element.Parent is not { } devices) return;
            for (var i = 0; i < (g.UsbRedirection ?? 0); i++) XmlOrder.Append(devices, new XElement("redirdev", new XAttribute("bus", "usb"), new XAttribute("type", "spicevmc")));
        },
        // Read after the type: a console of another protocol has none to own.
        Read = (element, g) => g with { UsbRedirection = g.Type == GraphicsType.Spice ? element.Parent?.Elements("redirdev").Count(IsRedirection) ?? 0 : null },
    };

    /// <summary>In the order the planner lists them and the Domain table documents them.</summary>
    public static readonly IReadOnlyList<ItemField<GraphicsSpec>> All = [Type, Listen, Compression, UsbRedirection];

    /// <summary>The table of <c>spec.graphics</c>.</summary>
    public static readonly ObjectDef Def = new("Graphics", "Graphical console.", [.. All.Select(f => f.Row)]);

    /// <summary>A console of the default protocol and address, before a live element is read.</summary>
    public static readonly GraphicsSpec Unread = new(GraphicsType.Vnc);

    /// <summary>Adds the <c>&lt;graphics&gt;</c> element of a console (type vnc or spice) to <paramref name="devices"/>, with what goes beside it (USB redirection).</summary>
    public static XElement Render(XElement devices, GraphicsSpec graphics)
    {
        var element = new XElement("graphics");
        devices.Add(element);
        foreach (var field in All) field.Render(element, graphics);
        return element;
    }

    /// <summary>The console of a live <c>&lt;devices&gt;</c>: its first vnc or spice element, else none.</summary>
    public static GraphicsSpec Read(XElement? devices) =>
        devices?.Elements("graphics").FirstOrDefault(g => (string?)g.Attribute("type") is "vnc" or "spice") is { } element
            ? All.Aggregate(Unread, (g, field) => field.Read(element, g))
            : new GraphicsSpec(GraphicsType.None);
}
