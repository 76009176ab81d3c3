namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// spec.interfaces and spec.devices on qemu:///system: a macvtap NIC on a link the test owns defines
/// and starts with every default device turned off, and the next plan is empty; a NIC's link state
/// changes live (the domain keeps running, the guest's link goes down). Everything is named rc-nic-*
/// and removed afterwards, the link included.
/// </summary>
public sealed class NicTests : IDisposable
{
    private const string P = "rc-nic-";
    private const string Link = "rcnic-dmy0";
    private const string Peer = "rcnic-dmy1";
    private readonly SpecDir _dir = new();

    public NicTests()
    {
        RealLibvirt.Cleanup(P);
        Programs.Run("ip", "link", "del", Link);
    }

    public void Dispose()
    {
        RealLibvirt.Cleanup(P);
        Programs.Run("ip", "link", "del", Link);
        _dir.Dispose();
    }

    private static string Spec(string name, string fields) => $"""
        {RealLibvirt.NodeSpec(domainType: "qemu")}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {name}{"}"}
        spec:
          state: running
          vcpus: 1
          memory: 64MiB
          graphics: {"{"}type: none{"}"}
        {fields}

        """;

    /// <summary>
    /// A dummy link as the issue asks; a kernel without the dummy driver (this machine's: "Unknown
    /// device type") gets one end of a veth pair instead, which macvtap takes the same way.
    /// </summary>
    private static string AddLink()
    {
        var dummy = Programs.Run("ip", "link", "add", Link, "type", "dummy");
        var kind = "dummy";
        if (dummy.Code != 0)
        {
            var veth = Programs.Run("ip", "link", "add", Link, "type", "veth", "peer", "name", Peer);
            Assert.True(veth.Code == 0, $"neither a dummy ({dummy.Err.Trim()}) nor a veth link could be made: {veth.Err}");
            kind = "veth";
        }
        var up = Programs.Run("ip", "link", "set", Link, "up");
        Assert.True(up.Code == 0, up.Err);
        return kind;
    }

    [Fact]
    public async Task A_macvtap_nic_on_a_test_owned_link_defines_and_starts_with_the_default_devices_off_and_the_next_plan_is_empty()
    {
        var kind = AddLink();
        var name = P + "mv";
        _dir.Write("all.yaml", Spec(name, $"""
              interfaces: [{"{"}direct: {"{"}dev: {Link}, mode: bridge{"}"}{"}"}]
              devices: {"{"}rng: false, balloon: false, tablet: false, usb: false, agentChannel: false, serial: false, spareRootPorts: 1{"}"}
            """));

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, $"({kind} link) {apply}");
        Assert.Contains("running", Programs.Run("virsh", "-c", RealLibvirt.Uri, "domstate", name).Out, StringComparison.Ordinal);
        var live = Programs.Run("virsh", "-c", RealLibvirt.Uri, "dumpxml", name).Out;
        Assert.Contains("<interface type='direct'", live, StringComparison.Ordinal);
        Assert.Contains($"<source dev='{Link}' mode='bridge'/>", live, StringComparison.Ordinal);
        Assert.Contains("<memballoon model='none'/>", live, StringComparison.Ordinal);
        Assert.Contains("<controller type='usb' index='0' model='none'", live, StringComparison.Ordinal);
        Assert.DoesNotContain("<rng", live, StringComparison.Ordinal);
        Assert.DoesNotContain("<serial", live, StringComparison.Ordinal);
        Assert.DoesNotContain("guest_agent", live, StringComparison.Ordinal);
        // The kernel made a macvtap device on the link for the guest.
        Assert.Contains("macvtap", Programs.Run("ip", "-d", "link", "show").Out, StringComparison.Ordinal);

        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.DoesNotContain("Restart pending", plan.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_nics_link_state_changes_live_without_a_restart()
    {
        var name = P + "link";
        const string Mac = "52:54:00:4e:49:01";
        _dir.Write("all.yaml", Spec(name, $"  interfaces: [{"{"}user: true, mac: \"{Mac}\", linkState: up{"}"}]"));
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var id = Programs.Run("virsh", "-c", RealLibvirt.Uri, "domid", name).Out.Trim();
        Assert.Contains("up", Programs.Run("virsh", "-c", RealLibvirt.Uri, "domif-getlink", name, Mac).Out, StringComparison.Ordinal);

        _dir.Write("all.yaml", Spec(name, $"  interfaces: [{"{"}user: true, mac: \"{Mac}\", linkState: down{"}"}]"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains("spec.interfaces[0].linkState: up → down", plan.Out, StringComparison.Ordinal);
        Assert.Contains("(live)", plan.Out, StringComparison.Ordinal);
        var change = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(change.ExitCode == 0, change.ToString());

        Assert.Contains("down", Programs.Run("virsh", "-c", RealLibvirt.Uri, "domif-getlink", name, Mac).Out, StringComparison.Ordinal);
        Assert.Equal(id, Programs.Run("virsh", "-c", RealLibvirt.Uri, "domid", name).Out.Trim()); // the same QEMU process: not restarted
        var after = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.DoesNotContain("Restart pending", after.Out, StringComparison.Ordinal);
    }
}
