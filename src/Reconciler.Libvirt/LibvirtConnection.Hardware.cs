namespace Reconciler.Libvirt;

/// <summary>How a CPU definition compares with what the hypervisor can give (<c>virCPUCompareResult</c>).</summary>
public enum CpuCompareResult
{
    /// <summary>The hypervisor cannot provide this CPU.</summary>
    Incompatible = 0,
    /// <summary>The hypervisor's CPU is the same.</summary>
    Identical = 1,
    /// <summary>The hypervisor's CPU is a superset: the CPU can be provided.</summary>
    Superset = 2,
}

/// <summary>Free huge (or normal) pages of one size on one NUMA cell (<c>virNodeGetFreePages</c>).</summary>
/// <param name="Cell">The NUMA cell.</param>
/// <param name="PageKiB">The page size in KiB.</param>
/// <param name="Free">Free pages of that size on that cell.</param>
public readonly record struct FreePages(int Cell, ulong PageKiB, ulong Free);

public sealed unsafe partial class LibvirtConnection
{
    /// <summary>
    /// Whether the hypervisor can provide the CPU described by <paramref name="cpuXml"/> (a
    /// <c>&lt;cpu&gt;</c> element) for guests of this emulator, arch, machine and virt type
    /// (<c>virConnectCompareHypervisorCPU</c>). Drivers that cannot answer (the test driver)
    /// throw <see cref="LibvirtUnsupportedException"/>.
    /// </summary>
    /// <param name="emulator">Emulator binary, or null for the default.</param>
    /// <param name="arch">Architecture, or null for the host's.</param>
    /// <param name="machine">Machine type, or null for the default.</param>
    /// <param name="virtType">Virtualization type (kvm, qemu), or null.</param>
    /// <param name="cpuXml">The CPU definition.</param>
    /// <param name="failIncompatible">
    /// Report an incompatible CPU as an error (<c>VIR_CONNECT_COMPARE_CPU_FAIL_INCOMPATIBLE</c>):
    /// a <see cref="LibvirtException"/> with <see cref="LibvirtErrorCode.CpuIncompatible"/> whose
    /// message names what the hypervisor lacks, instead of <see cref="CpuCompareResult.Incompatible"/>.
    /// </param>
    /// <returns>The comparison.</returns>
    public CpuCompareResult CompareHypervisorCpu(string? emulator, string? arch, string? machine, string? virtType, string cpuXml, bool failIncompatible = false)
    {
        ArgumentNullException.ThrowIfNull(cpuXml);
        var rc = NativeMethods.virConnectCompareHypervisorCPU(Handle, emulator, arch, machine, virtType, cpuXml, failIncompatible ? 1u : 0u);
        if (rc < 0) throw Interop.LastException("virConnectCompareHypervisorCPU");
        return (CpuCompareResult)rc;
    }

    /// <summary>
    /// Free pages of each of <paramref name="pageSizesKiB"/> on cells <paramref name="startCell"/>
    /// to <paramref name="startCell"/> + <paramref name="cellCount"/> − 1 (<c>virNodeGetFreePages</c>),
    /// cell by cell. A size the host does not have is an error of libvirt's.
    /// </summary>
    /// <param name="pageSizesKiB">The page sizes, in KiB.</param>
    /// <param name="startCell">The first NUMA cell.</param>
    /// <param name="cellCount">How many cells.</param>
    /// <returns>One entry per cell and size that libvirt filled.</returns>
    public IReadOnlyList<FreePages> GetFreePages(IReadOnlyList<ulong> pageSizesKiB, int startCell, int cellCount)
    {
        ArgumentNullException.ThrowIfNull(pageSizesKiB);
        if (pageSizesKiB.Count == 0 || cellCount <= 0) return [];
        var pages = new uint[pageSizesKiB.Count];
        for (var i = 0; i < pages.Length; i++) pages[i] = checked((uint)pageSizesKiB[i]);
        var counts = new ulong[pages.Length * cellCount];
        int filled;
        fixed (uint* p = pages)
        fixed (ulong* c = counts)
        {
            filled = NativeMethods.virNodeGetFreePages(Handle, (uint)pages.Length, p, startCell, (uint)cellCount, c, 0);
        }
        if (filled < 0) throw Interop.LastException("virNodeGetFreePages");
        // The QEMU driver returns the entries filled; the test driver fills them all and returns 0.
        if (filled == 0) filled = counts.Length;
        var result = new List<FreePages>(Math.Min(filled, counts.Length));
        for (var i = 0; i < Math.Min(filled, counts.Length); i++)
        {
            result.Add(new FreePages(startCell + (i / pages.Length), pageSizesKiB[i % pages.Length], counts[i]));
        }
        return result;
    }
}
