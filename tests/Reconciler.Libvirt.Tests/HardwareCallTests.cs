namespace Reconciler.Libvirt.Tests;

/// <summary>virConnectCompareHypervisorCPU and virNodeGetFreePages through the binding, on the test driver.</summary>
public class HardwareCallTests
{
    private const string Qemu64 = "<cpu mode='custom' match='exact'><model fallback='forbid'>qemu64</model></cpu>";

    [Fact]
    public void The_test_driver_cannot_compare_a_cpu_with_its_hypervisor()
    {
        using var conn = TestDriver.Open();
        var ex = Assert.Throws<LibvirtUnsupportedException>(() => conn.CompareHypervisorCpu(null, "x86_64", null, "test", Qemu64));
        Assert.Equal(LibvirtErrorCode.NoSupport, ex.Code);
        Assert.Contains("virConnectCompareHypervisorCPU", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Free_pages_come_back_per_cell_and_size()
    {
        using var conn = TestDriver.Open();
        var pages = conn.GetFreePages([2048, 1048576], 0, 2);
        // The test driver's two cells, each with both sizes, cell by cell, all with its made-up counts.
        Assert.Equal([(0, 2048UL), (0, 1048576UL), (1, 2048UL), (1, 1048576UL)], pages.Select(p => (p.Cell, p.PageKiB)));
        Assert.All(pages, p => Assert.True(p.Free > 0));
        Assert.Empty(conn.GetFreePages([], 0, 2));
    }
}
