using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// What a domain asks of its node's hardware: the input of <see cref="NodeChecks"/>, built from a
/// spec by <see cref="Of"/> alone, so the checks never read a spec directly.
/// </summary>
/// <param name="Arch">Guest architecture.</param>
/// <param name="Machine">Machine type as written, or null for the node's default.</param>
/// <param name="DomainType">Forced domain type, or null for the node's (<see cref="LiveNode.DomainType"/>).</param>
/// <param name="CpuMode">CPU mode (<c>custom</c>, <c>host-passthrough</c>, …), or null for the hypervisor default.</param>
/// <param name="CpuModel">CPU model with <c>custom</c>, or null.</param>
/// <param name="RequiredFeatures">CPU features with policy <c>require</c>, sorted (<c>force</c> claims a feature whatever the host has, so it is not checked).</param>
/// <param name="Uefi">UEFI firmware.</param>
/// <param name="SecureBoot">UEFI Secure Boot.</param>
/// <param name="Tpm">A TPM with the emulator backend (swtpm).</param>
/// <param name="HugePageKiB">The huge page size backing guest memory, in KiB; null for none.</param>
/// <param name="HugePageBytes">The memory those pages must hold (the domain's memory).</param>
/// <param name="NumaCells">Guest NUMA cells; 0 for none.</param>
/// <param name="NumaStrict"><c>numaTune</c> mode is <c>strict</c>.</param>
/// <param name="Running">The desired state is running: the checks that only matter at start refuse (else they warn).</param>
public sealed partial record HardwareDemand(
    string Arch,
    string? Machine,
    string? DomainType,
    string? CpuMode,
    string? CpuModel,
    IReadOnlyList<string> RequiredFeatures,
    bool Uefi,
    bool SecureBoot,
    bool Tpm,
    ulong? HugePageKiB,
    ulong HugePageBytes,
    int NumaCells,
    bool NumaStrict,
    bool Running)
{
    private static readonly FieldPath NumaTune = DomainPaths.Spec.Field("numaTune");

    /// <summary>The demand of <paramref name="spec"/>.</summary>
    public static HardwareDemand Of(DomainSpec spec) => new HardwareDemand(
        Arch: spec.Arch,
        Machine: string.IsNullOrEmpty(spec.Machine) ? null : spec.Machine,
        DomainType: spec.DomainType,
        CpuMode: spec.Cpu.Mode,
        CpuModel: spec.Cpu.Model,
        RequiredFeatures: (spec.Cpu.Features ?? []).Where(f => f.Policy == "require").Select(f => f.Name).Order(StringComparer.Ordinal).ToList(),
        Uefi: spec.Firmware == Firmware.Uefi,
        SecureBoot: spec.Firmware == Firmware.Uefi && spec.SecureBoot,
        Tpm: spec.Tpm is not null, // its backend is always the emulator (swtpm)
        HugePageKiB: spec.MemoryBacking?.HugepageBytes is { } page ? page / 1024 : null,
        HugePageBytes: spec.MemoryBytes,
        NumaCells: spec.Cpu.Numa?.Count ?? 0,
        NumaStrict: spec.Declared.AnyWithin(NumaTune) && (spec.Declared[NumaTune.Field("mode")] ?? "strict") == "strict",
        Running: spec.State == PowerState.Running)
    {
        Domain = spec.Name,
        Hostdevs = spec.Hostdevs,
        HostInterfaces = [.. spec.Interfaces.Select(i => i.Direct?.Dev).OfType<string>().Distinct(StringComparer.Ordinal)],
        VirtualFunctions = [.. spec.Interfaces.Select(i => i.Hostdev).OfType<string>().Select(HostdevFields.CanonicalPci).Distinct(StringComparer.Ordinal)],
    };

    /// <summary>The domain type on a node whose default is <paramref name="nodeType"/>.</summary>
    public string TypeOn(string nodeType) => DomainType ?? (nodeType.Length > 0 ? nodeType : "kvm");

    /// <summary>The domain capabilities this demand is checked against on a node whose default type is <paramref name="nodeType"/>.</summary>
    public DomainCapsKey CapsKey(string nodeType) => new(Arch, Machine, TypeOn(nodeType));

    /// <summary>The CPU comparison this demand needs (a custom model with required features), or null.</summary>
    public CpuCompareKey? CompareKey(string nodeType) =>
        CpuMode == "custom" && CpuModel is { Length: > 0 } model && RequiredFeatures.Count > 0
            ? new CpuCompareKey(CapsKey(nodeType), model, string.Join(",", RequiredFeatures.Order(StringComparer.Ordinal)))
            : null;

    /// <summary>Whether any check needs the domain capabilities.</summary>
    public bool NeedsDomainCaps => CpuMode is "custom" or "host-passthrough" || Uefi || Tpm;
}

/// <summary>What to read from one node for the checks: every distinct key the desired domains use.</summary>
/// <param name="DomainCaps">The domain capabilities to read.</param>
/// <param name="CpuComparisons">The CPU comparisons to make.</param>
/// <param name="HugePages">Whether any domain uses huge pages (free pages are read then only).</param>
/// <param name="Host">Whether any check needs the host capabilities (huge pages, NUMA cells); implied by <paramref name="HugePages"/>.</param>
public sealed record HardwareQuery(IReadOnlyList<DomainCapsKey> DomainCaps, IReadOnlyList<CpuCompareKey> CpuComparisons, bool HugePages, bool Host = false)
{
    /// <summary>Nothing to read: no desired domain asks for anything a check looks at.</summary>
    public static readonly HardwareQuery None = new([], [], false);

    /// <summary>Whether the node's devices are read (<c>virConnectListAllNodeDevices</c>): a domain asks for host devices, host interfaces or VFs.</summary>
    public bool Devices { get; init; }

    /// <summary>Whether the host capabilities are read.</summary>
    public bool ReadsHost => Host || HugePages;

    /// <summary>
    /// What a node whose default type is <paramref name="nodeType"/> must answer for
    /// <paramref name="domains"/>: each key once, in a stable order.
    /// </summary>
    public static HardwareQuery For(IEnumerable<DomainSpec> domains, string nodeType)
    {
        var demands = domains.Select(HardwareDemand.Of).ToList();
        return new HardwareQuery(
            demands.Where(d => d.NeedsDomainCaps).Select(d => d.CapsKey(nodeType)).Distinct().OrderBy(k => k.ToString(), StringComparer.Ordinal).ToList(),
            demands.Select(d => d.CompareKey(nodeType)).OfType<CpuCompareKey>().Distinct()
                .OrderBy(k => $"{k.Caps}|{k.Model}|{k.Features}", StringComparer.Ordinal).ToList(),
            demands.Any(d => d.HugePageKiB is not null),
            demands.Any(d => d.NumaCells > 0 && d.NumaStrict))
        {
            Devices = demands.Any(d => d.NeedsDevices),
        };
    }
}
