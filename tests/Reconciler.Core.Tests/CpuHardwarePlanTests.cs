using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>
/// spec.cpu's fallback, features, pinning and NUMA cells, spec.memoryBacking and spec.numaTune
/// through the planner: equal is no change, what the spec does not write is not owned, pinning is
/// live on a running domain and the rest waits for the next boot.
/// </summary>
public sealed class CpuHardwarePlanTests
{
    private static readonly FieldPath NumaTune = DomainPaths.Spec.Field("numaTune");

    private static DomainSpec Full(Func<CpuSpec, CpuSpec>? cpu = null, MemoryBackingSpec? backing = null, string nodeset = "0") => Domain("d", d => d with
    {
        Vcpus = 2,
        Cpu = (cpu ?? (c => c))(new CpuSpec("custom", "qemu64")
        {
            Fallback = "forbid",
            Features = [new CpuFeature("erms", "require"), new CpuFeature("x2apic", "disable")],
            Pinning = new CpuPinning(["0", "1"], "0-1"),
            Numa = [new NumaCell("0-1", 64UL << 20)],
        }),
        MemoryBacking = backing ?? new MemoryBackingSpec(2UL << 20, false, false),
        Declared = FieldValues.Empty.With(NumaTune.Field("mode"), "strict").With(NumaTune.Field("nodeset"), nodeset),
    });

    private static IReadOnlyList<string> Changes(DomainSpec live, DomainSpec desired, LiveRunState state = LiveRunState.Running) =>
        Planner.Compute(Set(desired), [Node(Live(live, state))], new PlanOptions()).Changes
            .SelectMany(c => c.Fields).Select(f => $"{f.Path}: {f.Before} -> {f.After} ({f.Disruption})").ToList();

    [Fact]
    public void The_same_hardware_is_no_change() => Assert.Empty(Changes(Full(), Full()));

    [Fact]
    public void Cpusets_compare_as_sets()
    {
        var live = Full();
        var desired = Full(c => c with { Pinning = new CpuPinning(["0", "1"], "1,0"), Numa = [new NumaCell("1,0", 64UL << 20)] }, nodeset: "0");
        Assert.Empty(Changes(live, desired));
    }

    [Fact]
    public void Features_compare_by_name_whatever_their_order() =>
        Assert.Empty(Changes(Full(), Full(c => c with { Features = [.. c.Features!.Reverse()] })));

    [Fact]
    public void A_pinning_change_is_live_on_a_running_domain_and_names_its_live_operation()
    {
        var changes = Changes(Full(), Full(c => c with { Pinning = new CpuPinning(["1", "1"], "0") }));
        Assert.Equal(["spec.cpu.pinning.vcpus: [\"0\", \"1\"] -> [\"1\", \"1\"] (Live)", "spec.cpu.pinning.emulator: 0-1 -> 0 (Live)"], changes);
        Assert.Equal(LiveOperation.PinVcpus, BoundFields.Find(new FieldPath("spec.cpu.pinning.vcpus"))!.Live);
        Assert.Equal(LiveOperation.PinEmulator, BoundFields.Find(new FieldPath("spec.cpu.pinning.emulator"))!.Live);
    }

    [Fact]
    public void A_pinning_change_of_a_stopped_domain_costs_nothing() =>
        Assert.Contains("spec.cpu.pinning.vcpus: [\"0\", \"1\"] -> [\"1\"] (None)",
            Changes(Full(), Full(c => c with { Pinning = new CpuPinning(["1"], "0-1") }), LiveRunState.Stopped));

    [Fact]
    public void Model_features_numa_and_memory_changes_wait_for_the_next_boot()
    {
        var desired = Full(c => c with
        {
            Fallback = "allow",
            Features = [new CpuFeature("erms", "require")],
            Numa = [new NumaCell("0", 32UL << 20), new NumaCell("1", 32UL << 20)],
        }, new MemoryBackingSpec(1UL << 30, true, true), nodeset: "1");
        Assert.Equal(
        [
            "spec.cpu.fallback: forbid -> allow (NextBoot)",
            "spec.cpu.features: erms=require, x2apic=disable -> erms=require (NextBoot)",
            "spec.cpu.numa: 0-1 64MiB -> 0 32MiB; 1 32MiB (NextBoot)",
            "spec.memoryBacking.hugepages.size: 2MiB -> 1GiB (NextBoot)",
            "spec.memoryBacking.locked: false -> true (NextBoot)",
            "spec.memoryBacking.shared: false -> true (NextBoot)",
            "spec.numaTune.nodeset: 0 -> 1 (NextBoot)",
        ], Changes(Full(), desired).Order(StringComparer.Ordinal).ToList());
    }

    [Fact]
    public void What_the_spec_does_not_write_is_not_owned()
    {
        var desired = Full(c => new CpuSpec("custom", "qemu64")) with { MemoryBacking = null, Declared = FieldValues.Empty };
        // The fallback of a custom model is owned even unwritten: forbid, as the renderer writes it.
        Assert.Empty(Changes(Full(), desired));
    }

    [Fact]
    public void A_feature_list_the_spec_writes_is_owned_as_a_whole() =>
        Assert.Equal(["spec.cpu.features: erms=require, x2apic=disable ->  (NextBoot)"], Changes(Full(), Full(c => c with { Features = [] })));

    [Fact]
    public void The_spec_hash_covers_the_new_fields()
    {
        var hashes = new[]
        {
            SpecHash.Compute(Full()),
            SpecHash.Compute(Full(c => c with { Pinning = new CpuPinning(["1", "0"], "0-1") })),
            SpecHash.Compute(Full(c => c with { Features = [] })),
            SpecHash.Compute(Full(backing: new MemoryBackingSpec(2UL << 20, true, false))),
        };
        Assert.Equal(hashes.Length, hashes.Distinct().Count());
    }
}
