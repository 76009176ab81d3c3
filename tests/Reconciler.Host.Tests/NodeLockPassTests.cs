using Reconciler.Engine.Apply;

namespace Reconciler.Host.Tests;

/// <summary>
/// The controller over two nodes while another apply holds one node's lock: the free node (the
/// real libvirtd) converges at once; the locked node's domain is Reconciling (reason NodeLocked,
/// not failed, not stalled) and converges as soon as the lock is released, with no resync due.
/// </summary>
public sealed class NodeLockPassTests : IDisposable
{
    private const string Prefix = "nconn-lk-";
    private readonly TempDir _dir = new("nconn-lock");
    private readonly TempDir _nodeDir = new("nconn-lock-node");

    public NodeLockPassTests() => NodeReconnectTests.Cleanup(Prefix);

    public void Dispose()
    {
        NodeReconnectTests.Cleanup(Prefix);
        _dir.Dispose();
        _nodeDir.Dispose();
    }

    [Fact]
    public async Task A_node_busy_with_another_apply_waits_while_the_other_node_converges()
    {
        var nodeFile = Path.Combine(_nodeDir.Path, "node-b.xml");
        File.WriteAllText(nodeFile,
            "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>x86_64</model></cpu><memory>4194304</memory></node>");
        var locked = "test://" + nodeFile;
        _dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: a{"}"}
            spec: {"{"}uri: "{RealLibvirt.Uri}"{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: b{"}"}
            spec: {"{"}uri: "{locked}"{"}"}

            """);
        _dir.Write("vms.yaml", $"""
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: {Prefix}a{"}"}
            spec: {"{"}node: a, state: stopped, vcpus: 1, memory: 64MiB{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: {Prefix}b{"}"}
            spec: {"{"}node: b, state: stopped, vcpus: 1, memory: 64MiB{"}"}

            """);
        var held = await NodeLock.AcquireAsync(locked, "the test's apply", TimeSpan.Zero, CancellationToken.None);
        try
        {
            await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"), ("BackoffBase", "500ms"));
            var s = await controller.WaitAsync(s => controller.Resource(s, Prefix + "a") is { State: "Ready" } && controller.Resource(s, Prefix + "b") is not null,
                "the free node converged while the other is locked");
            Assert.True(RealLibvirt.Domain(Prefix + "a").Exists);
            var b = controller.Resource(s, Prefix + "b")!;
            Assert.Equal("Reconciling", b.State);
            Assert.Equal("NodeLocked", b.Reason);
            Assert.Contains("locked by the test's apply", b.Message);
            Assert.Contains(b.Conditions, c => c is { Type: "Stalled", Status: "False" });
            Assert.Contains(b.Conditions, c => c is { Type: "Reconciling", Status: "True", Reason: "NodeLocked" });
            Assert.Equal(0, b.Failures);
            Assert.All(s.Nodes, n => Assert.True(n.Reachable));

            held.Dispose();
            await controller.WaitAsync(s => controller.Resource(s, Prefix + "b") is { State: "Ready" }, "the released node converged");
        }
        finally
        {
            held.Dispose();
        }
    }
}
