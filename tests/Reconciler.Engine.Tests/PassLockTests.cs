using System.Diagnostics;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Reconcile;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// A controller pass over two nodes while another apply holds one node's lock: the free node is
/// read, planned and applied at once; the locked node's change waits (not failed) naming the
/// holder; once the lock is released the next pass applies it.
/// </summary>
public sealed class PassLockTests
{
    private static PassPolicy Policy(TimeSpan lockWait) =>
        new(DriftMode.Correct, Suspend: false, TimeSpan.FromSeconds(5), lockWait, Adopt: false, (_, _) => true, (_, _) => null);

    [Fact]
    public async Task A_node_locked_by_another_apply_waits_while_the_other_node_converges()
    {
        using var dir = new SpecDir();
        var free = "test:///default";
        var lockedNode = Path.Combine(dir.Path, "node-b.xml");
        File.WriteAllText(lockedNode, "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>x86_64</model></cpu><memory>4194304</memory></node>");
        var locked = "test://" + lockedNode;
        dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: a{"}"}
            spec: {"{"}uri: "{free}"{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: b{"}"}
            spec: {"{"}uri: "{locked}"{"}"}

            """);
        dir.Write("vms.yaml", """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: nconn-lock-a}
            spec: {node: a, state: stopped, memory: 64MiB}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: nconn-lock-b}
            spec: {node: b, state: stopped, memory: 64MiB}

            """);
        var loaded = Workspace.Load(dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        // Keeps test:///default's in-process state alive for the checks below.
        using var watch = LibvirtConnection.Open(free);
        try
        {
            PassReport report;
            var clock = Stopwatch.StartNew();
            using (await NodeLock.AcquireAsync(locked, "the test's apply", TimeSpan.Zero, CancellationToken.None))
            {
                report = await ReconcilePass.RunAsync(loaded.Specs!, loaded.Nodes, Policy(TimeSpan.Zero), TextWriter.Null, CancellationToken.None);
                // Node a's lock was released with the pass; b's is still ours.
                using var again = await NodeLock.AcquireAsync(free, "check", TimeSpan.Zero, CancellationToken.None);
            }
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"the pass took {clock.Elapsed}");

            var a = report.Resources.Single(r => r.Name == "nconn-lock-a");
            var b = report.Resources.Single(r => r.Name == "nconn-lock-b");
            Assert.Equal(ResourceOutcome.Applied, a.Outcome);
            using (var d = watch.LookupDomainByName("nconn-lock-a")) Assert.NotNull(d);
            Assert.Equal(ResourceOutcome.Waiting, b.Outcome);
            Assert.Equal("NodeLocked", b.Reason);
            Assert.Contains("locked by the test's apply", b.Message);
            Assert.Contains("create", b.Message);
            Assert.All(report.Nodes, n => Assert.Null(n.Error)); // b was read, not unreachable

            // A lock wait bounds the delay: the pass waits about that long for b, then goes on without it.
            using (await NodeLock.AcquireAsync(locked, "the test's apply", TimeSpan.Zero, CancellationToken.None))
            {
                clock.Restart();
                var waited = await ReconcilePass.RunAsync(loaded.Specs!, loaded.Nodes, Policy(TimeSpan.FromSeconds(1)), TextWriter.Null, CancellationToken.None);
                Assert.InRange(clock.Elapsed.TotalSeconds, 0.9, 30);
                Assert.Equal(ResourceOutcome.Waiting, waited.Resources.Single(r => r.Name == "nconn-lock-b").Outcome);
                Assert.Equal(ResourceOutcome.InSync, waited.Resources.Single(r => r.Name == "nconn-lock-a").Outcome);
            }

            // Released: the next pass applies b's change.
            var after = await ReconcilePass.RunAsync(loaded.Specs!, loaded.Nodes, Policy(TimeSpan.Zero), TextWriter.Null, CancellationToken.None);
            Assert.Equal(ResourceOutcome.Applied, after.Resources.Single(r => r.Name == "nconn-lock-b").Outcome);
        }
        finally
        {
            using var d = watch.LookupDomainByName("nconn-lock-a");
            d?.Undefine();
        }
    }
}
