namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries a pinning change (<c>spec.cpu.pinning</c>) into the running instance after the persistent
/// definition was redefined: each online vCPU and the emulator are pinned with LIVE|CONFIG; a vCPU the
/// spec no longer pins runs on every host CPU again (LIVE only: the definition already has no pin).
/// Offline vCPUs get their pin from the definition when they are plugged.
/// </summary>
internal static class LivePinning
{
    public static void PinVcpus(LibvirtDomain domain, DomainSpec desired, DomainSpec previousConfig)
    {
        var want = desired.Cpu.Pinning?.Vcpus ?? [];
        var had = previousConfig.Cpu.Pinning?.Vcpus ?? [];
        var online = domain.GetVcpusFlags(DomainVcpuFlags.Live);
        IReadOnlyCollection<int>? everyCpu = null;
        for (var vcpu = 0; vcpu < Math.Min(online, Math.Max(want.Count, had.Count)); vcpu++)
        {
            if (vcpu < want.Count)
            {
                domain.PinVcpu((uint)vcpu, Parse(want[vcpu], $"spec.cpu.pinning.vcpus[{vcpu}]"), DomainModificationImpact.Live | DomainModificationImpact.Config);
            }
            else
            {
                everyCpu ??= Enumerable.Range(0, (int)domain.Connection.GetNodeInfo().Cpus).ToList();
                domain.PinVcpu((uint)vcpu, everyCpu, DomainModificationImpact.Live);
            }
        }
    }

    public static void PinEmulator(LibvirtDomain domain, DomainSpec desired)
    {
        if (desired.Cpu.Pinning?.Emulator is not { } emulator) return;
        domain.PinEmulator(Parse(emulator, "spec.cpu.pinning.emulator"), DomainModificationImpact.Live | DomainModificationImpact.Config);
    }

    private static SortedSet<int> Parse(string cpuset, string field) =>
        CpuSet.TryParse(cpuset, out var cpus, out var error) ? cpus : throw new ApplyStepException($"{field}: '{cpuset}' is not a cpuset: {error}");
}
