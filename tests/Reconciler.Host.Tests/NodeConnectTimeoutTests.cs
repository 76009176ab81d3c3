using Reconciler.Engine.Tests;

namespace Reconciler.Host.Tests;

/// <summary>
/// The controller with a node whose host accepts TCP and never answers (a loopback socket on
/// 127.0.0.1:16927): the other node (the real libvirtd) converges; the silent node's domain is
/// Unknown with an error naming the URI and its connect timeout; retries back off and wait on the
/// one open still hanging instead of piling up connections.
/// </summary>
public sealed class NodeConnectTimeoutTests : IDisposable
{
    private const string Prefix = "nconn-to-";
    private const int Port = 16927;
    private readonly TempDir _dir = new("nconn-timeout");

    public NodeConnectTimeoutTests() => NodeReconnectTests.Cleanup(Prefix);

    public void Dispose()
    {
        NodeReconnectTests.Cleanup(Prefix);
        _dir.Dispose();
    }

    [Fact]
    public async Task A_silent_node_is_unreachable_after_its_connect_timeout_while_the_other_converges()
    {
        using var silent = new SilentHost(Port);
        _dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: a{"}"}
            spec: {"{"}uri: "{RealLibvirt.Uri}"{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: mute{"}"}
            spec: {"{"}uri: "qemu+tcp://127.0.0.1:{Port}/system", connectTimeout: 2{"}"}

            """);
        _dir.Write("vms.yaml", $"""
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: {Prefix}a{"}"}
            spec: {"{"}node: a, state: stopped, vcpus: 1, memory: 64MiB{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: {Prefix}m{"}"}
            spec: {"{"}node: mute, state: stopped, vcpus: 1, memory: 64MiB{"}"}

            """);
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"), ("BackoffBase", "300ms"), ("BackoffMax", "2s"));
        var s = await controller.WaitAsync(s => controller.Resource(s, Prefix + "a") is { State: "Ready" }
            && controller.Resource(s, Prefix + "m") is { State: "Unknown", Message: { } m } && m.Contains("within 2s", StringComparison.Ordinal),
            "a converged, the silent node timed out", 40);
        Assert.True(RealLibvirt.Domain(Prefix + "a").Exists);
        var mute = controller.Resource(s, Prefix + "m")!;
        Assert.Contains($"no answer from qemu+tcp://127.0.0.1:{Port}/system within 2s", mute.Message);
        Assert.Contains(mute.Conditions, c => c is { Type: "Stalled", Status: "True", Reason: "NodeUnreachable" });

        // Retried with backoff, each retry waiting on the one open that still hangs: one connection, not one per attempt.
        await controller.WaitAsync(s => System.Text.RegularExpressions.Regex.IsMatch(controller.Resource(s, Prefix + "m")?.Message ?? "", @"attempt ([3-9]|\d\d)"),
            "three attempts", 60);
        Assert.Equal(1, silent.Accepted);
    }
}
