using Reconciler.Core.Model;

namespace Reconciler.Specs.Tests;

/// <summary><c>spec.readiness</c>: one check per domain, located errors otherwise.</summary>
public class ReadinessSpecTests
{
    private const string Base = "  vcpus: 1\n  memory: 128MiB\n";

    [Theory]
    [InlineData("{agent: true}", ReadinessKind.Agent, null, null)]
    [InlineData("{address: true}", ReadinessKind.Address, null, null)]
    [InlineData("{tcp: 22}", ReadinessKind.Tcp, 22, null)]
    [InlineData("{console: \"login:\"}", ReadinessKind.Console, null, "login:")]
    public void Each_check_loads(string yaml, ReadinessKind kind, int? port, string? text)
    {
        var d = T.OneDomain(T.Domain(Base + "  readiness: " + yaml + "\n"));

        Assert.Equal(new Readiness(kind, port, text), d.Readiness);
    }

    [Fact]
    public void Without_readiness_the_guest_is_ready_once_running()
    {
        var d = T.OneDomain(T.Domain(Base));

        Assert.Null(d.Readiness);
        Assert.Equal("running", Readiness.Default.ToString());
    }

    [Fact]
    public void Readiness_is_not_part_of_the_compared_fields()
    {
        var without = T.OneDomain(T.Domain(Base));
        var with = T.OneDomain(T.Domain(Base + "  readiness: {tcp: 22}\n"));

        Assert.Equal(Reconciler.Core.Planning.SpecHash.Compute(without), Reconciler.Core.Planning.SpecHash.Compute(with));
    }

    [Fact]
    public void Two_checks_are_a_located_conflict()
    {
        var r = T.Domain(Base + "  readiness:\n    agent: true\n    tcp: 22\n");

        var d = T.Expect(r, "conflicting-fields", "spec.readiness.tcp", 10, 10);
        Assert.Contains("2 checks", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void No_check_is_a_located_missing_field()
    {
        var r = T.Domain(Base + "  readiness: {}\n");

        T.Expect(r, "missing-field", "spec.readiness", 8, 3);
    }

    [Fact]
    public void A_false_flag_is_an_error()
    {
        var r = T.Domain(Base + "  readiness:\n    address: false\n");

        T.Expect(r, "invalid-value", "spec.readiness.address", 9, 14);
    }

    [Fact]
    public void A_port_out_of_range_is_located()
    {
        var r = T.Domain(Base + "  readiness: {tcp: 70000}\n");

        Assert.Contains(r.Diagnostics, d => d.FieldPath == "spec.readiness.tcp" && d.Location!.Line == 8);
        Assert.Null(r.Specs);
    }

    [Fact]
    public void An_unknown_check_is_located()
    {
        var r = T.Domain(Base + "  readiness: {ping: true}\n");

        Assert.Contains(r.Diagnostics, d => d.FieldPath == "spec.readiness.ping" && d.Location!.Line == 8);
        Assert.Null(r.Specs);
    }
}
