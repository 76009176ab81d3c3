namespace Reconciler.Libvirt.Tests;

/// <summary>vCPU and emulator pinning through the binding (virDomainPinVcpuFlags, virDomainPinEmulator and their GetPinInfo), on the test driver.</summary>
public class PinningTests
{
    [Fact]
    public void A_vcpu_and_the_emulator_pinned_read_back_as_pinned()
    {
        using var conn = TestDriver.Open();
        var hostCpus = (int)conn.GetNodeInfo().Cpus;
        Assert.True(hostCpus >= 3, $"the test driver's node has {hostCpus} CPUs");
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("pin"), vcpus: 2));
        try
        {
            dom.Create();
            // The test driver takes the current definition only (flags 0: the running domain here).
            dom.PinVcpu(1, [0, 2], DomainModificationImpact.Current);
            dom.PinEmulator([1], DomainModificationImpact.Current);

            var pins = dom.GetVcpuPinInfo(hostCpus, DomainModificationImpact.Current);
            Assert.Equal(2, pins.Count);
            Assert.Equal([0, 2], pins[1].Order());
            Assert.Equal(Enumerable.Range(0, hostCpus), pins[0].Order());
            Assert.Equal([1], dom.GetEmulatorPinInfo(hostCpus, DomainModificationImpact.Current).Order());
        }
        finally
        {
            if (dom.IsActive) dom.Destroy();
            dom.Undefine();
        }
    }

    [Fact]
    public void An_empty_cpuset_is_refused_before_libvirt_is_called()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;
        Assert.Throws<ArgumentException>(() => dom.PinVcpu(0, [], DomainModificationImpact.Current));
        Assert.Throws<ArgumentException>(() => dom.PinEmulator([-1], DomainModificationImpact.Current));
    }
}
