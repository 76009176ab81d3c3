namespace Reconciler.Libvirt;

public sealed unsafe partial class LibvirtDomain
{
    /// <summary>Pins vCPU <paramref name="vcpu"/> to the host CPUs <paramref name="cpus"/> (<c>virDomainPinVcpuFlags</c>).</summary>
    /// <param name="vcpu">The vCPU number.</param>
    /// <param name="cpus">Host CPU numbers (at least one).</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void PinVcpu(uint vcpu, IReadOnlyCollection<int> cpus, DomainModificationImpact impact)
    {
        var map = CpuMap(cpus);
        fixed (byte* p = map)
        {
            Interop.Check(NativeMethods.virDomainPinVcpuFlags(_handle, vcpu, p, map.Length, (uint)impact), "virDomainPinVcpuFlags");
        }
    }

    /// <summary>Pins the emulator threads to the host CPUs <paramref name="cpus"/> (<c>virDomainPinEmulator</c>).</summary>
    /// <param name="cpus">Host CPU numbers (at least one).</param>
    /// <param name="impact">Live and/or persistent definition.</param>
    public void PinEmulator(IReadOnlyCollection<int> cpus, DomainModificationImpact impact)
    {
        var map = CpuMap(cpus);
        fixed (byte* p = map)
        {
            Interop.Check(NativeMethods.virDomainPinEmulator(_handle, p, map.Length, (uint)impact), "virDomainPinEmulator");
        }
    }

    /// <summary>The host CPUs each vCPU may run on (<c>virDomainGetVcpuPinInfo</c>), index = vCPU number.</summary>
    /// <param name="hostCpus">How many host CPUs the maps cover (<see cref="LibvirtConnection.GetNodeInfo"/>'s Cpus).</param>
    /// <param name="impact">The running domain (<see cref="DomainModificationImpact.Live"/>) or its persistent definition (<see cref="DomainModificationImpact.Config"/>).</param>
    /// <returns>A set of host CPU numbers per vCPU.</returns>
    public IReadOnlyList<IReadOnlySet<int>> GetVcpuPinInfo(int hostCpus, DomainModificationImpact impact)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hostCpus, 1);
        var maplen = (hostCpus + 7) / 8;
        var vcpus = GetVcpusFlags(DomainVcpuFlags.Maximum | (impact.HasFlag(DomainModificationImpact.Live) ? DomainVcpuFlags.Live : DomainVcpuFlags.Config));
        var maps = new byte[vcpus * maplen];
        int count;
        fixed (byte* p = maps)
        {
            count = Interop.Check(NativeMethods.virDomainGetVcpuPinInfo(_handle, vcpus, p, maplen, (uint)impact), "virDomainGetVcpuPinInfo");
        }
        return [.. Enumerable.Range(0, Math.Min(count, vcpus)).Select(v => (IReadOnlySet<int>)Cpus(maps.AsSpan(v * maplen, maplen), hostCpus))];
    }

    /// <summary>The host CPUs the emulator threads may run on (<c>virDomainGetEmulatorPinInfo</c>).</summary>
    /// <param name="hostCpus">How many host CPUs the map covers.</param>
    /// <param name="impact">The running domain or its persistent definition.</param>
    /// <returns>Host CPU numbers (all of them when the emulator is not pinned).</returns>
    public IReadOnlySet<int> GetEmulatorPinInfo(int hostCpus, DomainModificationImpact impact)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hostCpus, 1);
        var map = new byte[(hostCpus + 7) / 8];
        fixed (byte* p = map)
        {
            Interop.Check(NativeMethods.virDomainGetEmulatorPinInfo(_handle, p, map.Length, (uint)impact), "virDomainGetEmulatorPinInfo");
        }
        return Cpus(map, hostCpus);
    }

    /// <summary>libvirt's cpumap: bit n of byte n/8 (least significant first) is host CPU n.</summary>
    private static byte[] CpuMap(IReadOnlyCollection<int> cpus)
    {
        ArgumentNullException.ThrowIfNull(cpus);
        if (cpus.Count == 0 || cpus.Any(c => c < 0)) throw new ArgumentException("a cpuset names at least one CPU, none negative", nameof(cpus));
        var map = new byte[(cpus.Max() / 8) + 1];
        foreach (var cpu in cpus) map[cpu / 8] |= (byte)(1 << (cpu % 8));
        return map;
    }

    private static HashSet<int> Cpus(ReadOnlySpan<byte> map, int hostCpus)
    {
        var set = new HashSet<int>();
        for (var cpu = 0; cpu < hostCpus && cpu / 8 < map.Length; cpu++)
        {
            if ((map[cpu / 8] & (1 << (cpu % 8))) != 0) set.Add(cpu);
        }
        return set;
    }
}
