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

    /// <summary>Each refusal: the interface lines, the code, the path and where it is located (line 8 is the first item), a piece of the message.</summary>
    public static TheoryData<string, string, string, int, string> Refusals() => new()
    {
        { "    - {hostdev: \"0000:3:10.1\"}\n", InvalidAddress, "spec.interfaces[0].hostdev", 17, "not a PCI address" },
        { "    - {bridge: ovs, virtualport: openvswitch, vlan: 4095}\n", OutOfRange, "spec.interfaces[0].vlan.tags[0]", 53, "between 1 and 4094" },
        { "    - {bridge: ovs, virtualport: openvswitch, vlan: {tags: [10, 0]}}\n", OutOfRange, "spec.interfaces[0].vlan.tags[1]", 65, "between 1 and 4094" },
        { "    - {bridge: ovs, virtualport: openvswitch, vlan: {trunk: true}}\n", MissingField, "spec.interfaces[0].vlan.tags", 47, "trunk needs its tags" },
        { "    - {bridge: br0, vlan: 100}\n", ConflictingFields, "spec.interfaces[0].vlan", 27, "virtualport: openvswitch" },
        { "    - {hostdev: \"0000:03:10.1\", vlan: {tags: [1, 2]}}\n", ConflictingFields, "spec.interfaces[0].vlan", 33, "not a trunk" },
        { "    - {user: true, vlan: 5}\n", ConflictingFields, "spec.interfaces[0].vlan", 26, "cannot carry VLAN tags" },
        { "    - {network: default, queues: 4}\n", OutOfRange, "spec.interfaces[0].queues", 34, "vCPUs (2)" },
        { "    - {direct: {dev: eth0}, mtu: 9000}\n", ConflictingFields, "spec.interfaces[0].mtu", 34, "only set on a network or bridge" },
        { "    - {network: default, user: true}\n", ConflictingFields, "spec.interfaces[0]", 7, "not network and user" },
        { "    - {model: virtio}\n", MissingField, "spec.interfaces[0]", 7, "needs a network, bridge, direct, hostdev or user" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void A_refused_interface_is_located_where_it_is_written(string items, string code, string path, int column, string message) =>
        Assert.Contains(message, T.Expect(Nics(items), code, path, 8, column).Message, StringComparison.Ordinal);

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
