using System.Xml.Linq;
using Reconciler.Core.Model;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Placement on real daemons: the system libvirtd (qemu:///system) and one extra libvirtd on
/// loopback TCP (<see cref="PrivateLibvirtd"/>). Capacity comes from their real virNodeGetInfo and
/// virNodeGetFreeMemory; the constraints used here (selector, anti-affinity) make the outcome
/// independent of how much memory happens to be free. Domains are defined stopped (no guest runs).
/// </summary>
public sealed class PlacementTests
{
    private const int Port = 16800;
    private const string Prefix = "place-e2e-";

    private static string Domain(string name, string placement, string memory = "64MiB") => $$"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{Prefix}}{{name}}}
        spec: {state: stopped, vcpus: 1, memory: {{memory}}, graphics: {type: none}, placement: {{placement}} }

        """;

    private static string? PlacedOn(string uri, string name)
    {
        using var connection = LibvirtConnection.Open(uri);
        using var domain = connection.LookupDomainByName(Prefix + name);
        if (domain is null) return null;
        XNamespace ns = OwnerRecord.Namespace;
        var owner = XElement.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive)).Element("metadata")?.Element(ns + "owner");
        return (string?)owner?.Element(ns + "placement")?.Attribute("node") ?? "(not recorded)";
    }

    [Fact]
    public async Task Domains_are_placed_across_two_real_daemons_recorded_kept_and_an_infeasible_one_is_a_plan_error()
    {
        RealLibvirt.Cleanup(Prefix);
        using var extra = new PrivateLibvirtd("place-x", Port);
        var nodes = $$"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {name: local, labels: {zone: z1} }
            spec: {uri: "{{RealLibvirt.Uri}}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {name: extra, labels: {zone: z2} }
            spec: {uri: "{{extra.Uri}}"}

            """;
        var domains = Domain("web-1", "{antiAffinity: place-e2e-web}") + Domain("web-2", "{antiAffinity: place-e2e-web}")
            + Domain("db", "{nodeSelector: {zone: z2}}");
        using var specs = new SpecDir().Write("all.yaml", nodes + domains);
        try
        {
            var plan = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 2, plan.ToString());
            Assert.Contains("placed on node extra: 1 of 2 nodes fit (nodeSelector zone=z2)", plan.Out);

            var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Assert.Equal("extra", PlacedOn(extra.AdminUri, "db"));
            Assert.Null(PlacedOn(RealLibvirt.Uri, "db"));
            var web = new[] { "web-1", "web-2" }.Select(n => (Local: PlacedOn(RealLibvirt.Uri, n), Extra: PlacedOn(extra.AdminUri, n))).ToList();
            // One web domain on each node, each recording the node it is on.
            Assert.Equal(["extra", "local"], web.Select(w => w.Local ?? w.Extra ?? "").Order().ToArray());
            Assert.All(web, w => Assert.True(w.Local is null != w.Extra is null, $"{w}"));

            var again = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Contains("No changes.", again.Out);

            // 1TiB fits on neither machine: a plan error naming the constraint; the rest stays converged.
            specs.Write("all.yaml", nodes + domains + Domain("huge", "{}", memory: "1TiB"));
            var infeasible = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(infeasible.ExitCode == 1, infeasible.ToString());
            Assert.Contains($"domain '{Prefix}huge' cannot be placed: no node satisfies its placement: memory excludes extra (needs 1TiB,", infeasible.All());
            Assert.Contains("all.yaml:", infeasible.All());
            Assert.Contains("No changes.", infeasible.Out);
        }
        finally
        {
            RealLibvirt.Cleanup(Prefix);
        }
    }
}
