namespace Reconciler.Specs.Kinds;

/// <summary>The model of <c>spec.cpu</c> and <c>spec.memoryBacking</c>, from their parsed rows (CpuFields, MemoryFields).</summary>
internal static class HardwareBuild
{
    public static CpuSpec Cpu(ParsedObject cpu) => new(cpu.Get<string>("mode"), cpu.Get<string>("model"))
    {
        Fallback = cpu.Get<string>("fallback"),
        Features = cpu.Get<List<ParsedObject>>("features")?.Select(f => new CpuFeature(f.Get<string>("name") ?? "", f.Get<string>("policy")!)).ToList(),
        Pinning = cpu.Get<ParsedObject>("pinning") is { } p ? new CpuPinning(p.Get<List<string>>("vcpus"), p.Get<string>("emulator")) : null,
        Numa = cpu.Get<List<ParsedObject>>("numa")?.Select(c => new NumaCell(c.Get<string>("cpus") ?? "", c.Get<ulong>("memory"))).ToList(),
    };

    public static MemoryBackingSpec? MemoryBacking(ParsedObject? backing) => backing is null ? null
        : new(backing.Get<ParsedObject>("hugepages") is { } h && h.Has("size") ? h.Get<ulong>("size") : null, backing.Get<bool>("locked"), backing.Get<bool>("shared"));
}
