namespace Reconciler.Libvirt.Tests;

/// <summary>Domain calls the test driver does not implement, against a private QEMU session daemon (TCG, no guest OS).</summary>
[Collection(SessionDaemonCollection.Name)]
public class DomainDaemonTests(SessionDaemonFixture fixture)
{
    [SessionDaemonFact]
    public void Domain_capabilities_come_from_qemu()
    {
        using var conn = LibvirtConnection.Open(fixture.Daemon.Uri);

        var caps = conn.GetDomainCapabilities(null, "x86_64", null, "qemu");
        Assert.Contains("<domainCapabilities>", caps);
        Assert.Contains("<domain>qemu</domain>", caps);
    }

    [SessionDaemonFact]
    public void Devices_block_resize_and_live_changes_on_a_running_qemu_domain()
    {
        var daemon = fixture.Daemon;
        using var conn = LibvirtConnection.Open(daemon.Uri);
        var name = TestDriver.UniqueName("qemu");
        var disk = Path.Combine(daemon.PoolDir, name + "-vda.img");
        var extra = Path.Combine(daemon.PoolDir, name + "-vdb.img");
        foreach (var file in new[] { disk, extra })
        {
            using (var f = File.Create(file))
            {
                f.SetLength(1024 * 1024);
            }

            File.SetUnixFileMode(file, (UnixFileMode)0b110_110_110);
        }

        using var dom = conn.DefineDomain($"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>128</memory>
              <vcpu current='1'>2</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <disk type='file' device='disk'>
                  <driver name='qemu' type='raw'/>
                  <source file='{disk}'/>
                  <target dev='vda' bus='virtio'/>
                </disk>
                <disk type='file' device='cdrom'>
                  <target dev='hdc' bus='ide'/>
                  <readonly/>
                </disk>
              </devices>
            </domain>
            """);
        try
        {
            var vdb = $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{extra}'/><target dev='vdb' bus='virtio'/></disk>";
            dom.AttachDevice(vdb, DomainModificationImpact.Config);
            Assert.Contains("dev='vdb'", dom.GetXmlDesc(DomainXmlFlags.Inactive).Replace('"', '\''), StringComparison.Ordinal);
            dom.DetachDevice(vdb, DomainModificationImpact.Config);
            Assert.DoesNotContain("dev='vdb'", dom.GetXmlDesc(DomainXmlFlags.Inactive).Replace('"', '\''), StringComparison.Ordinal);

            var media = $"<disk type='file' device='cdrom'><source file='{extra}'/><target dev='hdc' bus='ide'/><readonly/></disk>";
            dom.UpdateDevice(media, DomainModificationImpact.Config);
            Assert.Contains(extra, dom.GetXmlDesc(DomainXmlFlags.Inactive), StringComparison.Ordinal);

            dom.Create();
            Assert.Equal(DomainRunState.Running, dom.GetState().State);

            dom.BlockResize("vda", 4 * 1024 * 1024);
            Assert.Equal(4 * 1024 * 1024, new FileInfo(disk).Length);

            dom.SetVcpus(2, DomainVcpuFlags.Live);
            Assert.Equal(2, dom.GetVcpusFlags(DomainVcpuFlags.Live));

            // Live detach of a disk that is not there.
            Assert.ThrowsAny<LibvirtException>(() => dom.DetachDevice(vdb, DomainModificationImpact.Live));

            dom.Destroy();
            Assert.Equal(DomainRunState.Shutoff, dom.GetState().State);
        }
        finally
        {
            if (dom.IsActive)
            {
                dom.Destroy();
            }

            dom.Undefine();
        }
    }
}

/// <summary>virConnectCompareHypervisorCPU against a private QEMU session daemon (TCG).</summary>
[Collection(SessionDaemonCollection.Name)]
public class CpuCompareDaemonTests(SessionDaemonFixture fixture)
{
    [SessionDaemonFact]
    public void A_cpu_is_compared_with_what_qemu_can_give_and_a_lacking_feature_is_named()
    {
        using var conn = LibvirtConnection.Open(fixture.Daemon.Uri);
        const string Plain = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>";
        Assert.NotEqual(CpuCompareResult.Incompatible, conn.CompareHypervisorCpu(null, "x86_64", null, "qemu", Plain));
        const string Avx512 = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model><feature policy='require' name='avx512f'/></cpu>";
        Assert.Equal(CpuCompareResult.Incompatible, conn.CompareHypervisorCpu(null, "x86_64", null, "qemu", Avx512));
        var ex = Assert.ThrowsAny<LibvirtException>(() => conn.CompareHypervisorCpu(null, "x86_64", null, "qemu", Avx512, failIncompatible: true));
        Assert.Equal(LibvirtErrorCode.CpuIncompatible, ex.Code);
        Assert.Contains("avx512f", ex.Message, StringComparison.Ordinal);
    }
}

/// <summary>The console stream and the guest calls on a QEMU domain with no guest OS (nothing answers inside).</summary>
[Collection(SessionDaemonCollection.Name)]
public class GuestDaemonTests(SessionDaemonFixture fixture)
{
    [SessionDaemonFact]
    public void Console_opens_on_a_running_domain_reads_without_waiting_and_ends_when_it_stops()
    {
        using var conn = LibvirtConnection.Open(fixture.Daemon.Uri);
        var name = TestDriver.UniqueName("console");
        using var dom = conn.DefineDomain($"""
            <domain type='qemu'>
              <name>{name}</name>
              <memory unit='MiB'>64</memory>
              <vcpu>1</vcpu>
              <os><type arch='x86_64'>hvm</type></os>
              <devices>
                <serial type='pty'><target port='0'/></serial>
                <console type='pty'><target type='serial' port='0'/></console>
                <channel type='unix'><source mode='bind' path='/tmp/{name}.agent'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>
              </devices>
            </domain>
            """);
        try
        {
            Assert.ThrowsAny<LibvirtException>(() => dom.OpenConsole());
            dom.Create();
            using var console = dom.OpenConsole();
            var buffer = new byte[4096];
            // No guest OS: whatever SeaBIOS writes or not, a read never waits.
            var first = console.Read(buffer, out var count);
            Assert.True(first is ConsoleReadResult.WouldBlock or ConsoleReadResult.Data, first.ToString());
            Assert.True(first == ConsoleReadResult.Data ? count > 0 : count == 0);

            // An agent channel with no agent behind it: a typed error, not a hang.
            Assert.ThrowsAny<LibvirtException>(() => dom.GetGuestTime());
            Assert.ThrowsAny<LibvirtException>(() => dom.GetInterfaceAddresses(AddressSource.Agent));
            // No interface at all: the leases know nothing.
            Assert.Empty(dom.GetInterfaceAddresses(AddressSource.Lease));

            dom.Destroy();
            var ended = TestDriver.WaitUntil(() =>
            {
                try
                {
                    _ = dom.IsActive; // a call on the connection lets the stream's end arrive
                    return console.Read(buffer, out _) == ConsoleReadResult.End;
                }
                catch (LibvirtException)
                {
                    return true; // an aborted stream is an end too
                }
            }, TimeSpan.FromSeconds(10));
            Assert.True(ended, "the console stream did not end after the domain stopped");
        }
        finally
        {
            if (dom.IsActive) dom.Destroy();
            dom.Undefine();
            File.Delete($"/tmp/{name}.agent");
        }
    }
}
