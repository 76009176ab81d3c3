using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>The planner on the interface options and spec.devices: no change when equal, the disruption libvirt allows when not.</summary>
public sealed class NicPlanTests
{
    private static readonly InterfaceSpec Ovs = new(null, "ovsbr0", "virtio", "52:54:00:00:00:01") { Virtualport = "openvswitch", Vlan = new VlanSpec([10]) };
    private static readonly InterfaceSpec Slirp = new(null, null, "virtio", "52:54:00:00:00:02") { User = true, LinkState = "up" };

    private static ResourceChange Change(DomainSpec live, DomainSpec desired, int freeSlots = 0) =>
        Assert.Single(Planner.Compute(Set(desired), [Node(Live(live, LiveRunState.Running) with { FreeHotplugSlots = freeSlots })], new PlanOptions()).Changes);

    private static Disruption Of(ResourceChange change, string path) => change.Fields.Single(f => f.Path == path).Disruption;

    [Fact]
    public void Equal_interface_options_and_devices_are_no_change()
    {
        var d = Domain("d", x => x with { Interfaces = [Ovs, Slirp], Devices = new DevicesSpec(Balloon: false, Usb: false, SpareRootPorts: 2) });
        Assert.Empty(DomainFields.Diff(d, d));
        // A vlan written as one tag and as {tags: [t]} is the same; several tags are a trunk whether trunk is written or not.
        Assert.Equal(new VlanSpec([10]), new VlanSpec([10], Trunk: false));
        Assert.Equal(new VlanSpec([10, 20]).Text, new VlanSpec([10, 20], Trunk: true).Text);
        Assert.NotEqual(new VlanSpec([10]).Text, new VlanSpec([10], Trunk: true).Text);
    }

    [Fact]
    public void Link_state_of_an_existing_nic_is_live()
    {
        var live = Domain("d", x => x with { Interfaces = [Slirp] });
        var change = Change(live, live with { Interfaces = [Slirp with { LinkState = "down" }] });
        Assert.Equal(Disruption.Live, Of(change, "spec.interfaces[0].linkState"));
        Assert.Equal(Disruption.Live, change.Disruption);
    }

    [Fact]
    public void Vlan_is_live_on_open_vswitch_and_next_boot_elsewhere()
    {
        var live = Domain("d", x => x with { Interfaces = [Ovs] });
        Assert.Equal(Disruption.Live, Of(Change(live, live with { Interfaces = [Ovs with { Vlan = new VlanSpec([10, 20], true) }] }), "spec.interfaces[0].vlan"));

        var vf = new InterfaceSpec(null, null, "virtio", "52:54:00:00:00:03") { Hostdev = "0000:03:10.1", Vlan = new VlanSpec([30]) };
        var withVf = Domain("d", x => x with { Interfaces = [vf] });
        Assert.Equal(Disruption.NextBoot, Of(Change(withVf, withVf with { Interfaces = [vf with { Vlan = new VlanSpec([31]) }] }), "spec.interfaces[0].vlan"));
    }

    [Fact]
    public void A_live_field_beside_a_next_boot_field_of_the_same_nic_waits_for_the_next_boot()
    {
        var live = Domain("d", x => x with { Interfaces = [Slirp] });
        var change = Change(live, live with { Interfaces = [Slirp with { LinkState = "down", Model = "e1000e" }] });
        Assert.Equal(Disruption.NextBoot, Of(change, "spec.interfaces[0].linkState"));
        Assert.Equal(Disruption.NextBoot, Of(change, "spec.interfaces[0].model"));
        Assert.Equal(Disruption.NextBoot, Of(Change(live, live with { Interfaces = [Slirp with { Mtu = 9000 }] }), "spec.interfaces[0].mtu"));
    }

    [Fact]
    public void Hot_plugging_a_macvtap_nic_is_live_while_a_slot_is_free()
    {
        var live = Domain("d");
        var desired = live with { Interfaces = [new InterfaceSpec(null, null, "virtio", null) { Direct = new DirectSpec("eth0") }] };
        Assert.Equal(Disruption.Live, Of(Change(live, desired, freeSlots: 1), "spec.interfaces[0].direct"));
        Assert.Equal(Disruption.NextBoot, Of(Change(live, desired, freeSlots: 0), "spec.interfaces[0].direct"));
    }

    [Fact]
    public void A_default_device_turned_off_is_a_next_boot_change_and_spare_root_ports_count_as_at_least()
    {
        var live = Domain("d", x => x with { Devices = DevicesSpec.Default with { SpareRootPorts = 4 } });
        var change = Change(live, live with { Devices = live.Devices with { Balloon = false, Rng = false } });
        Assert.Equal(Disruption.NextBoot, Of(change, "spec.devices.balloon"));
        Assert.Equal(Disruption.NextBoot, Of(change, "spec.devices.rng"));
        Assert.Equal(2, change.Fields.Count);

        // Fewer wanted than the definition has free is no change; more is.
        Assert.Empty(DomainFields.Diff(live with { Devices = live.Devices with { SpareRootPorts = 2 } }, live));
        var more = Assert.Single(DomainFields.Diff(live with { Devices = live.Devices with { SpareRootPorts = 6 } }, live));
        Assert.Equal(("spec.devices.spareRootPorts", "4", "6"), (more.Path, more.Before, more.After));
        // Not written: not owned.
        Assert.Empty(DomainFields.Diff(live with { Devices = DevicesSpec.Default }, live with { Devices = DevicesSpec.Default with { SpareRootPorts = 0 } }));
    }

    [Fact]
    public void The_tablet_is_not_compared_without_a_graphical_console()
    {
        var live = Domain("d", x => x with { Graphics = new GraphicsSpec(GraphicsType.None), Devices = DevicesSpec.Default with { Tablet = false } });
        Assert.Empty(DomainFields.Diff(live with { Devices = DevicesSpec.Default }, live));
        var vnc = live with { Graphics = new GraphicsSpec(GraphicsType.Vnc) };
        Assert.Equal("spec.devices.tablet", Assert.Single(DomainFields.Diff(vnc with { Devices = DevicesSpec.Default }, vnc)).Path);
    }
}
