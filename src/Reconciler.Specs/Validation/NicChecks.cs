using FluentValidation;
namespace Reconciler.Specs.Validation;

/// <summary>
/// The rules of an interface's attachment and options (NicFields) that a row cannot state — what
/// libvirt accepts on which attachment — and of <c>spec.devices</c> against the devices that need them.
/// </summary>
internal static partial class NicChecks
{
    public static void Check(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        var maxVcpus = d.MaxVcpus ?? d.Vcpus;
        for (var i = 0; i < d.Interfaces.Count; i++) CheckInterface(d.Interfaces[i], $"spec.interfaces[{i}]", maxVcpus, ctx);
        CheckBootOrders(d, ctx);
        CheckDevices(d, ctx);
    }

    private static void CheckInterface(InterfaceSpec n, string p, int maxVcpus, ValidationContext<DomainSpec> ctx)
    {
        var attachments = new[] { ("network", n.Network is not null), ("bridge", n.Bridge is not null), ("direct", n.Direct is not null), ("hostdev", n.Hostdev is not null), ("user", n.User) }
            .Where(a => a.Item2).Select(a => a.Item1).ToList();
        if (attachments.Count > 1)
        {
            Failures.Add(ctx, ConflictingFields, p, $"an interface has one attachment, not {string.Join(" and ", attachments)}", "keep one of network, bridge, direct, hostdev or user");
        }
        else if (attachments.Count == 0)
        {
            Failures.Add(ctx, MissingField, p, "an interface needs a network, bridge, direct, hostdev or user", "add network: default, bridge: br0, direct: {dev: eth0}, hostdev: \"0000:03:10.1\" or user: true");
        }
        if (n.Hostdev is { } address && !PciRegex().IsMatch(address))
        {
            Failures.Add(ctx, InvalidAddress, p + ".hostdev", $"'{Failures.Printable(address)}' is not a PCI address", "domain:bus:slot.function in hex, e.g. \"0000:03:10.1\" (quote it in YAML; lspci -D lists them)");
        }
        if (n.Direct is { } direct)
        {
            if (!HostInterfaceRegex().IsMatch(direct.Dev))
            {
                Failures.Add(ctx, InvalidValue, p + ".direct.dev", $"'{Failures.Printable(direct.Dev)}' is not a host interface name", "up to 15 letters, digits and _ . -, e.g. eth0");
            }
            if (!NicFields.DirectModes.Contains(direct.Mode))
            {
                Failures.Add(ctx, InvalidEnum, p + ".direct.mode", $"'{Failures.Printable(direct.Mode)}' is not a macvtap mode", "allowed values: " + string.Join(", ", NicFields.DirectModes));
            }
        }
        if (n.Virtualport is { } port && n.Bridge is null)
        {
            Failures.Add(ctx, ConflictingFields, p + ".virtualport", $"virtualport: {port} is only used with bridge", "attach the interface to the Open vSwitch bridge with bridge:, or remove virtualport");
        }
        if (n.Vlan is { } vlan) CheckVlan(n, vlan, p, ctx);
        var kind = n.Hostdev is not null ? "an SR-IOV VF (hostdev)" : n.User ? "a user-mode interface" : null;
        if (n.Mtu is not null && n.Network is null && n.Bridge is null)
        {
            Failures.Add(ctx, ConflictingFields, p + ".mtu", $"mtu is only set on a network or bridge interface (libvirt refuses it on {AttachmentName(n)})",
                "remove mtu (a VF or macvtap takes the MTU of the host interface: set it on the node)");
        }
        if (n.Queues is { } queues)
        {
            if (kind is not null)
            {
                Failures.Add(ctx, ConflictingFields, p + ".queues", $"queues cannot be set on {kind}", "multiqueue is for virtio NICs on a network, bridge or direct");
            }
            else if (n.Model != "virtio")
            {
                Failures.Add(ctx, ConflictingFields, p + ".queues", $"queues needs model virtio, not {Failures.Printable(n.Model)}", "use model: virtio, or remove queues", p + ".model");
            }
            if (queues > maxVcpus)
            {
                Failures.Add(ctx, OutOfRange, p + ".queues", $"queues ({queues}) is more than the domain's vCPUs ({maxVcpus})",
                    "use at most one queue pair per vCPU, or raise vcpus/maxVcpus", "spec.vcpus", "spec.maxVcpus");
            }
        }
        if (n.LinkState is not null && n.Hostdev is not null)
        {
            Failures.Add(ctx, ConflictingFields, p + ".linkState", "linkState cannot be set on an SR-IOV VF (hostdev)", "remove linkState (the VF's link follows the PF)");
        }
    }

    private static string AttachmentName(InterfaceSpec n) => n.Direct is not null ? "direct (macvtap)" : n.Hostdev is not null ? "hostdev" : n.User ? "user" : "this interface";

    /// <summary>libvirt applies VLAN tags only on Open vSwitch, SR-IOV VFs (hostdev, macvtap passthrough) and networks of those.</summary>
    private static void CheckVlan(InterfaceSpec n, VlanSpec vlan, string p, ValidationContext<DomainSpec> ctx)
    {
        var path = p + ".vlan";
        if (vlan.Tags.Count == 0)
        {
            Failures.Add(ctx, MissingField, path + ".tags", vlan.Trunk ? "a trunk needs its tags" : "vlan lists no tag", "e.g. vlan: {tags: [10, 20], trunk: true}, or vlan: 100");
        }
        var seen = new HashSet<int>();
        for (var i = 0; i < vlan.Tags.Count; i++)
        {
            var tag = vlan.Tags[i];
            if (tag is < 1 or > 4094)
            {
                Failures.Add(ctx, OutOfRange, $"{path}.tags[{i}]", $"VLAN tag {tag} is outside 1–4094", "VLAN ids are 1 to 4094 (0 and 4095 are reserved)");
            }
            else if (!seen.Add(tag))
            {
                Failures.Add(ctx, InvalidValue, $"{path}.tags[{i}]", $"VLAN tag {tag} is listed twice", "list each tag once");
            }
        }
        string? refusal = n switch
        {
            { Bridge: not null, Virtualport: null } => "a vlan on a bridge needs virtualport: openvswitch (libvirt tags VLANs only on Open vSwitch bridges)",
            { Direct: { Mode: not "passthrough" } } => "a vlan on a direct (macvtap) interface needs mode passthrough (an SR-IOV VF)",
            { User: true } => "a user-mode interface cannot carry VLAN tags",
            _ => null,
        };
        if (refusal is not null)
        {
            Failures.Add(ctx, ConflictingFields, path, refusal, "use an Open vSwitch bridge (bridge: … with virtualport: openvswitch), an SR-IOV VF (hostdev), or a network that tags, or remove vlan");
            return;
        }
        var trunk = vlan.Trunk || vlan.Tags.Count > 1;
        if (trunk && (n.Hostdev is not null || n.Direct is not null))
        {
            Failures.Add(ctx, ConflictingFields, path, "an SR-IOV VF takes one VLAN tag, not a trunk", "give one tag (vlan: 30); trunks need an Open vSwitch bridge");
        }
    }

    /// <summary>Boot orders are unique across disks and interfaces, and not together with boot.order (libvirt refuses both).</summary>
    private static void CheckBootOrders(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        // Duplicates among the disks are the disk rule's; the first disk of an order stands for it.
        var disks = new Dictionary<int, int>();
        for (var i = 0; i < d.Disks.Count; i++)
        {
            if (d.Disks[i].Boot is { } order) disks.TryAdd(order, i);
        }
        var nics = new Dictionary<int, int>();
        for (var i = 0; i < d.Interfaces.Count; i++)
        {
            if (d.Interfaces[i].Boot is not { } order) continue;
            var path = $"spec.interfaces[{i}].boot";
            if (d.BootOrder is not null)
            {
                Failures.Add(ctx, ConflictingFields, path, "an interface's boot cannot be used together with boot.order; libvirt refuses both",
                    "keep one: boot.order for device types, or boot: on single devices", "spec.boot.order");
            }
            else if (disks.TryGetValue(order, out var disk))
            {
                Failures.Add(ctx, InvalidValue, path, $"disks[{disk}] already has boot order {order}", "boot orders must differ across disks and interfaces", $"spec.disks[{disk}].boot");
            }
            else if (nics.TryGetValue(order, out var first))
            {
                Failures.Add(ctx, InvalidValue, path, $"interfaces[{first}] already has boot order {order}", "boot orders must differ across disks and interfaces");
            }
            else
            {
                nics[order] = i;
            }
        }
    }

    /// <summary>The default devices turned off against what needs them.</summary>
    private static void CheckDevices(DomainSpec d, ValidationContext<DomainSpec> ctx)
    {
        var on = d.Devices;
        if (!on.Usb && on.Tablet && d.Graphics.Type != GraphicsType.None)
        {
            Failures.Add(ctx, ConflictingFields, "spec.devices.tablet", "the tablet is a USB device, but usb is off", "turn the tablet off too (tablet: false), or keep usb", "spec.devices.usb");
        }
        if (!on.Usb && d.Disks.Select((disk, i) => (disk, i)).FirstOrDefault(x => x.disk.Bus == "usb") is { disk: not null } usbDisk)
        {
            Failures.Add(ctx, ConflictingFields, "spec.devices.usb", $"disks[{usbDisk.i}] is on the usb bus, but usb is off", "keep usb, or put the disk on another bus", $"spec.disks[{usbDisk.i}].bus");
        }
        if (!on.Serial && d.Console is not null)
        {
            Failures.Add(ctx, ConflictingFields, "spec.devices.serial", "spec.console logs the serial port, but serial is off", "keep serial, or remove console", "spec.console.log");
        }
    }

    [GeneratedRegex(NicFields.PciAddress)]
    private static partial Regex PciRegex();

    [GeneratedRegex(NicFields.HostInterface)]
    private static partial Regex HostInterfaceRegex();
}
