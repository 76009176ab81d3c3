using Reconciler.EndToEnd.Tests;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>
/// Two real nodes under one controller: the shared system libvirtd (never restarted here) and an
/// extra libvirtd in a private mount namespace on 127.0.0.1:16812. The extra daemon is killed
/// (SIGKILL, as in a crash): its resources turn Unknown/Stalled with libvirt's error while the
/// other node keeps converging (a new spec on it is applied); the daemon comes back on the same
/// state and port: the controller reconnects by itself (backoff) and converges, including a spec
/// written for that node while it was down.
/// </summary>
public sealed class NodeReconnectTests : IDisposable
{
    private const string Prefix = "nodes-rc-";
    private readonly TempDir _dir = new("reconnect");

    public NodeReconnectTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
    }

    internal static void Cleanup(string prefix = Prefix)
    {
        using var conn = RealLibvirt.Connect();
        foreach (var d in conn.ListAllDomains())
        {
            using (d)
            {
                if (!d.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                try { if (d.IsActive) d.Destroy(); } catch (LibvirtException) { }
                try { d.Undefine(UndefineFlags.Nvram); } catch (LibvirtException) { }
            }
        }
    }

    private static string Domain(string name, string node) =>
        $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: {name}}}\nspec: {{node: {node}, state: stopped, vcpus: 1, memory: 64MiB}}\n";

    private static bool Defined(string uri, string name)
    {
        using var conn = LibvirtConnection.Open(uri);
        using var d = conn.LookupDomainByName(name);
        return d is not null;
    }

    /// <summary>N in "reconnecting with backoff: attempt N in …", or 0.</summary>
    private static int Attempt(string? message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message ?? "", @"reconnecting with backoff: attempt (\d+)");
        return m.Success ? int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task A_dropped_node_is_unknown_while_the_other_converges_and_reconnects_with_backoff()
    {
        using var extra = new PrivateLibvirtd("nodes-rc", 16812);
        _dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: a{"}"}
            spec: {"{"}uri: "{RealLibvirt.Uri}"{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: b{"}"}
            spec: {"{"}uri: "{extra.Uri}", keepAliveInterval: 1, keepAliveCount: 2{"}"}

            """);
        _dir.Write("a1.yaml", Domain(Prefix + "a1", "a"));
        _dir.Write("b1.yaml", Domain(Prefix + "b1", "b"));
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"), ("BackoffBase", "300ms"), ("BackoffMax", "2s"));
        await controller.WaitAsync(s => s.Resources.Count == 2 && s.Resources.All(r => r.State == "Ready"), "both nodes converged");
        Assert.True(Defined(extra.AdminUri, Prefix + "b1"));

        extra.Kill();
        var down = await controller.WaitAsync(s => controller.Resource(s, Prefix + "b1") is { State: "Unknown" }, "b's resource Unknown after the kill");
        var b1 = controller.Resource(down, Prefix + "b1")!;
        Assert.Contains(b1.Conditions, c => c is { Type: "Stalled", Status: "True", Reason: "NodeUnreachable" });
        Assert.Contains(b1.Conditions, c => c is { Type: "Ready", Status: "Unknown" });
        Assert.Equal("Ready", controller.Resource(down, Prefix + "a1")!.State);

        // While b is down: a new spec for a is applied, one for b waits.
        _dir.Write("a2.yaml", Domain(Prefix + "a2", "a"));
        _dir.Write("b2.yaml", Domain(Prefix + "b2", "b"));
        var during = await controller.WaitAsync(s => controller.Resource(s, Prefix + "a2") is { State: "Ready" }, "a keeps converging while b is down");
        Assert.Equal("Unknown", controller.Resource(during, Prefix + "b2")!.State);
        // The first error is the dropped connection's ("Cannot recv data: ..."); the reconnect attempts that
        // follow name the address. a2 may converge before the first of them (50 ms debounce), so wait for it.
        await controller.WaitAsync(s => ((controller.Resource(s, Prefix + "b2")?.Message ?? "") + string.Join(" ", s.Nodes.Select(n => n.LastError)))
            .Contains("127.0.0.1:16812", StringComparison.Ordinal), "b's error names its address", 30);
        Assert.True(Defined(RealLibvirt.Uri, Prefix + "a2"));
        // Backoff: failed attempts pile up while the daemon stays down.
        // (The resource carries the pass's view of the node; the node's LastError may be the event connection's.)
        await controller.WaitAsync(s => s.Resources.Any(r => r.Node == "b" && Attempt(r.Message) >= 3), "b retried with backoff", 45);

        extra.Start();
        var back = await controller.WaitAsync(s => s.Resources.Count == 4 && s.Resources.All(r => r.State == "Ready"), "b reconnected and converged");
        Assert.All(back.Nodes, n => Assert.True(n.Reachable));
        Assert.True(Defined(extra.AdminUri, Prefix + "b2"));
        Assert.Contains(controller.Logs.Lines, l => l.Contains("node=b libvirt connection reconnected", StringComparison.Ordinal));
        Assert.Contains(controller.Logs.Lines, l => l.Contains("node=b libvirt connection dropped", StringComparison.Ordinal));
    }
}
