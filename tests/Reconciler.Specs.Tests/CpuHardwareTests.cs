using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>
/// spec.cpu's fallback, features, pinning and NUMA cells, spec.memoryBacking and spec.numaTune:
/// loaded into the model, and refused with located errors.
/// </summary>
public sealed class CpuHardwareTests
{
    private const string Full = """
          vcpus: 2
          memory: 512MiB
          cpu:
            mode: custom
            model: qemu64
            fallback: allow
            features:
              - {name: erms}
              - {name: x2apic, policy: disable}
            topology: {sockets: 1, cores: 2, threads: 1}
            pinning: {vcpus: ["2", "0,1"], emulator: "0-1"}
            numa:
              - {cpus: "0", memory: 256MiB}
              - {cpus: "1", memory: 256MiB}
          memoryBacking: {hugepages: {size: 2MiB}, locked: true}
          numaTune: {nodeset: "0,1"}

        """;

    [Fact]
    public void Every_field_is_loaded_into_the_model()
    {
        var d = T.OneDomain(T.Domain(Full));
        Assert.Equal("allow", d.Cpu.Fallback);
        Assert.Equal([new CpuFeature("erms", "require"), new CpuFeature("x2apic", "disable")], d.Cpu.Features!);
        Assert.Equal(["2", "0,1"], d.Cpu.Pinning!.Vcpus!);
        Assert.Equal("0-1", d.Cpu.Pinning.Emulator);
        Assert.Equal([new NumaCell("0", 256UL << 20), new NumaCell("1", 256UL << 20)], d.Cpu.Numa!);
        Assert.Equal(new MemoryBackingSpec(2UL << 20, Locked: true, Shared: false), d.MemoryBacking);
        // The nodeset is a declared field: stored in libvirt's form, its mode defaulted.
        Assert.Equal("0-1", d.Declared[DomainPaths.Spec.Field("numaTune").Field("nodeset")]);
        Assert.Equal("strict", d.Declared[DomainPaths.Spec.Field("numaTune").Field("mode")]);
    }

    [Fact]
    public void Fields_not_written_are_not_in_the_model()
    {
        var d = T.OneDomain(T.Domain("  cpu: {mode: host-model}\n"));
        Assert.Equal((null, null, null, null), (d.Cpu.Fallback, d.Cpu.Features, d.Cpu.Pinning, d.Cpu.Numa));
        Assert.Null(d.MemoryBacking);
        Assert.Equal(FieldValues.Empty, d.Declared);
    }

    [Fact]
    public void A_feature_policy_outside_the_list_is_refused_where_it_is_written()
    {
        var d = T.Expect(T.Domain("  cpu:\n    mode: host-model\n    features:\n      - {name: erms, policy: maybe}\n"), InvalidEnum, "spec.cpu.features[0].policy", 9, 30);
        Assert.Contains("require, optional, disable, forbid, force", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void A_feature_named_twice_is_refused_at_the_second() =>
        T.Expect(T.Domain("  cpu:\n    mode: host-model\n    features:\n      - {name: erms}\n      - {name: erms, policy: disable}\n"),
            InvalidValue, "spec.cpu.features[1].name", 10, 16);

    [Fact]
    public void Features_without_a_mode_are_refused() =>
        T.Expect(T.Domain("  cpu:\n    features: [{name: erms}]\n"), MissingField, "spec.cpu.features", 7, 5);

    [Fact]
    public void Fallback_is_only_for_a_custom_model() =>
        T.Expect(T.Domain("  cpu: {mode: host-model, fallback: allow}\n"), ConflictingFields, "spec.cpu.fallback", 6, 37);

    [Fact]
    public void A_pinning_list_longer_than_max_vcpus_is_refused_at_the_list()
    {
        var d = T.Expect(T.Domain("  vcpus: 1\n  maxVcpus: 2\n  cpu:\n    pinning:\n      vcpus: [\"0\", \"1\", \"0\"]\n"), OutOfRange, "spec.cpu.pinning.vcpus", 10, 7);
        Assert.Contains("lists 3 vCPUs, but maxVcpus is 2", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("\"1-\"", "not a CPU number or range")]
    [InlineData("\"3-1\"", "runs backwards")]
    [InlineData("\"0,^0\"", "names no CPU")]
    [InlineData("\"a\"", "not a CPU number or range")]
    [InlineData("\"9000\"", "go up to 8191")]
    public void A_bad_cpuset_is_refused_at_its_item(string cpuset, string why)
    {
        var d = T.Expect(T.Domain($"  vcpus: 2\n  cpu:\n    pinning:\n      vcpus: [\"0\", {cpuset}]\n"), InvalidValue, "spec.cpu.pinning.vcpus[1]", 9, 20);
        Assert.Contains(why, d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bad_emulator_cpuset_and_nodeset_are_located() =>
        Assert.All(new[]
        {
            (T.Domain("  cpu: {pinning: {emulator: \"0-x\"}}\n"), "spec.cpu.pinning.emulator", 6, 29),
            (T.Domain("  numaTune: {nodeset: \"1,,2\"}\n"), "spec.numaTune.nodeset", 6, 23),
        }, c => T.Expect(c.Item1, InvalidValue, c.Item2, c.Item3, c.Item4));

    [Fact]
    public void Numa_cells_must_cover_every_vcpu()
    {
        var d = T.Expect(T.Domain("  vcpus: 4\n  memory: 2GiB\n  cpu:\n    numa:\n      - {cpus: \"0-1\", memory: 1GiB}\n      - {cpus: \"3\", memory: 1GiB}\n"),
            ConflictingFields, "spec.cpu.numa", 9, 5);
        Assert.Contains("leave vCPUs 2 out", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Numa_cells_must_not_share_a_vcpu() =>
        T.Expect(T.Domain("  vcpus: 2\n  memory: 2GiB\n  cpu:\n    numa:\n      - {cpus: \"0-1\", memory: 1GiB}\n      - {cpus: \"1\", memory: 1GiB}\n"),
            ConflictingFields, "spec.cpu.numa[1].cpus", 11, 16);

    [Fact]
    public void Numa_cells_name_only_the_domains_vcpus() =>
        T.Expect(T.Domain("  vcpus: 2\n  memory: 2GiB\n  cpu:\n    numa:\n      - {cpus: \"0-2\", memory: 2GiB}\n"),
            OutOfRange, "spec.cpu.numa[0].cpus", 10, 16);

    [Fact]
    public void Numa_memory_must_add_up_to_the_domains_maximum()
    {
        var d = T.Expect(T.Domain("  vcpus: 2\n  memory: 1GiB\n  maxMemory: 2GiB\n  cpu:\n    numa:\n      - {cpus: \"0\", memory: 512MiB}\n      - {cpus: \"1\", memory: 512MiB}\n"),
            ConflictingFields, "spec.cpu.numa", 10, 5);
        Assert.Contains("adds up to 1GiB, but the domain's memory is 2GiB", d.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("3MiB")]
    [InlineData("1536KiB")]
    public void A_huge_page_size_that_is_not_a_power_of_two_is_refused_where_it_is_written(string size)
    {
        var d = T.Expect(T.Domain($"  memoryBacking:\n    hugepages: {{size: {size}}}\n"), OutOfRange, "spec.memoryBacking.hugepages.size", 7, 23);
        Assert.Contains("a power of two", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_huge_page_size_is_required() =>
        T.Expect(T.Domain("  memoryBacking: {hugepages: {}}\n"), MissingField, "spec.memoryBacking.hugepages.size", 6, 30);

    [Fact]
    public void A_numa_tune_mode_outside_the_list_is_refused() =>
        T.Expect(T.Domain("  numaTune: {mode: loose, nodeset: \"0\"}\n"), InvalidEnum, "spec.numaTune.mode", 6, 20);

    [Fact]
    public void Pinning_vcpus_must_be_a_list_of_strings() =>
        T.Expect(T.Domain("  cpu: {pinning: {vcpus: \"0\"}}\n"), WrongType, "spec.cpu.pinning.vcpus", 6, 26);
}
