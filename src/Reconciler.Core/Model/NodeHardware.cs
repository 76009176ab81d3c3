namespace Reconciler.Core.Model;

/// <summary>Which domain capabilities a domain needs: libvirt answers per arch, machine and domain type.</summary>
/// <param name="Arch">Guest architecture.</param>
/// <param name="Machine">Machine type as written (an alias such as <c>q35</c> is fine), or null for the default.</param>
/// <param name="DomainType">Domain type (kvm, qemu, test).</param>
public sealed record DomainCapsKey(string Arch, string? Machine, string DomainType)
{
    /// <summary><c>x86_64/q35/kvm</c>.</summary>
    public override string ToString() => $"{Arch}/{Machine ?? "default"}/{DomainType}";
}

/// <summary>One CPU comparison the node is asked for: a custom model with the features a domain requires.</summary>
/// <param name="Caps">The arch, machine and type it is compared for.</param>
/// <param name="Model">The CPU model.</param>
/// <param name="Features">The required feature names, sorted, comma-separated (a string so the key compares by value).</param>
public sealed record CpuCompareKey(DomainCapsKey Caps, string Model, string Features);

/// <summary>
/// One answer read from a node: the value, or why there is none (the driver does not support the
/// call, or it failed). A check whose answer is missing is skipped, and the plan says so.
/// </summary>
/// <typeparam name="T">The value's type.</typeparam>
/// <param name="Value">The value; null when <paramref name="Unavailable"/> is set.</param>
/// <param name="Unavailable">Why the node gave no answer, or null.</param>
public sealed record HardwareAnswer<T>(T? Value, string? Unavailable) where T : class
{
    /// <summary>An answer.</summary>
    public static HardwareAnswer<T> Of(T value) => new(value, null);

    /// <summary>No answer, and why.</summary>
    public static HardwareAnswer<T> Missing(string why) => new(null, why);
}

/// <summary>A NUMA cell of the host (<c>virConnectGetCapabilities</c> host/topology/cells).</summary>
/// <param name="Id">The cell id.</param>
/// <param name="MemoryKiB">Its memory.</param>
/// <param name="Cpus">Its CPUs.</param>
public sealed record HostCell(int Id, ulong MemoryKiB, int Cpus);

/// <summary>What the host's capabilities say about its CPU, pages and NUMA cells.</summary>
/// <param name="Arch">The host CPU architecture.</param>
/// <param name="CpuModel">The host CPU model libvirt names, or null.</param>
/// <param name="PageSizesKiB">The page sizes the host offers (normal and huge), in KiB.</param>
/// <param name="Cells">The NUMA cells; empty when the topology is not reported.</param>
public sealed record HostCapabilities(string Arch, string? CpuModel, IReadOnlyList<ulong> PageSizesKiB, IReadOnlyList<HostCell> Cells);

/// <summary>Free pages of one size on one NUMA cell (<c>virNodeGetFreePages</c>).</summary>
/// <param name="Cell">The cell.</param>
/// <param name="PageKiB">The page size in KiB.</param>
/// <param name="Free">Free pages.</param>
public sealed record FreePageCount(int Cell, ulong PageKiB, ulong Free);

/// <summary>The free pages of every huge page size on every cell.</summary>
/// <param name="Counts">One entry per cell and size.</param>
public sealed record FreePageCounts(IReadOnlyList<FreePageCount> Counts);

/// <summary>What <c>virConnectGetDomainCapabilities</c> says for one arch, machine and type.</summary>
/// <param name="Machine">The machine libvirt resolved (e.g. <c>pc-q35-7.2</c>), or null.</param>
/// <param name="HostPassthrough">The <c>host-passthrough</c> CPU mode is supported.</param>
/// <param name="CustomModels">The custom CPU models libvirt knows, each with its <c>usable</c> (<c>yes</c>, <c>no</c>, <c>unknown</c>); null when the custom mode is not reported.</param>
/// <param name="Tpm">The TPM device: null when the document does not say (an older libvirt); else its backend models (<c>emulator</c> needs swtpm).</param>
/// <param name="Firmware">The firmware: null when the document has no <c>&lt;os&gt;</c>; else what it offers.</param>
public sealed record DomainCapabilities(
    string? Machine,
    bool HostPassthrough,
    IReadOnlyDictionary<string, string>? CustomModels,
    TpmCapabilities? Tpm,
    FirmwareCapabilities? Firmware);

/// <summary>A node's TPM support.</summary>
/// <param name="Supported">The TPM device is supported at all.</param>
/// <param name="Models">Device models (tpm-tis, tpm-crb).</param>
/// <param name="Backends">Backend models (passthrough, emulator).</param>
public sealed record TpmCapabilities(bool Supported, IReadOnlyList<string> Models, IReadOnlyList<string> Backends);

/// <summary>A node's firmware support for one arch, machine and type.</summary>
/// <param name="Efi">Firmware autoselection offers <c>efi</c>.</param>
/// <param name="SecureBoot">A loader with Secure Boot is offered (<c>&lt;loader&gt;&lt;enum name='secure'&gt;</c> has <c>yes</c>).</param>
/// <param name="Loaders">The loader paths libvirt lists.</param>
public sealed record FirmwareCapabilities(bool Efi, bool SecureBoot, IReadOnlyList<string> Loaders);

/// <summary>The result of one CPU comparison.</summary>
/// <param name="Compatible">The hypervisor can provide the CPU.</param>
/// <param name="Detail">libvirt's words when it cannot (e.g. the features it lacks), else empty.</param>
public sealed record CpuComparison(bool Compatible, string Detail);

/// <summary>
/// What one node can give its domains, read once per pass in the node read phase: its host
/// capabilities, free huge pages, and — for each distinct arch, machine and type, and each
/// distinct custom CPU the desired domains use — its domain capabilities and CPU comparisons.
/// Immutable; the planner's checks (<see cref="Planning.NodeChecks"/>) read it and nothing else.
/// </summary>
/// <param name="Host">The host capabilities.</param>
/// <param name="FreePages">Free huge pages per size and cell.</param>
/// <param name="DomainCaps">Domain capabilities by key; a key that was not asked for is absent.</param>
/// <param name="CpuComparisons">CPU comparisons by key; a key that was not asked for is absent.</param>
public sealed record NodeHardware(
    HardwareAnswer<HostCapabilities> Host,
    HardwareAnswer<FreePageCounts> FreePages,
    IReadOnlyDictionary<DomainCapsKey, HardwareAnswer<DomainCapabilities>> DomainCaps,
    IReadOnlyDictionary<CpuCompareKey, HardwareAnswer<CpuComparison>> CpuComparisons)
{
    /// <summary>A node that was not asked (no checks could run).</summary>
    public static NodeHardware NotRead(string why) => new(
        HardwareAnswer<HostCapabilities>.Missing(why), HardwareAnswer<FreePageCounts>.Missing(why),
        new Dictionary<DomainCapsKey, HardwareAnswer<DomainCapabilities>>(), new Dictionary<CpuCompareKey, HardwareAnswer<CpuComparison>>())
    {
        Devices = HardwareAnswer<NodeDevices>.Missing(why),
    };

    /// <summary>The node's host devices (PCI, USB, mdev, network interfaces, block devices), read when a domain asks for devices.</summary>
    public HardwareAnswer<NodeDevices> Devices { get; init; } = HardwareAnswer<NodeDevices>.Missing("no domain asks for host devices");
}
