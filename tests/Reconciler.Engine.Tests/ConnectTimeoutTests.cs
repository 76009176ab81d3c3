using System.Diagnostics;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>
/// A node whose host accepts the TCP connection and never says a word: libvirt's open would wait
/// for it forever. The plan must give up on it after the node's connect timeout, plan the other
/// node, name the silent one with its URI and the timeout, and exit non-zero.
/// </summary>
public sealed class ConnectTimeoutTests
{
    [Fact]
    public async Task A_silent_node_times_out_by_its_connect_timeout_while_the_other_node_is_planned()
    {
        const int port = 16921;
        using var silent = new SilentHost(port);
        using var dir = new SpecDir()
            .Write("nodes.yaml", $"""
                apiVersion: reconciler/v1
                kind: Node
                metadata: {"{"}name: good{"}"}
                spec: {"{"}uri: "test:///default"{"}"}
                ---
                apiVersion: reconciler/v1
                kind: Node
                metadata: {"{"}name: mute{"}"}
                spec: {"{"}uri: "qemu+tcp://127.0.0.1:{port}/system", connectTimeout: 2{"}"}

                """)
            .Write("vms.yaml", """
                apiVersion: reconciler/v1
                kind: Domain
                metadata: {name: nconn-good-1}
                spec: {node: good, memory: 64MiB}
                ---
                apiVersion: reconciler/v1
                kind: Domain
                metadata: {name: nconn-mute-1}
                spec: {node: mute, memory: 64MiB}

                """);

        var clock = Stopwatch.StartNew();
        // Without a bound this never returns (the listener never answers): fail instead of hanging.
        var plan = await Cli.RunAsync("plan", dir.Path).WaitAsync(TimeSpan.FromSeconds(60));
        var took = clock.Elapsed;

        Assert.True(plan.ExitCode == 1, plan.ToString());
        Assert.InRange(took.TotalSeconds, 1.5, 30); // waited for the timeout (2 s), not for the OS or forever (room for a loaded machine)
        Assert.Contains("node 'mute'", plan.All);
        Assert.Contains($"no answer from qemu+tcp://127.0.0.1:{port}/system within 2s", plan.All);
        Assert.Contains("connect timeout", plan.All);
        Assert.Contains("nconn-good-1", plan.Out); // the good node was planned: its domain is to be created
        Assert.Equal(1, silent.Accepted);

        // The first open is still hanging on the silent socket: a second plan waits on that one
        // instead of opening another connection, and says so.
        var again = await Cli.RunAsync("plan", dir.Path).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.True(again.ExitCode == 1, again.ToString());
        Assert.Contains("still waiting for an answer", again.All);
        Assert.Equal(1, silent.Accepted);
    }

    [Fact]
    public void The_connect_timeout_defaults_to_10s_and_follows_the_node_spec()
    {
        using var dir = new SpecDir().Write("n.yaml", """
            apiVersion: reconciler/v1
            kind: Node
            metadata: {name: a}
            spec: {uri: "qemu+tcp://127.0.0.1:16922/system"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {name: b}
            spec: {uri: "qemu+tcp://127.0.0.1:16923/system", connectTimeout: 45}

            """);
        var loaded = Workspace.Load(dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        Assert.Equal(TimeSpan.FromSeconds(10), loaded.Nodes.Single(n => n.Name == "a").ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(45), loaded.Nodes.Single(n => n.Name == "b").ConnectTimeout);
        Assert.Equal(NodeTarget.DefaultConnectTimeout, new NodeTarget("x", "qemu:///system").ConnectTimeout);
    }
}
