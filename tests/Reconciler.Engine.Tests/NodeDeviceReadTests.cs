using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>The node read phase reads the node's devices only when a domain asks for host devices, host interfaces or VFs.</summary>
public sealed class NodeDeviceReadTests
{
    private static SpecSet Load(string yaml)
    {
        var loaded = Reconciler.Specs.SpecLoader.LoadFiles("test", [("d.yaml", yaml)]);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return loaded.Specs!;
    }

    [Fact]
    public void A_query_asks_for_the_devices_only_when_a_domain_has_hostdevs()
    {
        const string plain = "apiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: a}\nspec: {vcpus: 1, memory: 64MiB}\n";
        const string gpu = "---\napiVersion: reconciler/v1\nkind: Domain\nmetadata: {name: b}\nspec: {vcpus: 1, memory: 64MiB, hostdevs: [{class: gpu}]}\n";
        Assert.False(HardwareQuery.For(Load(plain).Domains, "kvm").Devices);
        Assert.True(HardwareQuery.For(Load(plain + gpu).Domains, "kvm").Devices);
    }

    [Fact]
    public void The_devices_are_read_when_asked_and_otherwise_say_why_not()
    {
        using var session = NodeSession.Open(new NodeTarget("t", "test:///default"));
        Assert.Equal("no domain asks for host devices", session.ReadHardware(HardwareQuery.None).Devices.Unavailable);
        var devices = Assert.IsType<NodeDevices>(session.ReadHardware(HardwareQuery.None with { Devices = true }).Devices.Value);
        // The test driver's interface driver lists its eth1.
        Assert.Contains("eth1", devices.NetInterfaces);
    }

    [Fact]
    public void On_qemu_system_the_devices_are_this_machines_PCI_devices()
    {
        using var session = NodeSession.Open(new NodeTarget("local", "qemu:///system"));
        var devices = Assert.IsType<NodeDevices>(session.ReadHardware(HardwareQuery.None with { Devices = true }).Devices.Value);
        var kernel = Directory.GetDirectories("/sys/bus/pci/devices").Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(kernel, devices.Pci.Select(p => p.Address));
        Assert.Contains("lo", devices.NetInterfaces);
    }
}
