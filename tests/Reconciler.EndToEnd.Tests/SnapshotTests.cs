using System.Diagnostics;
using System.Xml.Linq;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>snapshotBeforeUpdate: a snapshot before a restart change, and reconcile rollback restoring it.</summary>
public sealed class SnapshotTests : IDisposable
{
    private const string Prefix = "e2e-snap-";
    private readonly SpecDir _dir = new();

    public SnapshotTests() => RealLibvirt.Cleanup(Prefix);

    public void Dispose()
    {
        using (var conn = RealLibvirt.Connect())
        {
            using var d = conn.LookupDomainByName(Prefix + "1");
            if (d is not null)
            {
                foreach (var s in d.ListSnapshotNames()) d.DeleteSnapshot(s, SnapshotDeleteFlags.None);
            }
        }
        RealLibvirt.Cleanup(Prefix);
        _dir.Dispose();
    }

    private void Write(string machine, string image) => _dir.Write("vms.yaml", RealLibvirt.NodeSpec() + $"""

        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {Prefix}1{"}"}
        spec:
          state: running
          memory: 96MiB
          machine: {machine}
          graphics: {"{"}type: none{"}"}
          disks:
            - {"{"}path: {image}{"}"}
          updatePolicy: {"{"}restart: auto{"}"}
          snapshotBeforeUpdate: true
          snapshotsToKeep: 2
        """);

    private static string InactiveMachine()
    {
        using var conn = RealLibvirt.Connect();
        using var d = conn.LookupDomainByName(Prefix + "1")!;
        return XDocument.Parse(d.GetXmlDesc(DomainXmlFlags.Inactive)).Root!.Element("os")!.Element("type")!.Attribute("machine")!.Value;
    }

    [Fact]
    public async Task A_restart_change_takes_a_snapshot_first_and_rollback_restores_it()
    {
        var image = Path.Combine(_dir.Path, "root.qcow2");
        using (var p = Process.Start(new ProcessStartInfo("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]))!) p.WaitForExit();
        Write("pc", image);
        var first = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "2");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.StartsWith("pc-i440fx-", InactiveMachine());

        Write("q35", image);
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "2");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("snapshot reconciler-", apply.Out);
        Assert.StartsWith("pc-q35-", InactiveMachine());
        using (var conn = RealLibvirt.Connect())
        {
            using var d = conn.LookupDomainByName(Prefix + "1")!;
            Assert.Single(d.ListSnapshotNames(), n => n.StartsWith("reconciler-", StringComparison.Ordinal));
        }

        var rollback = await Cli.RunAsync("rollback", Prefix + "1", _dir.Path);
        Assert.True(rollback.ExitCode == 0, rollback.ToString());
        Assert.Contains("revert it", rollback.Out);
        Assert.StartsWith("pc-i440fx-", InactiveMachine());          // the definition from before the change

        var refused = await Cli.RunAsync("rollback", Prefix + "nope", _dir.Path);
        Assert.Equal(1, refused.ExitCode);
    }
}
