using Reconciler.EndToEnd.Tests;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>
/// One connection per node: the controller listens to a remote node's libvirt events on the same
/// connection its passes use, not on a second one. Checked on an extra libvirtd (private mount
/// namespace, TCP on 127.0.0.1:16925) by counting the daemon's established TCP clients, before and
/// after the daemon is killed and started again; and the events still work after the reconnect:
/// a domain undefined behind the controller's back is defined again, with no resync due.
/// </summary>
public sealed class NodeEventConnectionTests : IDisposable
{
    private const string Name = "nconn-ev-1";
    private const int Port = 16925;
    private readonly TempDir _dir = new("nconn-events");

    public void Dispose() => _dir.Dispose();

    /// <summary>Established TCP connections whose server side is the daemon's port: one per client.</summary>
    private static int TcpClients()
    {
        var output = Shell.Run("ss", null, "-Htn", "state", "established", $"( sport = :{Port} )");
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
    }

    private static string? Uuid(PrivateLibvirtd node)
    {
        using var conn = LibvirtConnection.Open(node.AdminUri);
        using var d = conn.LookupDomainByName(Name);
        return d?.Uuid;
    }

    private static void UndefineBehindTheBack(PrivateLibvirtd node)
    {
        using var conn = LibvirtConnection.Open(node.AdminUri);
        using var d = conn.LookupDomainByName(Name)!;
        d.Undefine();
    }

    [Fact]
    public async Task Events_use_the_node_connection_and_are_registered_again_after_a_reconnect()
    {
        using var node = new PrivateLibvirtd("nconn-ev", Port);
        _dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: b{"}"}
            spec: {"{"}uri: "{node.Uri}", keepAliveInterval: 1, keepAliveCount: 2{"}"}

            """);
        _dir.Write("vm.yaml", $"apiVersion: reconciler/v1\nkind: Domain\nmetadata: {{name: {Name}}}\nspec: {{node: b, state: stopped, vcpus: 1, memory: 64MiB}}\n");
        // No resync within the test: only libvirt events (and reconnects) can start a pass.
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"), ("BackoffBase", "300ms"), ("BackoffMax", "2s"));
        await controller.WaitAsync(s => controller.Resource(s, Name) is { State: "Ready" } && s.Nodes.All(n => n.EventsConnected), "converged, events connected");
        await Eventually.TrueAsync(() => TcpClients() == 1, $"one TCP client on the node (seen: {TcpClients()})", 10);

        var first = Uuid(node);
        UndefineBehindTheBack(node);
        await Eventually.TrueAsync(() => Uuid(node) is { } u && u != first, "an undefine behind our back is put back by the event");

        node.Kill();
        await controller.WaitAsync(s => s.Nodes.Any(n => !n.EventsConnected) && controller.Resource(s, Name) is { State: "Unknown" }, "the drop is noticed", 60);
        node.Start();
        await controller.WaitAsync(s => controller.Resource(s, Name) is { State: "Ready" } && s.Nodes.All(n => n.EventsConnected && n.Reachable), "reconnected, events connected again", 90);
        Assert.Contains(controller.Logs.Lines, l => l.Contains("node=b libvirt connection reconnected", StringComparison.Ordinal));
        await Eventually.TrueAsync(() => TcpClients() == 1, $"still one TCP client after the reconnect (seen: {TcpClients()})", 10);

        // The events were registered on the new connection: the same out-of-band change is put back again.
        var second = Uuid(node);
        Assert.NotNull(second);
        UndefineBehindTheBack(node);
        await Eventually.TrueAsync(() => Uuid(node) is { } u && u != second, "an undefine after the reconnect is put back by the event");
        Assert.Equal(1, TcpClients());
    }
}
