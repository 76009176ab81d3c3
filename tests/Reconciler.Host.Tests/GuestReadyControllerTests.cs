namespace Reconciler.Host.Tests;

/// <summary>
/// The controller's GuestReady condition and guest fields in /status, apart from Ready (in sync),
/// on the real libvirtd with domains that boot no OS: the default readiness (running) holds, a
/// guest agent that never answers makes GuestReady False, and neither stalls the passes.
/// </summary>
public sealed class GuestReadyControllerTests : IDisposable
{
    private const string Prefix = "rc-guest-ctl-";
    private readonly TempDir _dir = new("guest");

    public GuestReadyControllerTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
    }

    [Fact]
    public async Task GuestReady_is_its_own_condition_and_a_silent_agent_makes_it_false_without_holding_back_Ready()
    {
        var plain = Prefix + "run";
        var agent = Prefix + "agent";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(plain) + "---\n"
            + RealLibvirt.DomainYaml(agent).Replace("graphics: {type: none}}", "graphics: {type: none}, readiness: {agent: true}}", StringComparison.Ordinal));
        Assert.Contains("readiness: {agent: true}", File.ReadAllText(Path.Combine(_dir.Path, "vm.yaml")), StringComparison.Ordinal);
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"));

        // The agent's domain is read not ready as soon as it is defined and while QEMU starts it
        // (libvirt reports it paused, "starting up"): wait for the read that asked its agent.
        var s = await controller.WaitAsync(d =>
            controller.Resource(d, plain)?.Guest is { Ready: true }
            && controller.Resource(d, agent)?.Guest is { Ready: false } g && g.Skipped.Any(k => k.StartsWith("agent: ", StringComparison.Ordinal)),
            "guest reads of both domains, the agent's asked", seconds: 120);

        var run = controller.Resource(s, plain)!;
        Assert.Equal("Ready", run.State); // in sync ...
        var guestReady = Assert.Single(run.Conditions, c => c.Type == "GuestReady");
        Assert.Equal(("True", "GuestReady"), (guestReady.Status, guestReady.Reason));
        Assert.Equal("running", run.Guest!.State);
        Assert.Equal("running", run.Guest.Readiness);
        Assert.Null(run.Guest.Address); // no interface: no address, and not an error
        Assert.Empty(run.Guest.Addresses);

        var silent = controller.Resource(s, agent)!;
        Assert.Equal("Ready", silent.State); // ... apart from the guest
        var notReady = Assert.Single(silent.Conditions, c => c.Type == "GuestReady");
        Assert.Equal(("False", "GuestNotReady"), (notReady.Status, notReady.Reason));
        Assert.Contains("agent", notReady.Message, StringComparison.Ordinal);
        Assert.Contains(silent.Guest!.Skipped, k => k.StartsWith("agent: ", StringComparison.Ordinal));

        // The same fields reach `reconcile status` (the table's GUEST column).
        Assert.Contains("not ready", StatusText.Render(s), StringComparison.Ordinal);
    }
}
