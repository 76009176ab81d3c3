using Reconciler.Core.Diagnostics;
using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>
/// Node devices and the host-device checks. TestData/nodedev holds <c>qemu-system-*.xml</c>, captured
/// with <c>virsh -c qemu:///system nodedev-dumpxml</c> for every device of this project's test machine
/// (a VM: six virtual PCI devices, no IOMMU, no USB, no SR-IOV), and documents written by hand in
/// libvirt's node-device format for what the machine lacks (an SR-IOV PF and VF, a GPU, a USB
/// device, a mediated device), since real passthrough hardware cannot be had here.
/// </summary>
public sealed class HostdevCheckTests
{
    private static string[] Files(string prefix) =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "TestData", "nodedev"), prefix + "*.xml").Order(StringComparer.Ordinal).ToArray();

    private static readonly NodeDevices Here = NodeDevices.Parse(Files("qemu-system-").Select(File.ReadAllText));

    private static readonly NodeDevices Rich = NodeDevices.Parse(Files("").Select(File.ReadAllText));

    private static LiveNode NodeOf(NodeDevices devices, string name = "hv1", params LiveDomain[] domains) =>
        new LiveNode(name, $"qemu+tcp://{name}/system", "kvm", domains)
        {
            Hardware = NodeHardware.NotRead("not needed") with { Devices = HardwareAnswer<NodeDevices>.Of(devices) },
            Capacity = new NodeCapacity(8, 16UL << 30, null),
        };

    private static HardwareDemand Demand(bool running = true, IReadOnlyList<HostdevSpec>? hostdevs = null, IReadOnlyList<string>? interfaces = null, IReadOnlyList<string>? vfs = null) =>
        NodeChecksTests.Demand(d => d with { Running = running }) with
        {
            Domain = "vm",
            Hostdevs = hostdevs ?? [],
            HostInterfaces = interfaces ?? [],
            VirtualFunctions = vfs ?? [],
        };

    private static CheckResult Only(IReadOnlyList<CheckResult> results) => Assert.Single(results);

    [Fact]
    public void The_captured_devices_of_this_machine_parse_into_PCI_devices_interfaces_and_disks()
    {
        Assert.Equal(["0000:00:00.0", "0000:00:01.0", "0000:00:02.0", "0000:00:03.0", "0000:00:04.0", "0000:00:05.0"], Here.Pci.Select(p => p.Address));
        var nic = Here.PciAt("0000:00:03.0")!;
        Assert.Equal(("0x020000", "1af4", "1041", "virtio-pci"), (nic.ClassCode, nic.Vendor, nic.Product, nic.Driver));
        Assert.All(Here.Pci, p => Assert.Null(p.IommuGroup));
        Assert.All(Here.Pci, p => Assert.False(p.SriovCapable));
        Assert.Contains("eth0", Here.NetInterfaces);
        Assert.Equal(["/dev/vda"], Here.BlockDevices);
        Assert.Empty(Here.Usb);
        Assert.Empty(Here.Mdevs);
    }

    [Fact]
    public void SR_IOV_functions_IOMMU_groups_USB_and_mediated_devices_are_read()
    {
        var pf = Rich.PciAt("0000:03:00.0")!;
        Assert.True(pf.SriovCapable);
        Assert.Equal(["0000:03:10.0", "0000:03:10.2"], pf.VirtualFunctions);
        Assert.Equal(15, pf.IommuGroup);
        Assert.Equal("0000:03:00.0", Rich.PciAt("0000:03:10.0")!.PhysicalFunction);
        Assert.Equal(("10de", "1eb8", 40), (Rich.PciAt("0000:65:00.0")!.Vendor, Rich.PciAt("0000:65:00.0")!.Product, Rich.PciAt("0000:65:00.0")!.IommuGroup));
        Assert.Equal(new HostUsbDevice("0x046d", "0xc52b"), Assert.Single(Rich.Usb));
        Assert.Equal(["4b20d080-1b54-4048-85b3-a6a62d165c01"], Rich.Mdevs);
    }

    [Fact]
    public void A_device_the_node_lacks_is_refused_naming_it_even_for_a_stopped_domain()
    {
        var r = Only(NodeChecks.Run(Demand(running: false, [new HostdevSpec { Pci = "0000:7f:1f.7" }]), NodeOf(Here)));
        Assert.Equal(("hostdev", CheckOutcome.Refused), (r.Check, r.Outcome));
        Assert.StartsWith("host PCI device 0000:7f:1f.7 is not on the node (it has 6 PCI devices: 0000:00:00.0", r.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_with_no_IOMMU_group_refuses_a_running_domain_and_warns_for_a_stopped_one()
    {
        var want = new HostdevSpec { Pci = "0000:00:04.0" };
        Assert.Equal(CheckOutcome.Refused, Only(NodeChecks.Run(Demand(running: true, [want]), NodeOf(Here))).Outcome);
        var r = Only(NodeChecks.Run(Demand(running: false, [want]), NodeOf(Here)));
        Assert.Equal(CheckOutcome.Warned, r.Outcome);
        Assert.Contains("in no IOMMU group", r.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_device_a_running_domain_holds_is_refused_naming_the_domain_and_whether_Reconciler_manages_it()
    {
        var holder = Live(Domain("db", d => d with { Hostdevs = [new HostdevSpec { Pci = "0000:65:00.0" }] }), LiveRunState.Running, source: null);
        var r = Only(NodeChecks.Run(Demand(running: false, [new HostdevSpec { Pci = "0000:65:00.0" }]), NodeOf(Rich, domains: holder)));
        Assert.Equal(CheckOutcome.Refused, r.Outcome);
        Assert.Equal("host PCI device 0000:65:00.0 is in use by running domain 'db' (not managed by Reconciler)", r.Detail);

        var ours = Live(Domain("db", d => d with { Hostdevs = [new HostdevSpec { Pci = "0000:65:00.0" }] }), LiveRunState.Stopped);
        var s = Only(NodeChecks.Run(Demand(running: true, [new HostdevSpec { Pci = "0000:65:00.0" }]), NodeOf(Rich, domains: ours)));
        Assert.Equal(CheckOutcome.Refused, s.Outcome);
        Assert.Contains("also given to stopped domain 'db' (managed by Reconciler from /specs)", s.Detail, StringComparison.Ordinal);

        // The domain itself is not another domain.
        var self = Live(Domain("vm", d => d with { Hostdevs = [new HostdevSpec { Pci = "0000:65:00.0" }] }), LiveRunState.Running);
        Assert.Equal(CheckOutcome.Passed, Only(NodeChecks.Run(Demand(running: true, [new HostdevSpec { Pci = "0000:65:00.0" }]), NodeOf(Rich, domains: self))).Outcome);
    }

    [Fact]
    public void USB_and_mediated_devices_are_checked_against_the_node()
    {
        var results = NodeChecks.Run(Demand(true, [
            new HostdevSpec { Usb = new UsbDeviceId("0x046d", "0xc52b") },
            new HostdevSpec { Usb = new UsbDeviceId("0x1234", "0x5678") },
            new HostdevSpec { Mdev = "4b20d080-1b54-4048-85b3-a6a62d165c01", Model = "vfio-pci" },
            new HostdevSpec { Mdev = "00000000-1b54-4048-85b3-a6a62d165c01", Model = "vfio-pci" },
        ]), NodeOf(Rich));
        Assert.Equal([CheckOutcome.Passed, CheckOutcome.Refused, CheckOutcome.Passed, CheckOutcome.Refused], results.Select(r => r.Outcome));
        Assert.StartsWith("host USB device 0x1234:0x5678 is not on the node", results[1].Detail, StringComparison.Ordinal);
        Assert.StartsWith("mediated device 00000000-1b54-4048-85b3-a6a62d165c01 is not on the node", results[3].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_VF_must_be_a_virtual_function_of_an_SR_IOV_PF_on_the_node()
    {
        var results = NodeChecks.Run(Demand(vfs: ["0000:03:10.0", "0000:03:00.0", "0000:00:03.0", "0000:03:10.4"]), NodeOf(NodeDevices.Parse(Files("").Select(File.ReadAllText))));
        Assert.All(results, r => Assert.Equal("sriov-vf", r.Check));
        Assert.Equal([CheckOutcome.Passed, CheckOutcome.Refused, CheckOutcome.Refused, CheckOutcome.Refused], results.Select(r => r.Outcome));
        Assert.Equal("SR-IOV VF 0000:03:10.0 of PF 0000:03:00.0 is free", results[0].Detail);
        Assert.Contains("is not a virtual function of an SR-IOV physical function (it is a physical function itself", results[1].Detail, StringComparison.Ordinal);
        Assert.StartsWith("PCI device 0000:00:03.0 (class 0x020000, vendor 1af4, product 1041, driver virtio-pci) is not a virtual function", results[2].Detail, StringComparison.Ordinal);
        Assert.StartsWith("SR-IOV VF 0000:03:10.4 is not on the node", results[3].Detail, StringComparison.Ordinal);

        // A VF another domain's hostdev holds is refused as a VF.
        var holder = Live(Domain("other", d => d with { Hostdevs = [new HostdevSpec { Pci = "0000:03:10.0" }] }), LiveRunState.Running, source: null);
        var held = Only(NodeChecks.Run(Demand(vfs: ["0000:03:10.0"]), NodeOf(Rich, domains: holder)));
        Assert.Equal(("sriov-vf", CheckOutcome.Refused), (held.Check, held.Outcome));
        Assert.Equal("SR-IOV VF 0000:03:10.0 is in use by running domain 'other' (not managed by Reconciler)", held.Detail);
    }

    [Fact]
    public void A_direct_interface_needs_the_host_interface()
    {
        var results = NodeChecks.Run(Demand(interfaces: ["eth0", "eth9"]), NodeOf(Here));
        Assert.Equal([CheckOutcome.Passed, CheckOutcome.Refused], results.Select(r => r.Outcome));
        Assert.StartsWith("host interface eth9 does not exist on the node (it has eth0,", results[1].Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_specs_direct_and_VF_interfaces_are_checked_and_a_VF_another_domains_interface_holds_is_refused()
    {
        var spec = Domain("web", d => d with
        {
            Interfaces = [new InterfaceSpec(null, null, "virtio", null) { Direct = new DirectSpec("eth9") }, new InterfaceSpec(null, null, "virtio", null) { Hostdev = "0000:03:10.0" }],
        });
        var demand = HardwareDemand.Of(spec);
        Assert.Equal(["eth9"], demand.HostInterfaces);
        Assert.Equal(["0000:03:10.0"], demand.VirtualFunctions);
        var missing = NodeChecks.Run(demand, NodeOf(Here));
        Assert.Contains(missing, r => r.Check == "host-interface" && r.Outcome == CheckOutcome.Refused && r.Detail.StartsWith("host interface eth9 does not exist", StringComparison.Ordinal));

        var holder = Live(Domain("other", d => d with { Interfaces = [new InterfaceSpec(null, null, "virtio", null) { Hostdev = "0000:03:10.0" }] }), LiveRunState.Running, source: null);
        var held = Only(NodeChecks.Run(HardwareDemand.Of(spec with { Interfaces = [spec.Interfaces[1]] }), NodeOf(Rich, domains: holder)));
        Assert.Equal(("sriov-vf", CheckOutcome.Refused), (held.Check, held.Outcome));
        Assert.Equal("SR-IOV VF 0000:03:10.0 is in use by running domain 'other' (not managed by Reconciler)", held.Detail);
    }

    [Fact]
    public void A_logical_pool_device_must_be_a_listed_disk_and_devices_libvirt_does_not_list_are_skipped_and_said()
    {
        var results = NodeChecks.PoolDevices(["/dev/vda", "/dev/sdz", "/dev/loop3", "/dev/vda2", "/dev/disk/by-id/x"], NodeOf(Here));
        Assert.Equal([CheckOutcome.Passed, CheckOutcome.Refused, CheckOutcome.Skipped, CheckOutcome.Skipped, CheckOutcome.Skipped], results.Select(r => r.Outcome));
        Assert.Equal("block device /dev/sdz is not on the node (it has /dev/vda)", results[1].Detail);
    }

    [Fact]
    public void The_plan_refuses_a_new_logical_pool_on_a_disk_the_node_lacks_and_says_when_a_device_cannot_be_checked()
    {
        static StoragePoolSpec Pool(string name, string device) =>
            new(new ResourceMeta(name, new Dictionary<string, string>(), SpecOrigin.InMemory("p.yaml")), null, StoragePoolType.Logical, "", true,
                new PoolSource([device], name), Build: true);
        var set = Specs.Set() with { Pools = [Pool("vg-missing", "/dev/sdz"), Pool("vg-here", "/dev/vda"), Pool("vg-loop", "/dev/loop3")] };
        var plan = Planner.Compute(set, [NodeOf(Here)], new PlanOptions());
        var refused = Assert.Single(plan.Diagnostics, d => d.Code == Planner.CheckRefusedCode);
        Assert.Contains("storage pool 'vg-missing'", refused.Message, StringComparison.Ordinal);
        Assert.Contains("/dev/sdz is not on the node", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(plan.Changes, c => c.Name == "vg-missing");
        Assert.Single(plan.Changes, c => c.Name == "vg-here" && c.Action == ChangeAction.Create);
        Assert.Single(plan.Changes, c => c.Name == "vg-loop" && c.Action == ChangeAction.Create);
        var skipped = Assert.Single(plan.Diagnostics, d => d.Code == Planner.CheckSkippedCode);
        Assert.Contains("storage pool 'vg-loop'", skipped.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_the_node_devices_each_device_check_is_skipped_with_the_reason()
    {
        var node = NodeOf(Here) with { Hardware = NodeHardware.NotRead("the node's driver does not support virConnectListAllNodeDevices") };
        var r = Only(NodeChecks.Run(Demand(hostdevs: [new HostdevSpec { Pci = "0000:00:04.0" }]), node));
        Assert.Equal(CheckOutcome.Skipped, r.Outcome);
        Assert.Contains("does not support virConnectListAllNodeDevices", r.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_plan_refuses_a_domain_whose_device_is_missing_and_locates_it_at_spec_hostdevs()
    {
        var plan = Planner.Compute(Set(Domain("vm", d => d with { Hostdevs = [new HostdevSpec { Pci = "0000:7f:1f.7" }] }), Domain("plain")),
            [NodeOf(Here)], new PlanOptions());
        Assert.Equal(["plain"], plan.Changes.Select(c => c.Name));
        var error = Assert.Single(plan.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal((Planner.CheckRefusedCode, "spec.hostdevs"), (error.Code, error.FieldPath));
        Assert.Contains("domain 'vm' is refused on node 'hv1': hostdev: host PCI device 0000:7f:1f.7 is not on the node", error.Message, StringComparison.Ordinal);
    }

    private static NodeSpec NodeSpecOf(string name) =>
        new(new ResourceMeta(name, new Dictionary<string, string>(), SpecOrigin.InMemory("nodes.yaml")), $"qemu+tcp://{name}/system");

    [Fact]
    public void Placement_only_considers_nodes_with_a_free_matching_device_and_records_the_device_it_chose()
    {
        var spec = Domain("ml", d => d with
        {
            State = PowerState.Stopped,
            Hostdevs = [new HostdevSpec { Select = new HostdevSelector("gpu", "10de", null) }],
            Placement = new PlacementSpec(new Dictionary<string, string>()),
        });
        var set = new SpecSet(Source, "rev1", [NodeSpecOf("a"), NodeSpecOf("b")], [spec]);
        // a has more memory but no GPU.
        var a = NodeOf(Here, "a") with { Capacity = new NodeCapacity(8, 64UL << 30, null) };
        var plan = Planner.Compute(set, [a, NodeOf(Rich, "b")], new PlanOptions());
        var change = Assert.IsType<DomainCreate>(Assert.Single(plan.Changes));
        Assert.Equal("b", change.Node);
        Assert.Contains("excluded by node checks: a (hostdev: no free PCI device for class gpu vendor 10de: the node has no PCI device of class gpu vendor 10de", change.Placement);
        Assert.EndsWith("; hostdevs: class gpu vendor 10de → 0000:65:00.0", change.Placement, StringComparison.Ordinal);
        Assert.Equal("0000:65:00.0", Assert.Single(change.Desired.Hostdevs).Pci);

        // When the GPU is held by a running domain on b, no node fits.
        var holder = Live(Domain("other", d => d with { Hostdevs = [new HostdevSpec { Pci = "0000:65:00.0" }] }), LiveRunState.Running, source: null);
        var none = Planner.Compute(set, [a, NodeOf(Rich, "b", holder)], new PlanOptions());
        var error = Assert.Single(none.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(Placement.InfeasibleCode, error.Code);
        Assert.Contains("b (no free PCI device for class gpu vendor 10de: every PCI device of class gpu vendor 10de is held: 0000:65:00.0 by 'other' (not managed by Reconciler))", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Adding_or_removing_PCI_and_USB_devices_is_live_on_a_running_domain_and_an_mdev_change_waits_for_the_next_boot()
    {
        var pci = new HostdevSpec { Pci = "0000:65:00.0" };
        var usb = new HostdevSpec { Usb = new UsbDeviceId("0x046d", "0xc52b") };
        var mdev = new HostdevSpec { Mdev = "4b20d080-1b54-4048-85b3-a6a62d165c01", Model = "vfio-pci" };
        Disruption Class(IReadOnlyList<HostdevSpec> before, IReadOnlyList<HostdevSpec> after, LiveRunState state = LiveRunState.Running, int freeSlots = 4)
        {
            var config = Domain("vm", d => d with { Hostdevs = before });
            var desired = Domain("vm", d => d with { Hostdevs = after });
            var diff = new FieldDiff("spec.hostdevs", HostdevFields.ListText(before), HostdevFields.ListText(after));
            return Assert.Single(Disruptions.Classify([diff], desired, Live(config, state) with { FreeHotplugSlots = freeSlots }, now: null)).Disruption;
        }
        // A PCI device needs a free hotplug slot; a USB device does not.
        Assert.Equal(Disruption.NextBoot, Class([], [pci], freeSlots: 0));
        Assert.Equal(Disruption.Live, Class([], [usb], freeSlots: 0));
        Assert.Equal(Disruption.Live, Class([pci], [], freeSlots: 0));
        Assert.Equal(Disruption.Live, Class([], [pci, usb]));
        Assert.Equal(Disruption.Live, Class([pci, usb], [usb]));
        Assert.Equal(Disruption.NextBoot, Class([pci], [pci, mdev]));
        Assert.Equal(Disruption.NextBoot, Class([mdev], []));
        // Changing managed is a detach and an attach of the same PCI device: live too.
        Assert.Equal(Disruption.Live, Class([pci], [pci with { Managed = false }]));
        Assert.Equal(Disruption.None, Class([], [mdev], LiveRunState.Stopped));
        // Order is not a difference.
        Assert.Equal(HostdevFields.ListText([pci, usb]), HostdevFields.ListText([usb, pci]));
        Assert.Equal("none", HostdevFields.ListText([]));
    }
}
