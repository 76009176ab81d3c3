using System.Diagnostics;

namespace Reconciler.Host.Tests;

/// <summary>
/// libvirtd is restarted under a running controller (the pid in /var/run/libvirtd.pid is killed
/// and `libvirtd -d` started again, as an operator or a package upgrade would): a running domain
/// survives, the controller notices the lost event connection, reconnects, and converges.
/// </summary>
public sealed class LibvirtdRestartTests : IDisposable
{
    private const string PidFile = "/var/run/libvirtd.pid";
    private readonly TempDir _dir = new("restart");

    public LibvirtdRestartTests() => RealLibvirt.Cleanup();

    public void Dispose()
    {
        RealLibvirt.Cleanup();
        _dir.Dispose();
    }

    [Fact]
    public async Task The_controller_reconnects_after_a_libvirtd_restart_and_converges()
    {
        Assert.True(RealLibvirt.Uri == "qemu:///system" && File.Exists(PidFile), $"needs the system libvirtd with {PidFile} (start it with .ci/setup-libvirt.sh)");
        var name = RealLibvirt.Prefix + "restart";
        var stopped = RealLibvirt.Prefix + "restart-off";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name));
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"));
        await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" } && s.Nodes.Any(n => n.EventsConnected), "running, events connected");
        string uuid;
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            uuid = d.Uuid;
        }

        var pid = int.Parse(File.ReadAllText(PidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        using (var daemon = Process.GetProcessById(pid))
        {
            daemon.Kill();
            daemon.WaitForExit(30_000);
        }
        try
        {
            await controller.WaitAsync(s => s.Nodes.Any(n => !n.EventsConnected), "lost event connection noticed", 60);
            // A spec change while the daemon is down waits; nothing is lost.
            _dir.Write("off.yaml", RealLibvirt.DomainYaml(stopped, state: "stopped"));
        }
        finally
        {
            Shell.Run("libvirtd", null, "-d");
        }
        await Eventually.TrueAsync(() =>
        {
            try { return RealLibvirt.Domain(name).Running; } catch (InvalidOperationException) { return false; }
        }, "libvirtd back, the domain survived");
        await controller.WaitAsync(s => s.Nodes.All(n => n.EventsConnected && n.Reachable), "events reconnected");
        await Eventually.TrueAsync(() => RealLibvirt.Domain(stopped).Exists, "the change made while the daemon was down is applied");

        // Events flow again on the new connection: a stop behind our back is put back.
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            Assert.Equal(uuid, d.Uuid);
            d.Destroy();
        }
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).Running, "drift corrected after the reconnect");
        var s = await controller.WaitAsync(s => s.Resources.Count == 2 && s.Resources.All(r => r.State == "Ready"), "converged");
        Assert.All(s.Resources, r => Assert.Null(r.LastError));
    }
}
