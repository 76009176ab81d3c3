using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// The interface fields beyond network, bridge, model and MAC (<see cref="InterfaceFields"/>), each
/// declared once (see <see cref="ItemField{T}"/>): the other attachments (macvtap, an SR-IOV VF,
/// user mode) and the options of any interface (Open vSwitch, VLAN tags, MTU, queues, link state,
/// boot order). Unset options are not owned: libvirt's value is never a difference.
/// </summary>
internal static class NicFields
{
    public static readonly IReadOnlyList<string> DirectModes = ["bridge", "vepa", "private", "passthrough"];
    public static readonly IReadOnlyList<string> LinkStates = ["up", "down"];
    public static readonly IReadOnlyList<string> Virtualports = ["openvswitch"];

    /// <summary>A PCI address <c>DDDD:BB:SS.F</c> (domain, bus, slot 00–1f, function 0–7), any case.</summary>
    public const string PciAddress = "^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{2}:[01][0-9A-Fa-f]\\.[0-7]$";

    /// <summary>A host interface name (as the kernel allows: up to 15 characters, no '/', ':' or spaces).</summary>
    public const string HostInterface = "^[A-Za-z0-9_][A-Za-z0-9_.-]{0,14}$";

    public const int MaxQueues = 256;

    public static readonly ObjectDef DirectDef = new("Direct",
        "A macvtap interface on a host interface: the guest is on the host interface's network without a bridge (the host itself cannot reach the guest in bridge/vepa/private modes).",
    [
        new FieldDef("dev", FieldType.String, "The host interface (must exist on the node).")
        {
            Required = true, Pattern = HostInterface, Example = "eth0", Libvirt = "<source dev='eth0'/>",
        },
        new FieldDef("mode", FieldType.Enum, "macvtap mode: bridge (guests on the same dev see each other), vepa (all traffic through the external switch), private (guests isolated), passthrough (the dev itself, e.g. an SR-IOV VF).")
        {
            Allowed = DirectModes, Default = "bridge", Example = "passthrough", Libvirt = "<source mode='bridge'/>",
        },
    ]);

    public static readonly ObjectDef VlanDef = new("Vlan",
        "VLAN tags of the interface. libvirt applies them only on an Open vSwitch bridge (virtualport: openvswitch), an SR-IOV VF (hostdev, or direct with mode passthrough) or a network of those.",
    [
        new FieldDef("tags", FieldType.IntegerList, "The VLAN ids; more than one means trunk.")
        {
            Minimum = 1, Maximum = 4094, Example = "[10, 20]", Libvirt = "<vlan><tag id='10'/><tag id='20'/></vlan>",
        },
        new FieldDef("trunk", FieldType.Boolean, "The guest sees the traffic tagged (a trunk port; Open vSwitch only). Several tags are always a trunk.")
        {
            Default = false, DefaultText = "false (true with several tags)", Example = "true", Libvirt = "<vlan trunk='yes'>",
        },
    ]);

    public static readonly ItemField<InterfaceSpec> Direct = new(
        new FieldDef("direct", FieldType.Object, "A macvtap interface on a host interface (instead of network or bridge).")
        {
            Item = DirectDef, Example = "{dev: eth0, mode: bridge}", Libvirt = "<interface type='direct'><source dev='eth0' mode='bridge'/>",
        })
    {
        Value = n => n.Direct is { } d ? $"{d.Dev} mode={d.Mode}" : null,
        Render = (element, n) =>
        {
            if (n.Direct is not { } d) return;
            element.SetAttributeValue("type", "direct");
            var source = XmlOrder.Ensure(element, "source");
            source.SetAttributeValue("dev", d.Dev);
            source.SetAttributeValue("mode", d.Mode);
        },
        // libvirt's default mode is vepa.
        Read = (element, n) => n with
        {
            Direct = (string?)element.Attribute("type") == "direct" && element.Element("source") is { } source
                ? new DirectSpec((string?)source.Attribute("dev") ?? "", (string?)source.Attribute("mode") ?? "vepa")
                : null,
        },
    };

    public static readonly ItemField<InterfaceSpec> Hostdev = new(
        new FieldDef("hostdev", FieldType.String, "An SR-IOV virtual function given to the guest, by PCI address (instead of network or bridge); libvirt detaches it from its host driver (managed). Its MAC and VLAN are set on the VF through the PF.")
        {
            Pattern = PciAddress, Example = "\"0000:03:10.1\"",
            Libvirt = "<interface type='hostdev' managed='yes'><source><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/></source>",
        })
    {
        Value = n => n.Hostdev?.ToLowerInvariant(),
        Render = (element, n) =>
        {
            if (n.Hostdev is not { } address) return;
            element.SetAttributeValue("type", "hostdev");
            element.SetAttributeValue("managed", "yes");
            XmlOrder.Ensure(element, "source").Add(PciAddressElement(address));
        },
        Read = (element, n) => n with
        {
            Hostdev = (string?)element.Attribute("type") == "hostdev" ? ReadPciAddress(element.Element("source")?.Element("address")) : null,
        },
    };

    public static readonly ItemField<InterfaceSpec> User = new(
        new FieldDef("user", FieldType.Boolean, "A user-mode (SLIRP) interface (instead of network or bridge): outbound connections only, no host setup, as virt-install's default for unprivileged libvirt.")
        {
            Default = false, Example = "true", Libvirt = "<interface type='user'>",
        })
    {
        Value = n => n.User ? "true" : null,
        Render = (element, n) =>
        {
            if (n.User) element.SetAttributeValue("type", "user");
        },
        Read = (element, n) => n with { User = (string?)element.Attribute("type") == "user" },
    };

    /// <summary>libvirt adds <c>&lt;parameters interfaceid='…'/&gt;</c> of its own; only the type is read.</summary>
    public static readonly ItemField<InterfaceSpec> Virtualport = Choice("virtualport", "The bridge is an Open vSwitch bridge (only with bridge).",
        Virtualports, "none (a Linux bridge)", "openvswitch", "<virtualport type='openvswitch'/>", "virtualport", "type",
        n => n.Virtualport, (n, v) => n with { Virtualport = v });

    public static readonly ItemField<InterfaceSpec> Vlan = new(
        new FieldDef("vlan", FieldType.Object, "VLAN tags: one tag (vlan: 100) or {tags, trunk}. Only on an Open vSwitch bridge, an SR-IOV VF (hostdev, direct passthrough) or a libvirt network (whose type decides); a change is live on Open vSwitch.")
        {
            Item = VlanDef, ScalarOf = "tags", DefaultText = "none", Example = "{tags: [10, 20], trunk: true}", Libvirt = "<vlan trunk='yes'><tag id='10'/><tag id='20'/></vlan>",
        })
    {
        Value = n => n.Vlan?.Text,
        Render = (element, n) =>
        {
            if (n.Vlan is not { } vlan) return;
            var v = XmlOrder.Ensure(element, "vlan");
            if (vlan.Trunk || vlan.Tags.Count > 1) v.SetAttributeValue("trunk", "yes");
            foreach (var tag in vlan.Tags) v.Add(new XElement("tag", new XAttribute("id", Num(tag))));
        },
        Read = (element, n) => n with
        {
            Vlan = element.Element("vlan") is { } v
                ? new VlanSpec([.. v.Elements("tag").Select(t => Int((string?)t.Attribute("id"), "vlan tag id"))], (string?)v.Attribute("trunk") == "yes")
                : null,
        },
    };

    public static readonly ItemField<InterfaceSpec> Mtu = Number("mtu", "The MTU the guest sees; only on a network or bridge interface (jumbo frames need the network or bridge to carry them too).",
        68, 65535, "9000", "<mtu size='9000'/>", "mtu", "size", n => n.Mtu, (n, v) => n with { Mtu = v });

    public static readonly ItemField<InterfaceSpec> Queues = Number("queues", "virtio-net queue pairs (multiqueue), at most the domain's vCPUs; only with model virtio.",
        1, MaxQueues, "4", "<driver queues='4'/>", "driver", "queues", n => n.Queues, (n, v) => n with { Queues = v });

    /// <summary>libvirt keeps an explicit <c>&lt;link state='up'/&gt;</c>, so a written up reads back as up.</summary>
    public static readonly ItemField<InterfaceSpec> LinkState = Choice("linkState", "The virtual cable: down disconnects the guest without removing the NIC. A change is live.",
        LinkStates, "not managed (up)", "down", "<link state='down'/>", "link", "state",
        n => n.LinkState, (n, v) => n with { LinkState = v });

    public static readonly ItemField<InterfaceSpec> Boot = Number("boot", "Boot order, 1 first (network boot from this NIC); orders are unique across disks and interfaces.",
        1, 64, "2", "<boot order='2'/>", "boot", "order", n => n.Boot, (n, v) => n with { Boot = v });

    /// <summary>The attachments beside network and bridge, in the order the planner lists them.</summary>
    public static readonly IReadOnlyList<ItemField<InterfaceSpec>> Attachments = [Direct, Hostdev, User];

    /// <summary>The options, in the order the planner lists them (after the model and MAC).</summary>
    public static readonly IReadOnlyList<ItemField<InterfaceSpec>> Options = [Virtualport, Vlan, Mtu, Queues, LinkState, Boot];

    /// <summary>The fields whose change alone can be carried into the running NIC by virDomainUpdateDeviceFlags (link state; VLAN tags on Open vSwitch).</summary>
    public static bool UpdatableLive(string field, InterfaceSpec nic) =>
        field == LinkState.Row.Name || (field == Vlan.Row.Name && nic.Virtualport == "openvswitch");

    /// <summary><c>&lt;address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/&gt;</c> of <c>0000:03:10.1</c>.</summary>
    public static XElement PciAddressElement(string address) => new("address",
        new XAttribute("type", "pci"),
        new XAttribute("domain", "0x" + address[..4].ToLowerInvariant()),
        new XAttribute("bus", "0x" + address[5..7].ToLowerInvariant()),
        new XAttribute("slot", "0x" + address[8..10].ToLowerInvariant()),
        new XAttribute("function", "0x" + address[11..]));

    /// <summary><c>0000:03:10.1</c> of a PCI <c>&lt;address&gt;</c>; null when there is none.</summary>
    public static string? ReadPciAddress(XElement? address)
    {
        if (address is null) return null;
        int Part(string name) => (string?)address.Attribute(name) is { } text
            && int.TryParse(text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text,
                text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? NumberStyles.HexNumber : NumberStyles.None, CultureInfo.InvariantCulture, out var v)
            ? v : throw new LiveXmlException($"PCI address {name} '{(string?)address.Attribute(name)}' is not a number");
        return string.Create(CultureInfo.InvariantCulture, $"{Part("domain"):x4}:{Part("bus"):x2}:{Part("slot"):x2}.{Part("function"):x}");
    }

    /// <summary>An integer option written as an attribute of a child of the interface.</summary>
    private static ItemField<InterfaceSpec> Number(string name, string description, int min, int max, string example, string libvirt,
        string element, string attribute, Func<InterfaceSpec, int?> get, Func<InterfaceSpec, int?, InterfaceSpec> set) => new(
        new FieldDef(name, FieldType.Integer, description)
        {
            Minimum = min, Maximum = max, DefaultText = "not managed", Example = example, Libvirt = libvirt,
        })
    {
        Value = n => get(n) is { } v ? Num(v) : null,
        Render = (e, n) =>
        {
            if (get(n) is { } v) XmlOrder.Ensure(e, element).SetAttributeValue(attribute, Num(v));
        },
        Read = (e, n) => set(n, (string?)e.Element(element)?.Attribute(attribute) is { } text ? Int(text, $"interface {element} {attribute}") : null),
    };

    /// <summary>An enum option written as an attribute of a child of the interface.</summary>
    private static ItemField<InterfaceSpec> Choice(string name, string description, IReadOnlyList<string> allowed, string defaultText, string example, string libvirt,
        string element, string attribute, Func<InterfaceSpec, string?> get, Func<InterfaceSpec, string?, InterfaceSpec> set) => new(
        new FieldDef(name, FieldType.Enum, description)
        {
            Allowed = allowed, DefaultText = defaultText, Example = example, Libvirt = libvirt,
        })
    {
        Value = get,
        Render = (e, n) =>
        {
            if (get(n) is { } v) XmlOrder.Ensure(e, element).SetAttributeValue(attribute, v);
        },
        Read = (e, n) => set(n, (string?)e.Element(element)?.Attribute(attribute)),
    };

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static int Int(string? text, string what) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw new LiveXmlException($"{what} '{text}' is not a number");
}
