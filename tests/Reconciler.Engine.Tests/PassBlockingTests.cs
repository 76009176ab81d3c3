using Reconciler.Core.Model;
using Reconciler.Engine.Reconcile;

namespace Reconciler.Engine.Tests;

/// <summary>
/// A controller pass reports a domain Blocked only for a plan error about that domain: the error
/// names its domain (<c>Diagnostic.Resource</c>), so another domain whose name the message merely
/// quotes (here: the node's name, or a volume's) is not blocked.
/// </summary>
public sealed class PassBlockingTests
{
    [Fact]
    public async Task A_plan_error_blocks_the_domain_it_is_about_not_a_domain_its_message_quotes()
    {
        using var dir = new SpecDir();
        // The node already holds an unmanaged domain with a spec's name.
        var report = await SuspendedPass(dir, "h17c-twin", "<domain type='test'><name>h17c-web</name><memory>65536</memory><os><type>hvm</type></os></domain>", """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: h17c-web}
            spec: {node: h17c-twin, state: stopped, memory: 64MiB}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: h17c-twin}
            spec: {node: h17c-twin, state: stopped, memory: 64MiB}

            """);

        var web = report.Resources.Single(r => r.Name == "h17c-web");
        Assert.Equal((ResourceOutcome.Blocked, "NotOwned"), (web.Outcome, web.Reason));
        Assert.Contains("on node 'h17c-twin'", web.Message);
        // The error's message quotes 'h17c-twin' (the node), yet the domain of that name is only held by the suspension.
        var twin = report.Resources.Single(r => r.Name == "h17c-twin");
        Assert.Equal((ResourceOutcome.Suspended, "Suspended"), (twin.Outcome, twin.Reason));
    }

    [Fact]
    public async Task A_storage_error_blocks_the_domain_only_when_it_is_about_that_domain()
    {
        using var dir = new SpecDir();
        // The Volume h17d-data is in a pool that exists nowhere: an error about the volume, whose
        // message quotes 'h17d-data', the name of a domain too. h17d-lost's disk names no volume at all.
        var report = await SuspendedPass(dir, "h17d-node", "", """
            apiVersion: reconciler/v1
            kind: Volume
            metadata: {name: h17d-data}
            spec: {pool: h17d-nopool, size: 1MiB, format: raw}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: h17d-data}
            spec: {node: h17d-node, state: stopped, memory: 64MiB}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: h17d-lost}
            spec:
              node: h17d-node
              state: stopped
              memory: 64MiB
              disks: [{volume: h17d-nowhere}]

            """);

        Assert.Contains(report.Plan.Diagnostics, d => d.Code == "dangling-reference" && d.Message.Contains("volume 'h17d-data'", StringComparison.Ordinal));
        var lost = report.Resources.Single(r => r.Name == "h17d-lost");
        Assert.Equal((ResourceOutcome.Blocked, "DanglingReference"), (lost.Outcome, lost.Reason));
        Assert.Contains("'h17d-nowhere'", lost.Message);
        var data = report.Resources.Single(r => r.Kind == ResourceKind.Domain && r.Name == "h17d-data");
        Assert.Equal((ResourceOutcome.Suspended, "Suspended"), (data.Outcome, data.Reason));
    }

    /// <summary>
    /// A suspended pass (plan and report only) of <paramref name="specs"/> against a private test
    /// driver node <paramref name="node"/> that holds <paramref name="domainsXml"/>.
    /// </summary>
    private static async Task<PassReport> SuspendedPass(SpecDir dir, string node, string domainsXml, string specs)
    {
        var nodeFile = Path.Combine(dir.Path, "node.xml");
        File.WriteAllText(nodeFile, $"""
            <node>
              <cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>x86_64</model></cpu>
              <memory>4194304</memory>
              {domainsXml}
            </node>
            """);
        dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: {node}{"}"}
            spec: {"{"}uri: "test://{nodeFile}"{"}"}

            """);
        dir.Write("vms.yaml", specs);
        var loaded = Workspace.Load(dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        var policy = new PassPolicy(DriftMode.Correct, Suspend: true, TimeSpan.FromSeconds(5), TimeSpan.Zero, Adopt: false, (_, _) => true, (_, _) => null);
        return await ReconcilePass.RunAsync(loaded.Specs!, loaded.Nodes, policy, TextWriter.Null, CancellationToken.None);
    }
}
