using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>spec.placement of a Domain: parsing, defaults and validation.</summary>
public sealed class PlacementSpecTests
{
    private const string Nodes =
        "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv1, labels: {rack: r1}}\nspec: {uri: \"qemu:///system\"}\n---\n" +
        "apiVersion: reconciler/v1\nkind: Node\nmetadata: {name: hv2, labels: {rack: r2}}\nspec: {uri: \"qemu+ssh://root@hv2/system\"}\n---\n";

    [Fact]
    public void A_placement_is_read_with_its_defaults_and_replaces_the_node_requirement_of_a_multi_node_set()
    {
        var set = T.Ok(T.Load(Nodes + T.DomainHeader + "  placement: {nodeSelector: {rack: r2, ssd: \"true\"}, antiAffinity: web, spread: domains}\n"));
        Assert.Equal(["rack", "r1"], set.Nodes[0].Meta.Labels.SelectMany(l => new[] { l.Key, l.Value }));
        var p = Assert.Single(set.Domains).Placement!;
        Assert.Equal("rack=r2,ssd=true", p.SelectorText);
        Assert.Equal(("web", PlacementSpread.Domains, (string?)null), (p.AntiAffinity, p.Spread, p.Node));

        var empty = T.OneDomain(T.Load(Nodes + T.DomainHeader + "  placement: {}\n")).Placement!;
        Assert.Equal(("", null, PlacementSpread.Memory), (empty.SelectorText, empty.AntiAffinity, empty.Spread));
        Assert.Null(T.OneDomain(T.Domain("  vcpus: 1\n")).Placement);
    }

    [Fact]
    public void Without_node_or_placement_a_multi_node_set_still_needs_a_node_and_the_hint_says_placement()
    {
        var d = T.Expect(T.Load(Nodes + T.DomainHeader + "  vcpus: 1\n"), NodeRequired, "spec.node", 15, 1);
        Assert.Contains("placement", d.Hint);
    }

    [Fact]
    public void Bad_selector_labels_group_names_and_spreads_are_errors_at_their_line()
    {
        T.Expect(T.Domain("  placement:\n    nodeSelector: {\"bad key!\": x}\n"), InvalidLabel, "spec.placement.nodeSelector.bad key!", 7, 20);
        T.Expect(T.Domain("  placement:\n    antiAffinity: \"no spaces\"\n"), InvalidValue, "spec.placement.antiAffinity", 7, 19);
        var d = T.Expect(T.Domain("  placement:\n    spread: evenly\n"), InvalidEnum, "spec.placement.spread", 7, 13);
        Assert.Contains("memory, domains", d.Hint);
        T.Expect(T.Domain("  placement:\n    nodeSelect: {rack: r1}\n"), UnknownField, "spec.placement.nodeSelect", 7, 5);
    }
}
