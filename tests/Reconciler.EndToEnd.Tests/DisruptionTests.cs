using System.Diagnostics;
using System.Xml.Linq;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// Disruption classes on a real libvirtd + QEMU with running domains: live changes reach the
/// running guest without a restart, next-boot changes show as restart pending until the guest
/// restarts, and restart: auto restarts the domain so the change is live.
/// </summary>
public sealed class DisruptionTests : IDisposable
{
    private const string Prefix = "e2e-dis-";
    private readonly SpecDir _dir = new();

    public DisruptionTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
    }

    private void Write(string name, string spec) => _dir.Write("vms.yaml", RealLibvirt.NodeSpec() + $"""

        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {Prefix}{name}{"}"}
        spec:
        {spec}
        """);

    private static string Spec(string extra) => "  state: running\n  vcpus: 1\n  maxVcpus: 2\n  memory: 96MiB\n  maxMemory: 256MiB\n  graphics: {type: none}\n" + extra;

    private static (int Id, string LiveXml) Running(string name)
    {
        using var conn = RealLibvirt.Connect();
        using var d = conn.LookupDomainByName(Prefix + name)!;
        Assert.True(d.IsActive, $"{name} is not running");
        var xml = d.GetXmlDesc(DomainXmlFlags.None);
        return (int.Parse(XDocument.Parse(xml).Root!.Attribute("id")!.Value), xml);
    }

    private async Task<Cli.Result> Apply(params string[] extra) =>
        await Cli.RunAsync(["apply", _dir.Path, "-y", "--shutdown-timeout", "2", .. extra]);

    [Fact]
    public async Task Memory_and_vcpus_within_their_maxima_change_live_without_a_restart()
    {
        Write("live", Spec(""));
        Assert.Equal(0, (await Apply()).ExitCode);
        var before = Running("live");

        Write("live", Spec("").Replace("memory: 96MiB", "memory: 160MiB").Replace("vcpus: 1", "vcpus: 2"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains("spec.memory: 96MiB → 160MiB   (live)", plan.Out);
        Assert.Contains("spec.vcpus: 1 → 2   (live)", plan.Out);

        // The gate: live changes exceed --max-disruption none, and nothing is applied.
        var refused = await Apply("--max-disruption", "none");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("exceed", refused.All());
        Assert.Equal(before.Id, Running("live").Id);

        var applied = await Apply();
        Assert.True(applied.ExitCode == 0, applied.ToString());
        var after = Running("live");
        Assert.Equal(before.Id, after.Id);                                   // not restarted
        var root = XDocument.Parse(after.LiveXml).Root!;
        Assert.Equal("2", root.Element("vcpu")!.Attribute("current")?.Value ?? root.Element("vcpu")!.Value);
        // The balloon target was set live (libvirt refuses it above the maximum, and apply would
        // have failed); the running XML's currentMemory is the balloon's actual size, which only a
        // guest balloon driver moves, so the persistent definition is what can be checked here.
        using (var conn = RealLibvirt.Connect())
        {
            using var d = conn.LookupDomainByName(Prefix + "live")!;
            Assert.Equal(160 * 1024, long.Parse(XDocument.Parse(d.GetXmlDesc(DomainXmlFlags.Inactive)).Root!.Element("currentMemory")!.Value));
        }

        var clean = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("Restart pending", clean.Out);
    }

    [Fact]
    public async Task A_machine_change_is_next_boot_pending_until_a_restart_and_then_clears_itself()
    {
        Write("nb", Spec("  machine: pc\n"));
        Assert.Equal(0, (await Apply()).ExitCode);
        var before = Running("nb");

        Write("nb", Spec("  machine: q35\n"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains("(next-boot)", plan.Out);
        var applied = await Apply();
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Equal(before.Id, Running("nb").Id);                           // the guest was not restarted

        var pending = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(pending.ExitCode == 0, pending.ToString());              // nothing left to change…
        Assert.Contains("Restart pending", pending.Out);                     // …but the guest has not picked it up
        Assert.Contains("spec.machine", pending.Out);

        using (var conn = RealLibvirt.Connect())                             // someone restarts it
        {
            using var d = conn.LookupDomainByName(Prefix + "nb")!;
            d.Destroy();
            d.Create();
        }
        var cleared = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(cleared.ExitCode == 0, cleared.ToString());
        Assert.DoesNotContain("Restart pending", cleared.Out);
    }

    [Fact]
    public async Task With_restart_auto_Reconciler_restarts_the_domain_and_the_change_is_live()
    {
        Write("auto", Spec("  machine: pc\n  updatePolicy: {restart: auto}\n"));
        Assert.Equal(0, (await Apply()).ExitCode);
        var before = Running("auto");

        Write("auto", Spec("  machine: q35\n  updatePolicy: {restart: auto}\n"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains("(restart)", plan.Out);
        Assert.Contains("[will restart]", plan.Out);
        var applied = await Apply();
        Assert.True(applied.ExitCode == 0, applied.ToString());
        Assert.Contains("restarted", applied.Out);

        var after = Running("auto");
        Assert.NotEqual(before.Id, after.Id);                                // a new QEMU process
        Assert.StartsWith("pc-q35-", XDocument.Parse(after.LiveXml).Root!.Element("os")!.Element("type")!.Attribute("machine")!.Value);
        var clean = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("Restart pending", clean.Out);
    }

    [Fact]
    public async Task A_virtio_disk_is_attached_to_the_running_domain_live()
    {
        var image = Path.Combine(_dir.Path, "extra.qcow2");
        using (var p = Process.Start(new ProcessStartInfo("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]))!) p.WaitForExit();
        Write("disk", Spec(""));
        Assert.Equal(0, (await Apply()).ExitCode);
        var before = Running("disk");

        Write("disk", Spec($"  disks:\n    - {{path: {image}}}\n"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains($"spec.disks[0].path: (none) → {image}   (live)", plan.Out);
        var applied = await Apply();
        Assert.True(applied.ExitCode == 0, applied.ToString());
        var after = Running("disk");
        Assert.Equal(before.Id, after.Id);
        Assert.Contains(image, after.LiveXml);                               // in the running instance
        var clean = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("Restart pending", clean.Out);
    }
}
