using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>spec.interfaces' attachments and options and spec.devices: loaded into the model, refused with located errors.</summary>
public sealed class NicSpecTests
{
    private static LoadResult Nics(string items, string more = "") => T.Domain("  vcpus: 2\n  interfaces:\n" + items + more);

    [Fact]
    public void Every_interface_form_and_the_devices_are_loaded()
    {
        var d = T.OneDomain(Nics("""
                - {network: default, mtu: 9000, queues: 2, linkState: down, boot: 2}
                - {bridge: ovsbr1, virtualport: openvswitch, vlan: 100}
                - {bridge: ovsbr0, virtualport: openvswitch, vlan: {tags: [10, 20], trunk: true}}
                - {direct: {dev: eth0}}
                - {hostdev: "0000:03:1F.1", mac: "52:54:00:00:00:10", vlan: 30}
                - {user: true}

            """, "  devices: {balloon: false, tablet: false, spareRootPorts: 8}\n"));
        var n = d.Interfaces;
        Assert.Equal((9000, 2, "down", 2), (n[0].Mtu, n[0].Queues, n[0].LinkState, n[0].Boot));
        Assert.Equal(("openvswitch", new VlanSpec([100])), (n[1].Virtualport, n[1].Vlan));
        Assert.Equal("10,20 trunk", n[2].Vlan!.Text);
        Assert.Equal(new DirectSpec("eth0", "bridge"), n[3].Direct); // mode defaults to bridge
        Assert.Equal(("0000:03:1f.1", "30"), (n[4].Hostdev, n[4].Vlan!.Text));
        Assert.True(n[5].User);
        Assert.Equal(["network:default", "bridge:ovsbr1", "bridge:ovsbr0", "direct:eth0", "hostdev:0000:03:1f.1", "user"], n.Select(x => x.Attachment));
        Assert.Equal(new DevicesSpec(Balloon: false, Tablet: false, SpareRootPorts: 8), d.Devices);
        Assert.Equal(DevicesSpec.Default, T.OneDomain(T.Domain("  vcpus: 1\n")).Devices);
    }

    [Fact]
    public void A_malformed_pci_address_is_located_at_the_hostdev() =>
        Assert.Contains("not a PCI address", T.Expect(Nics("    - {hostdev: \"0000:3:10.1\"}\n"), InvalidAddress, "spec.interfaces[0].hostdev", 8, 17).Message, StringComparison.Ordinal);

    [Fact]
    public void A_vlan_tag_outside_1_to_4094_is_out_of_range_where_it_is_written()
    {
        T.Expect(Nics("    - {bridge: ovs, virtualport: openvswitch, vlan: 4095}\n"), OutOfRange, "spec.interfaces[0].vlan.tags[0]", 8, 53);
        T.Expect(Nics("    - {bridge: ovs, virtualport: openvswitch, vlan: {tags: [10, 0]}}\n"), OutOfRange, "spec.interfaces[0].vlan.tags[1]", 8, 65);
    }

    [Fact]
    public void A_trunk_without_tags_is_refused() =>
        Assert.Contains("trunk needs its tags", T.Expect(Nics("    - {bridge: ovs, virtualport: openvswitch, vlan: {trunk: true}}\n"), MissingField, "spec.interfaces[0].vlan.tags", 8, 47).Message, StringComparison.Ordinal);

    [Fact]
    public void A_vlan_on_a_bridge_without_open_vswitch_is_refused() =>
        Assert.Contains("virtualport: openvswitch", T.Expect(Nics("    - {bridge: br0, vlan: 100}\n"), ConflictingFields, "spec.interfaces[0].vlan", 8, 27).Message, StringComparison.Ordinal);

    [Fact]
    public void A_trunk_on_an_sriov_vf_and_a_vlan_on_a_user_nic_are_refused()
    {
        T.Expect(Nics("    - {hostdev: \"0000:03:10.1\", vlan: {tags: [1, 2]}}\n"), ConflictingFields, "spec.interfaces[0].vlan", 8, 33);
        T.Expect(Nics("    - {user: true, vlan: 5}\n"), ConflictingFields, "spec.interfaces[0].vlan", 8, 26);
    }

    [Fact]
    public void Queues_beyond_the_vcpus_are_out_of_range()
    {
        var d = T.Expect(Nics("    - {network: default, queues: 4}\n"), OutOfRange, "spec.interfaces[0].queues", 8, 34);
        Assert.Contains("vCPUs (2)", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mtu_on_macvtap_and_two_attachments_are_refused()
    {
        T.Expect(Nics("    - {direct: {dev: eth0}, mtu: 9000}\n"), ConflictingFields, "spec.interfaces[0].mtu", 8, 34);
        T.Expect(Nics("    - {network: default, user: true}\n"), ConflictingFields, "spec.interfaces[0]", 8, 7);
        T.Expect(Nics("    - {model: virtio}\n"), MissingField, "spec.interfaces[0]", 8, 7);
    }

    [Fact]
    public void A_nic_boot_order_taken_by_a_disk_is_refused() =>
        T.Expect(Nics("    - {network: default, boot: 1}\n", "  disks: [{path: /a.qcow2, boot: 1}]\n"), InvalidValue, "spec.interfaces[0].boot", 8, 32);

    [Fact]
    public void A_tablet_without_usb_is_refused_and_unknown_device_toggles_are_suggested()
    {
        T.Expect(T.Domain("  devices: {usb: false}\n"), ConflictingFields, "spec.devices.tablet", 6, 3);
        T.Ok(T.Domain("  devices: {usb: false, tablet: false}\n"));
        T.Ok(T.Domain("  graphics: {type: none}\n  devices: {usb: false}\n"));
        Assert.Contains("balloon", T.Expect(T.Domain("  devices: {baloon: false}\n"), UnknownField, "spec.devices.baloon", 6, 13).Hint, StringComparison.Ordinal);
    }
}
