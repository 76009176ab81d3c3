using System.Globalization;
using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// <c>spec.devices</c>: the devices Reconciler adds to every domain (virt-install's defaults), each of
/// which can be turned off. The renderer writes them (DomainRenderer, with the console and the root
/// ports); these fields read them back so that off reads as off: libvirt adds a balloon and a USB
/// controller to a definition without one, so off is rendered as <c>model='none'</c>, which reads
/// back as off. Changes take effect at the next boot (the general rule).
/// </summary>
internal static class DeviceToggleFields
{
    private static readonly FieldPath Path = DomainPaths.Spec.Field("devices");

    /// <summary>The name of the qemu-guest-agent channel.</summary>
    public const string AgentChannelName = "org.qemu.guest_agent.0";

    /// <summary>Extra empty PCIe root ports on q35 when <c>spareRootPorts</c> is not written.</summary>
    public const int DefaultSpareRootPorts = 4;

    /// <summary>Every child of <c>&lt;devices&gt;</c> that can carry a PCI address (the free root ports are read from all of them).</summary>
    private static readonly IReadOnlyList<string> AllDevices =
    [
        "disk", "controller", "lease", "filesystem", "interface", "smartcard", "serial", "parallel", "console", "channel", "input", "tpm", "graphics",
        "sound", "audio", "video", "hostdev", "redirdev", "hub", "watchdog", "memballoon", "rng", "panic", "shmem", "memory", "iommu", "vsock", "crypto",
    ];

    public static readonly DomainField Rng = Toggle("rng", "A virtio RNG fed from the node's /dev/urandom.",
        "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng> (nothing when false)", ["rng"],
        d => d.Rng, (d, on) => d with { Rng = on },
        devices => devices.Element("rng") is not null,
        (devices, on) =>
        {
            if (on) XmlOrder.Append(devices, new XElement("rng", new XAttribute("model", "virtio"), new XElement("backend", new XAttribute("model", "random"), "/dev/urandom")));
        });

    public static readonly DomainField Balloon = Toggle("balloon", "A virtio memory balloon (lets memory be lowered live and reports guest memory statistics).",
        "<memballoon model='virtio'/> (<memballoon model='none'/> when false)", ["memballoon"],
        d => d.Balloon, (d, on) => d with { Balloon = on },
        devices => devices.Element("memballoon") is { } b && (string?)b.Attribute("model") != "none",
        (devices, on) => XmlOrder.Ensure(devices, "memballoon").SetAttributeValue("model", on ? "virtio" : "none"));

    public static readonly DomainField Tablet = Toggle("tablet", "A USB tablet (an absolute pointer, so the console's mouse follows the cursor); only with a graphical console, and needs usb.",
        "<input type='tablet' bus='usb'/> (nothing when false)", ["input"],
        d => d.Tablet, (d, on) => d with { Tablet = on },
        devices => devices.Elements("input").Any(i => (string?)i.Attribute("type") == "tablet"),
        (devices, on) =>
        {
            if (on) XmlOrder.Append(devices, new XElement("input", new XAttribute("type", "tablet"), new XAttribute("bus", "usb")));
        },
        s => s.Graphics.Type != GraphicsType.None);

    public static readonly DomainField Usb = Toggle("usb", "A USB controller (libvirt's default model for the machine).",
        "libvirt's default USB controller (<controller type='usb' model='none'/> when false)", ["controller"],
        d => d.Usb, (d, on) => d with { Usb = on },
        devices => !devices.Elements("controller").Any(c => (string?)c.Attribute("type") == "usb" && (string?)c.Attribute("model") == "none"),
        (devices, on) =>
        {
            if (!on) XmlOrder.Append(devices, new XElement("controller", new XAttribute("type", "usb"), new XAttribute("model", "none")));
        });

    public static readonly DomainField AgentChannel = Toggle("agentChannel", "The qemu-guest-agent channel (guest addresses, readiness and fs-freeze need it).",
        $"<channel type='unix'><target type='virtio' name='{AgentChannelName}'/></channel> (nothing when false)", ["channel"],
        d => d.AgentChannel, (d, on) => d with { AgentChannel = on },
        devices => devices.Elements("channel").Any(c => (string?)c.Element("target")?.Attribute("name") == AgentChannelName),
        (devices, on) =>
        {
            if (!on) return;
            var channel = new XElement("channel", new XAttribute("type", "unix"),
                new XElement("target", new XAttribute("type", "virtio"), new XAttribute("name", AgentChannelName)));
            // The first channel, before the console's spice channel.
            if (devices.Element("channel") is { } first) first.AddBeforeSelf(channel);
            else XmlOrder.Append(devices, channel);
        });

    public static readonly DomainField Serial = Toggle("serial", "A pty serial port and its console (virsh console); spec.console needs it.",
        "<serial type='pty'/><console type='pty'/> (nothing when false)", ["serial"],
        d => d.Serial, (d, on) => d with { Serial = on },
        devices => devices.Elements("serial").Any(),
        (devices, on) =>
        {
            if (!on) return;
            if (devices.Element("serial") is null) XmlOrder.Append(devices, new XElement("serial", new XAttribute("type", "pty"), new XElement("target", new XAttribute("port", "0"))));
            if (devices.Element("console") is null)
            {
                XmlOrder.Append(devices, new XElement("console", new XAttribute("type", "pty"),
                    new XElement("target", new XAttribute("type", "serial"), new XAttribute("port", "0"))));
            }
        });

    /// <summary>
    /// Compared as "at least": libvirt puts devices behind root ports by rules of its own, so the
    /// free ports of a definition may exceed what was asked for; fewer is a difference.
    /// </summary>
    public static readonly DomainField SpareRootPorts = new(Path.Field("spareRootPorts"),
        new FieldDef("spareRootPorts", FieldType.Integer, "Empty PCIe root ports left for hotplug on q35 (each hot-plugged disk or NIC takes one); compared as at least this many.")
        {
            Minimum = 0, Maximum = 32, DefaultText = $"{DefaultSpareRootPorts} (not managed: more or fewer free ports are not a difference)", Example = "8",
            Libvirt = "<controller type='pci' model='pcie-root-port'/> per port",
        })
    {
        Value = s => s.Devices.SpareRootPorts is { } n && IsQ35(s.Machine) ? Num(n) : null,
        Elements = ["devices"],
        Devices = AllDevices,
        // After the devices that take ports (the other toggles render before it): one port each, plus the spare ones.
        Render = (domain, s) =>
        {
            if (!IsQ35(s.Machine)) return;
            var devices = XmlOrder.Ensure(domain, "devices");
            for (var index = 1; index <= PortsTaken(devices) + (s.Devices.SpareRootPorts ?? DefaultSpareRootPorts); index++)
            {
                XmlOrder.Append(devices, new XElement("controller", new XAttribute("type", "pci"), new XAttribute("index", Num(index)), new XAttribute("model", "pcie-root-port")));
            }
        },
        Read = (domain, s) => DomainField.Keep(s, s.Devices.SpareRootPorts, domain.Element("devices") is { } d ? FreeRootPorts(d) : 0,
            static (s, v) => s with { Devices = s.Devices with { SpareRootPorts = v } }),
        // Hotplug takes ports of the running instance: fewer free there than in the definition is no pending restart.
        RunningValueMoves = true,
        Equivalent = (desired, live) => int.TryParse(live, NumberStyles.None, CultureInfo.InvariantCulture, out var have)
            && int.TryParse(desired, NumberStyles.None, CultureInfo.InvariantCulture, out var want) && have >= want,
    };

    /// <summary>In the order the planner lists them and the table documents them.</summary>
    public static readonly IReadOnlyList<DomainField> All = [Rng, Balloon, Tablet, Usb, AgentChannel, Serial, SpareRootPorts];

    public static readonly ObjectDef Def = new("Devices",
        "Reconciler's default devices (virt-install's): each is on unless turned off. Off reads back as off (libvirt's <memballoon model='none'/>, <controller type='usb' model='none'/>), so it is never a difference.",
        [.. All.Select(f => f.Row)]);

    /// <summary><c>spec.devices</c>.</summary>
    public static readonly FieldDef Field = new("devices", FieldType.Object, "Turn Reconciler's default devices off, or leave more root ports for hotplug.")
    {
        Item = Def, DefaultText = "all on, 4 spare root ports", Example = "{balloon: false, tablet: false}", Libvirt = "<devices>",
    };

    /// <summary>
    /// The PCIe root ports the rendered <paramref name="devices"/> take on q35 (libvirt puts each behind one): every
    /// interface, virtio disk, host device and filesystem; the virtio-scsi controller of scsi disks; the USB
    /// controller (libvirt's default when none is written), the virtio-serial controller of any virtio channel,
    /// the balloon and the RNG.
    /// </summary>
    public static int PortsTaken(XElement devices)
    {
        var buses = devices.Elements("disk").Select(d => (string?)d.Element("target")?.Attribute("bus")).ToList();
        var usb = devices.Elements("controller").Where(c => (string?)c.Attribute("type") == "usb").ToList();
        return devices.Elements("interface").Count() + buses.Count(b => b == "virtio") + (buses.Contains("scsi") ? 1 : 0)
            + devices.Elements("hostdev").Count() + devices.Elements("filesystem").Count()
            + (usb.Count == 0 || usb.Any(c => (string?)c.Attribute("model") != "none") ? 1 : 0)
            + (devices.Elements("channel").Any(c => (string?)c.Element("target")?.Attribute("type") == "virtio") ? 1 : 0)
            + devices.Elements("memballoon").Count(b => (string?)b.Attribute("model") != "none")
            + devices.Elements("rng").Count();
    }

    /// <summary>
    /// The <c>pcie-root-port</c> controllers of <paramref name="devices"/> that no device sits behind
    /// (no PCI address of another element names the port's bus).
    /// </summary>
    public static int FreeRootPorts(XElement devices)
    {
        var used = devices.Descendants("address").Where(a => (string?)a.Attribute("type") == "pci").Select(a => Number((string?)a.Attribute("bus"))).ToHashSet();
        return devices.Elements("controller").Count(c => (string?)c.Attribute("type") == "pci" && (string?)c.Attribute("model") == "pcie-root-port"
            && !used.Contains(Number((string?)c.Attribute("index"))));
    }

    private static DomainField Toggle(string name, string description, string libvirt, IReadOnlyList<string> devices,
        Func<DevicesSpec, bool> get, Func<DevicesSpec, bool, DevicesSpec> set, Func<XElement, bool> present, Action<XElement, bool> render,
        Func<DomainSpec, bool>? applies = null) => new(Path.Field(name),
        new FieldDef(name, FieldType.Boolean, description) { Default = true, Example = "false", Libvirt = libvirt })
    {
        Value = s => applies is null || applies(s) ? (get(s.Devices) ? "true" : "false") : null,
        Elements = ["devices"],
        Devices = devices,
        Render = (domain, s) =>
        {
            if (applies is null || applies(s)) render(XmlOrder.Ensure(domain, "devices"), get(s.Devices));
        },
        Read = (domain, s) =>
        {
            var on = domain.Element("devices") is { } d && present(d);
            return on == get(s.Devices) ? s : s with { Devices = set(s.Devices, on) };
        },
    };

    private static bool IsQ35(string machine) => machine == "q35" || machine.StartsWith("pc-q35-", StringComparison.Ordinal);

    /// <summary>A PCI bus or controller index, decimal or 0x-hex; -1 when absent or unreadable (it then matches nothing).</summary>
    private static int Number(string? text)
    {
        if (string.IsNullOrEmpty(text)) return -1;
        var hex = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
        return int.TryParse(hex ? text.AsSpan(2) : text.AsSpan(), hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : -1;
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
