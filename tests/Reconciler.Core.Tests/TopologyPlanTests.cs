using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>spec.cpu.topology through the planner: compared field by field, a next-boot change for a running domain.</summary>
public sealed class TopologyPlanTests
{
    private static readonly FieldPath Topology = DomainPaths.Cpu.Field("topology");

    private static DomainSpec WithTopology(DomainSpec d, int sockets, int cores, int threads) => d with
    {
        Declared = FieldValues.Empty.With(Topology.Field("sockets"), sockets.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With(Topology.Field("cores"), cores.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .With(Topology.Field("threads"), threads.ToString(System.Globalization.CultureInfo.InvariantCulture)),
    };

    private static Plan Plan(DomainSpec live, DomainSpec desired, LiveRunState state) =>
        Planner.Compute(Set(desired), [Node(Live(live, state))], new PlanOptions());

    [Fact]
    public void The_same_topology_is_no_change_and_a_new_one_waits_for_the_next_boot()
    {
        var live = WithTopology(Domain("d", d => d with { Vcpus = 4 }), 1, 2, 2);
        Assert.Empty(Plan(live, live, LiveRunState.Running).Changes);

        var change = Assert.Single(Plan(live, WithTopology(live, 1, 4, 1), LiveRunState.Running).Changes);
        Assert.Equal(["spec.cpu.topology.cores 2→4 NextBoot", "spec.cpu.topology.threads 2→1 NextBoot"],
            change.Fields.Select(f => $"{f.Path} {f.Before}→{f.After} {f.Disruption}"));
    }

    [Fact]
    public void A_stopped_domain_takes_a_new_topology_without_disruption()
    {
        var live = WithTopology(Domain("d", d => d with { Vcpus = 4 }), 1, 2, 2);
        var change = Assert.Single(Plan(live, WithTopology(live, 2, 2, 1), LiveRunState.Stopped).Changes);
        Assert.All(change.Fields, f => Assert.Equal(Disruption.None, f.Disruption));
    }

    [Fact]
    public void A_topology_the_spec_does_not_give_is_not_owned()
    {
        var live = WithTopology(Domain("d", d => d with { Vcpus = 4 }), 1, 2, 2);
        Assert.Empty(Plan(live, live with { Declared = FieldValues.Empty }, LiveRunState.Running).Changes);
    }

    [Fact]
    public void The_spec_hash_covers_the_topology() =>
        Assert.NotEqual(SpecHash.Compute(WithTopology(Domain("d"), 1, 1, 1)), SpecHash.Compute(Domain("d")));
}
