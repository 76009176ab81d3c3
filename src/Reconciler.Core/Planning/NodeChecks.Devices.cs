using System.Globalization;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

public static partial class NodeChecks
{
    /// <summary>
    /// The device checks: each host device the domain is given (<c>hostdev</c>), each host interface
    /// it sits on directly (<c>host-interface</c>) and each SR-IOV VF its interfaces are given
    /// (<c>sriov-vf</c>), against the node's devices (<see cref="NodeHardware.Devices"/>) and the
    /// devices the node's other domains hold (their definitions and running instances).
    /// </summary>
    /// <remarks>
    /// Refused always: a device, interface or VF the node does not have; a VF that is not on an
    /// SR-IOV physical function; a device a running domain holds; a selector with no free match.
    /// Only at start: a device a stopped domain is defined with (only one of them can run), and a
    /// PCI device in no IOMMU group (VFIO cannot assign it: the host's IOMMU is off or absent).
    /// </remarks>
    private static void DeviceChecks(HardwareDemand demand, LiveNode node, NodeHardware hw, List<CheckResult> results)
    {
        if (!demand.NeedsDevices) return;
        var startOnly = demand.Running ? CheckOutcome.Refused : CheckOutcome.Warned;
        var atStart = demand.Running ? "" : " (the domain is stopped: it would fail when started)";
        if (hw.Devices.Value is not { } devices)
        {
            foreach (var h in demand.Hostdevs) results.Add(new("hostdev", CheckOutcome.Skipped, $"host device {Describe(h)} not checked: {hw.Devices.Unavailable}"));
            foreach (var i in demand.HostInterfaces) results.Add(new("host-interface", CheckOutcome.Skipped, $"host interface {i} not checked: {hw.Devices.Unavailable}"));
            foreach (var v in demand.VirtualFunctions) results.Add(new("sriov-vf", CheckOutcome.Skipped, $"VF {v} not checked: {hw.Devices.Unavailable}"));
            return;
        }
        var holders = HostdevHolders.Of(node, demand.Domain);
        foreach (var h in demand.Hostdevs)
        {
            if (h.Pci is { } pci)
            {
                var what = h.Select is { } sel ? $"host PCI device {pci} (chosen for {sel})" : $"host PCI device {pci}";
                if (devices.PciAt(pci) is not { } dev)
                {
                    results.Add(new("hostdev", CheckOutcome.Refused, $"{what} is not on the node ({PciList(devices)})"));
                }
                else if (Held(holders, "pci " + pci, what, startOnly, atStart) is { } held)
                {
                    results.Add(held);
                }
                else if (dev.IommuGroup is null)
                {
                    results.Add(new("hostdev", startOnly, $"{what} is in no IOMMU group: VFIO cannot assign it (turn the IOMMU on: intel_iommu=on or amd_iommu=on){atStart}"));
                }
                else
                {
                    results.Add(new("hostdev", CheckOutcome.Passed, $"{what} ({PciText(dev)}) is free, IOMMU group {N(dev.IommuGroup.Value)}"));
                }
            }
            else if (h.Usb is { } usb)
            {
                var what = $"host USB device {usb.Vendor}:{usb.Product}";
                if (!devices.Usb.Any(u => u.Vendor == usb.Vendor && u.Product == usb.Product))
                {
                    results.Add(new("hostdev", CheckOutcome.Refused, $"{what} is not on the node ({N(devices.Usb.Count)} USB devices: {List(devices.Usb.Select(u => $"{u.Vendor}:{u.Product}"))})"));
                }
                else
                {
                    results.Add(Held(holders, $"usb {usb.Vendor}:{usb.Product}", what, startOnly, atStart) ?? new("hostdev", CheckOutcome.Passed, $"{what} is free"));
                }
            }
            else if (h.Mdev is { } mdev)
            {
                var what = $"mediated device {mdev}";
                if (!devices.Mdevs.Contains(mdev))
                {
                    results.Add(new("hostdev", CheckOutcome.Refused, $"{what} is not on the node ({N(devices.Mdevs.Count)} mediated devices{(devices.Mdevs.Count == 0 ? "" : ": " + List(devices.Mdevs))}; create it with mdevctl)"));
                }
                else
                {
                    results.Add(Held(holders, "mdev " + mdev, what, startOnly, atStart) ?? new("hostdev", CheckOutcome.Passed, $"{what} is free"));
                }
            }
            else if (h.Select is { } select)
            {
                var matching = devices.Pci.Where(p => HostdevSelection.Matches(select, p)).ToList();
                if (matching.FirstOrDefault(m => !holders.Holds("pci " + m.Address)) is { } free)
                {
                    results.Add(new("hostdev", CheckOutcome.Passed, $"a free PCI device for {select} exists ({free.Address})"));
                    continue;
                }
                var detail = matching.Count == 0
                    ? $"the node has no PCI device of {select} ({PciList(devices)})"
                    : $"every PCI device of {select} is held: {string.Join(", ", matching.Select(m => $"{m.Address} by {holders.Describe("pci " + m.Address)}"))}";
                results.Add(new("hostdev", CheckOutcome.Refused, $"no free PCI device for {select}: {detail}"));
            }
        }
        foreach (var name in demand.HostInterfaces)
        {
            results.Add(devices.NetInterfaces.Contains(name)
                ? new("host-interface", CheckOutcome.Passed, $"host interface {name} exists")
                : new("host-interface", CheckOutcome.Refused, $"host interface {name} does not exist on the node (it has {List(devices.NetInterfaces)})"));
        }
        foreach (var vf in demand.VirtualFunctions)
        {
            var what = $"SR-IOV VF {vf}";
            if (devices.PciAt(vf) is not { } dev)
            {
                results.Add(new("sriov-vf", CheckOutcome.Refused, $"{what} is not on the node ({PciList(devices)})"));
            }
            else if (dev.PhysicalFunction is null)
            {
                results.Add(new("sriov-vf", CheckOutcome.Refused, $"PCI device {vf} ({PciText(dev)}) is not a virtual function of an SR-IOV physical function{(dev.SriovCapable ? " (it is a physical function itself: give one of its VFs)" : "")}"));
            }
            else if (Held(holders, "pci " + vf, what, startOnly, atStart, "sriov-vf") is { } held)
            {
                results.Add(held);
            }
            else if (dev.IommuGroup is null)
            {
                results.Add(new("sriov-vf", startOnly, $"{what} is in no IOMMU group: VFIO cannot assign it (turn the IOMMU on){atStart}"));
            }
            else
            {
                results.Add(new("sriov-vf", CheckOutcome.Passed, $"{what} of PF {dev.PhysicalFunction} is free"));
            }
        }
    }

    /// <summary>
    /// The check of a <c>logical</c> pool's devices (<c>spec.devices</c> of a StoragePool): each path
    /// must be a block device the node lists (capability <c>storage</c>). libvirt lists whole disks
    /// only: a loop, device-mapper or md device, a partition and a /dev/disk/by-* link are not
    /// listed, so they are not checked (skipped, and said).
    /// </summary>
    /// <param name="devices">The pool's device paths.</param>
    /// <param name="node">The node the pool is planned on.</param>
    public static IReadOnlyList<CheckResult> PoolDevices(IReadOnlyList<string> devices, LiveNode node)
    {
        var results = new List<CheckResult>();
        var hw = node.Hardware ?? NodeHardware.NotRead("the node's devices were not read");
        foreach (var path in devices)
        {
            if (hw.Devices.Value is not { } listed)
            {
                results.Add(new("pool-device", CheckOutcome.Skipped, $"device {path} not checked: {hw.Devices.Unavailable}"));
            }
            else if (listed.BlockDevices.Contains(path))
            {
                results.Add(new("pool-device", CheckOutcome.Passed, $"block device {path} exists"));
            }
            else if (!Listable(path, listed.BlockDevices))
            {
                results.Add(new("pool-device", CheckOutcome.Skipped, $"device {path} not checked: libvirt lists whole disks only, not loop, device-mapper or md devices, partitions or /dev/disk links"));
            }
            else
            {
                results.Add(new("pool-device", CheckOutcome.Refused, $"block device {path} is not on the node (it has {List(listed.BlockDevices)})"));
            }
        }
        return results;
    }

    /// <summary>Whether libvirt would list <paramref name="path"/> if it existed: a plain /dev/NAME that is not a loop, dm or md device nor a partition of a listed disk.</summary>
    private static bool Listable(string path, IReadOnlyList<string> listed)
    {
        if (!path.StartsWith("/dev/", StringComparison.Ordinal) || path.IndexOf('/', 5) >= 0) return false;
        var name = path[5..];
        if (name.StartsWith("loop", StringComparison.Ordinal) || name.StartsWith("dm-", StringComparison.Ordinal)
            || name.StartsWith("md", StringComparison.Ordinal) || name.StartsWith("nbd", StringComparison.Ordinal)
            || name.StartsWith("zram", StringComparison.Ordinal)) return false;
        return !listed.Any(disk => path.Length > disk.Length && path.StartsWith(disk, StringComparison.Ordinal));
    }

    private static CheckResult? Held(HostdevHolders holders, string key, string what, CheckOutcome startOnly, string atStart, string check = "hostdev")
    {
        var held = holders.Of(key);
        if (held.Count == 0) return null;
        var running = held.Where(h => h.Running).ToList();
        if (running.Count > 0)
        {
            return new(check, CheckOutcome.Refused, $"{what} is in use by running domain {running[0].Text}");
        }
        return new(check, startOnly, $"{what} is also given to stopped domain{(held.Count == 1 ? "" : "s")} {string.Join(", ", held.Select(h => h.Text))}: only one domain can run with it{atStart}");
    }

    private static string Describe(HostdevSpec h) => h.Pci ?? h.Text;

    private static string PciText(HostPciDevice d) =>
        string.Join(", ", new[] { d.ClassCode is { } c ? "class " + c : null, d.Vendor is { } v ? "vendor " + v : null, d.Product is { } p ? "product " + p : null, d.Driver is { } dr ? "driver " + dr : null }.OfType<string>());

    private static string PciList(NodeDevices devices) =>
        devices.Pci.Count == 0 ? "it lists no PCI devices" : $"it has {N(devices.Pci.Count)} PCI devices: {List(devices.Pci.Select(p => p.Address))}";

    private static string List(IEnumerable<string> items)
    {
        var all = items.ToList();
        if (all.Count == 0) return "none";
        return all.Count <= 8 ? string.Join(", ", all) : string.Join(", ", all.Take(8)) + $", … ({N(all.Count - 8)} more)";
    }
}

/// <summary>Which other domains of a node hold which host devices (in their definition or running instance).</summary>
internal sealed class HostdevHolders
{
    private readonly Dictionary<string, List<Holder>> _byKey = new(StringComparer.Ordinal);

    /// <summary>One domain holding a device.</summary>
    /// <param name="Domain">Its name.</param>
    /// <param name="Owner">Reconciler's record, or null for a domain Reconciler does not manage.</param>
    /// <param name="Running">It runs (or is paused): the device is taken now.</param>
    public sealed record Holder(string Domain, OwnerRecord? Owner, bool Running)
    {
        /// <summary><c>'db' (managed by Reconciler from SOURCE)</c> or <c>'db' (not managed by Reconciler)</c>.</summary>
        public string Text => $"'{Domain}' ({(Owner is { } o ? $"managed by Reconciler from {o.Source}" : "not managed by Reconciler")})";
    }

    /// <summary>The devices the domains of <paramref name="node"/> other than <paramref name="self"/> hold.</summary>
    public static HostdevHolders Of(LiveNode node, string self)
    {
        var result = new HostdevHolders();
        foreach (var d in node.Domains)
        {
            if (d.Name == self) continue;
            var running = d.RunState != LiveRunState.Stopped;
            // A VF given as <interface type='hostdev'> is held as much as one given as <hostdev>.
            var vfs = (d.Config?.Interfaces ?? []).Concat(d.Running?.Interfaces ?? []).Select(i => i.Hostdev).OfType<string>()
                .Select(vf => "pci " + HostdevFields.CanonicalPci(vf));
            var keys = (d.Config?.Hostdevs ?? []).Concat(d.Running?.Hostdevs ?? []).Select(Key).OfType<string>().Concat(vfs).Distinct(StringComparer.Ordinal);
            foreach (var key in keys)
            {
                if (!result._byKey.TryGetValue(key, out var list)) result._byKey[key] = list = [];
                list.Add(new Holder(d.Name, d.Owner, running));
            }
        }
        return result;
    }

    /// <summary>The identity of a device, whatever its managed flag: <c>pci 0000:03:00.0</c>, <c>usb 0x046d:0xc52b</c>, <c>mdev UUID</c>.</summary>
    public static string? Key(HostdevSpec h) =>
        h.Pci is { } pci ? "pci " + pci : h.Usb is { } usb ? $"usb {usb.Vendor}:{usb.Product}" : h.Mdev is { } mdev ? "mdev " + mdev : null;

    /// <summary>The domains holding the device <paramref name="key"/>, running ones first.</summary>
    public IReadOnlyList<Holder> Of(string key) =>
        _byKey.TryGetValue(key, out var list) ? list.OrderByDescending(h => h.Running).ThenBy(h => h.Domain, StringComparer.Ordinal).ToList() : [];

    /// <summary>Whether any other domain holds <paramref name="key"/>.</summary>
    public bool Holds(string key) => _byKey.ContainsKey(key);

    /// <summary>The holders of <paramref name="key"/> as text, or <c>nobody</c>.</summary>
    public string Describe(string key) => Of(key) is { Count: > 0 } h ? string.Join(", ", h.Select(x => x.Text)) : "nobody";
}
