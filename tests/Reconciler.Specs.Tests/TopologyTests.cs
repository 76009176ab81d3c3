using Reconciler.Core.Fields;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>spec.cpu.topology: a declared object, loaded, range-checked and cross-checked against maxVcpus.</summary>
public sealed class TopologyTests
{
    private static readonly FieldPath Topology = DomainPaths.Cpu.Field("topology");

    [Fact]
    public void Topology_is_loaded_into_the_declared_values()
    {
        var d = T.OneDomain(T.Domain("  vcpus: 2\n  maxVcpus: 4\n  cpu: {mode: host-model, topology: {sockets: 1, cores: 2, threads: 2}}\n"));
        Assert.Equal(("1", "2", "2"), (d.Declared[Topology.Field("sockets")], d.Declared[Topology.Field("cores")], d.Declared[Topology.Field("threads")]));
        Assert.Equal("host-model", d.Cpu.Mode);
    }

    [Fact]
    public void Without_topology_nothing_is_declared() =>
        Assert.Equal(FieldValues.Empty, T.OneDomain(T.Domain("  vcpus: 2\n")).Declared);

    [Fact]
    public void A_topology_that_does_not_multiply_to_max_vcpus_is_located_at_the_topology()
    {
        var d = T.Expect(T.Domain("  vcpus: 4\n  cpu:\n    topology: {sockets: 1, cores: 3, threads: 2}\n"), ConflictingFields, "spec.cpu.topology", 8, 5);
        Assert.Contains("6 vCPUs", d.Message, StringComparison.Ordinal);
        Assert.Contains("maxVcpus is 4", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_topology_field_is_required() =>
        T.Expect(T.Domain("  vcpus: 2\n  cpu: {topology: {sockets: 1, cores: 2}}\n"), MissingField, "spec.cpu.topology.threads", 7, 19);

    [Fact]
    public void A_count_below_one_is_out_of_range_where_it_is_written()
    {
        var d = T.Expect(T.Domain("  vcpus: 2\n  cpu: {topology: {sockets: 0, cores: 2, threads: 1}}\n"), OutOfRange, "spec.cpu.topology.sockets", 7, 29);
        Assert.Contains("between 1 and 4096", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_topology_field_is_suggested() =>
        T.Expect(T.Domain("  vcpus: 2\n  cpu: {topology: {sockets: 1, cores: 2, thread: 1}}\n"), UnknownField, "spec.cpu.topology.thread", 7, 42);
}
