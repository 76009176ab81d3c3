using Reconciler.Core.Model;
using System.Xml.Linq;
using Reconciler.Engine.Apply;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// External (disk-only) snapshots of the tiny guest on qemu:///system (<see cref="ExternalSnapshots"/>):
/// three taken while it runs (same domain id, no pause), the plan stays empty and a redefine keeps
/// the overlays, rollback refuses them, pruning merges them back (block commit; the newest with a
/// pivot) so the chain shrinks, and data written between the snapshots is all in the disk's own
/// file afterwards, on which the domain starts again (the tiny guest boots from its kernel and
/// initramfs, not from the disk, so its READY line would prove nothing about the image and is not awaited a second time). A merge that fails (the disk's filesystem is
/// full) leaves the guest running on its chain with its data, says so, and succeeds once there is room.
/// The data is written through the disk's own QEMU block backend (HMP <c>qemu-io</c>), the way guest
/// writes go, and read back with <c>qemu-img</c> from the disk's file once QEMU has closed it (HMP
/// <c>qemu-io</c> prints what it read to QEMU's stdout, not to the monitor). Everything is named
/// snx-* and removed afterwards.
/// </summary>
public sealed class ExternalSnapshotTests : IDisposable
{
    private const string P = "snx-";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory("snx-").FullName;
    private string? _mount;

    public ExternalSnapshotTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        if (_mount is not null) Programs.Run("umount", _mount);
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static void Cleanup()
    {
        using (var conn = RealLibvirt.Connect())
        {
            foreach (var d in conn.ListAllDomains())
            {
                using (d)
                {
                    if (!d.Name.StartsWith(P, StringComparison.Ordinal)) continue;
                    foreach (var s in d.ListSnapshotNames()) d.DeleteSnapshot(s, SnapshotDeleteFlags.MetadataOnly);
                }
            }
        }
        RealLibvirt.Cleanup(P);
    }

    private void Write(string name, string image, string description = "snx test guest", string policy = "") => _dir.Write("vms.yaml", RealLibvirt.NodeSpec(domainType: "qemu") + $$"""

        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{name}}}
        spec:
          state: running
          vcpus: 1
          memory: 128MiB
          machine: pc
          graphics: {type: none}
          description: "{{description}}"
          disks: [{path: {{image}}}]
        {{policy}}
          xml:
        {{TinyGuest.XmlPatches(Path.Combine(_work, name + ".log"), "    ")}}
        """);

    private static string Image(string directory)
    {
        var image = Path.Combine(directory, "root.qcow2");
        var made = Programs.Run("qemu-img", "create", "-q", "-f", "qcow2", image, "32M");
        Assert.True(made.Code == 0, made.Err);
        return image;
    }

    private static string Virsh(params string[] args)
    {
        var run = Programs.Run("virsh", ["-c", RealLibvirt.Uri, .. args]);
        Assert.True(run.Code == 0, $"virsh {string.Join(' ', args)}: {run.Out}{run.Err}");
        return run.Out.Trim();
    }

    /// <summary>Runs a qemu-io command on the disk's own block backend (what the guest writes through), in the running QEMU.</summary>
    private static string QemuIo(string domain, string command) =>
        Virsh("qemu-monitor-command", domain, "--hmp", $"qemu-io -d /machine/peripheral/virtio-disk0/virtio-backend \"{command}\"");

    /// <summary>Asserts that <paramref name="image"/> (read with qemu-img while no QEMU has it open) holds <paramref name="pattern"/> in each of <paramref name="offsets"/>'s 64 KiB.</summary>
    private void AssertImageHolds(string image, int pattern, params long[] offsets)
    {
        var raw = Path.Combine(_work, "read.raw");
        var converted = Programs.Run("qemu-img", "convert", "-O", "raw", image, raw);
        Assert.True(converted.Code == 0, converted.Err);
        using var stream = File.OpenRead(raw);
        var block = new byte[64 << 10];
        foreach (var offset in offsets)
        {
            stream.Position = offset;
            stream.ReadExactly(block);
            Assert.True(block.All(b => b == pattern), $"{image} does not hold 0x{pattern:x2} at {offset} (what was written through the disk)");
        }
        File.Delete(raw);
    }

    private static string InactiveSource(LibvirtDomain domain) =>
        (string)XDocument.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive)).Root!.Element("devices")!.Element("disk")!.Element("source")!.Attribute("file")!;

    private async Task AssertPlanEmpty(string when)
    {
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, $"{when}: the plan is not empty:\n{plan}");
    }

    [Fact]
    public async Task Three_external_snapshots_keep_the_guest_running_leave_no_diff_and_prune_merges_them_back_with_the_data()
    {
        var name = P + "run";
        var image = Image(_work);
        Write(name, image);
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        // The snapshots need QEMU running, not the guest's userland; on a loaded machine TCG may take
        // minutes to boot, so READY is awaited for a while and, when seen, must stay the only one (no reboot).
        var console = Path.Combine(_work, name + ".log");
        var (booted, _) = await TinyGuest.WaitForAsync(console, "TINY-GUEST-READY", TimeSpan.FromSeconds(120));
        var id = Virsh("domid", name);
        var external = new ExternalSnapshots();
        var names = new[] { "reconciler-snx-1", "reconciler-snx-2", "reconciler-snx-3" };

        using var conn = RealLibvirt.Connect();
        using var domain = conn.LookupDomainByName(name)!;
        QemuIo(name, "write -P 0xa0 0M 64k");
        for (var i = 0; i < names.Length; i++)
        {
            var made = external.Take(domain, names[i], $"snx test {i + 1}", quiesce: false);
            Assert.Equal([new ExternalOverlayFile("vda", image, image + "." + names[i])], made.Overlays);
            QemuIo(name, $"write -P 0x{0xa1 + i:x2} {i + 1}M 64k");
        }

        // Running all along (the same QEMU process), on a chain of three overlays over the spec's file.
        Assert.Equal(id, Virsh("domid", name));
        Assert.Equal("running", Virsh("domstate", name));
        Assert.Equal([image + ".reconciler-snx-3", image + ".reconciler-snx-2", image + ".reconciler-snx-1", image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Equal(image + ".reconciler-snx-3", InactiveSource(domain));
        await AssertPlanEmpty("after three external snapshots");

        // A change that redefines the domain keeps the overlays in its persistent definition.
        Write(name, image, "changed while on overlays");
        var redefine = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(redefine.ExitCode == 0, redefine.ToString());
        Assert.Equal(image + ".reconciler-snx-3", InactiveSource(domain));
        Assert.Contains(image + ".reconciler-snx-1", domain.GetXmlDesc(DomainXmlFlags.Inactive), StringComparison.Ordinal);
        await AssertPlanEmpty("after a redefine on overlays");

        // libvirt 9.0 cannot revert to an external snapshot: rollback says so and changes nothing.
        var rollback = await Cli.RunAsync("rollback", name, _dir.Path, "--snapshot", "reconciler-snx-2");
        Assert.Equal(1, rollback.ExitCode);
        Assert.Contains("cannot revert to an external snapshot", rollback.Err, StringComparison.Ordinal);
        Assert.Equal(id, Virsh("domid", name));

        // Retention prunes the two oldest: merged down, files gone, chain two long, still the same run.
        foreach (var old in names[..2])
        {
            var outcome = external.Prune(domain, old);
            Assert.True(outcome.Status == ExternalPruneStatus.Merged, outcome.Message);
            Assert.Equal([image + "." + old], outcome.Merged);
            Assert.False(File.Exists(image + "." + old), $"{old}'s overlay was not deleted");
        }
        Assert.Equal([image + ".reconciler-snx-3", image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Equal(["reconciler-snx-3"], domain.ListSnapshotNames());
        Assert.Equal(id, Virsh("domid", name));
        await AssertPlanEmpty("after pruning two");

        // The newest is the active layer: merged with a pivot back onto the spec's file.
        var last = external.Prune(domain, names[2]);
        Assert.True(last.Status == ExternalPruneStatus.Merged, last.Message);
        Assert.Equal([image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Equal(image, InactiveSource(domain));
        Assert.Empty(domain.ListSnapshotNames());
        Assert.DoesNotContain(Directory.GetFiles(_work), f => f.StartsWith(image + ".", StringComparison.Ordinal));
        Assert.Equal(id, Virsh("domid", name));
        await AssertPlanEmpty("after pruning all");

        if (booted)
        {
            var (_, log) = await TinyGuest.WaitForAsync(console, "TINY-GUEST-READY", TimeSpan.Zero);
            Assert.True(log.Split("TINY-GUEST-READY").Length == 2 && !log.Contains("TINY-GUEST-POWEROFF", StringComparison.Ordinal), $"the guest restarted while snapshotted and merged:\n{log}");
        }

        // Everything is in the disk's own file now: the guest boots from it again.
        domain.Destroy();
        var check = Programs.Run("qemu-img", "check", image);
        Assert.True(check.Code == 0, check.Out + check.Err);
        for (var i = 0; i < 4; i++) AssertImageHolds(image, 0xa0 + i, (long)i << 20);
        // And the domain starts again on it alone (the persistent definition names the disk's own file).
        domain.Create();
        Assert.Equal([image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Equal("running", Virsh("domstate", name));
    }

    [Fact]
    public async Task Kind_external_through_reconcile_snapshot_keeps_snapshotsToKeep_by_merging_the_older_overlays_back()
    {
        var name = P + "keep";
        var image = Image(_work);
        Write(name, image, policy: "  snapshotsToKeep: 1\n  snapshots: {kind: external}");
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var id = Virsh("domid", name);

        for (var i = 0; i < 3; i++)
        {
            var taken = await Cli.RunAsync("snapshot", name, _dir.Path, "--label", $"take {i + 1}");
            Assert.True(taken.ExitCode == 0, taken.ToString());
        }

        // One kept (the newest, external), the two older merged back: the chain is one overlay over the spec's file.
        using var conn = RealLibvirt.Connect();
        using var domain = conn.LookupDomainByName(name)!;
        var kept = Assert.Single(Snapshots.Read(domain));
        Assert.Equal(SnapshotKind.External, kept.Kind);
        Assert.Equal("take 3", kept.Label);
        Assert.Equal([image + "." + kept.Name, image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Single(Directory.GetFiles(_work), f => f.StartsWith(image + ".", StringComparison.Ordinal));
        Assert.Equal(id, Virsh("domid", name));
        await AssertPlanEmpty("after three snapshots kept to one");
        var listed = await Cli.RunAsync("snapshots", _dir.Path);
        Assert.True(listed.ExitCode == 0 && listed.Out.Contains(kept.Name, StringComparison.Ordinal), listed.ToString());
    }

    [Fact]
    public async Task A_merge_that_fails_leaves_the_guest_running_on_a_usable_chain_and_says_so()
    {
        var name = P + "full";
        _mount = Path.Combine(_work, "fs");
        Directory.CreateDirectory(_mount);
        var mounted = Programs.Run("mount", "-t", "tmpfs", "-o", "size=16m", "snx-full", _mount);
        Assert.True(mounted.Code == 0, mounted.Err);
        var image = Image(_mount);
        Write(name, image);
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var id = Virsh("domid", name);
        var external = new ExternalSnapshots();
        using var conn = RealLibvirt.Connect();
        using var domain = conn.LookupDomainByName(name)!;

        external.Take(domain, "reconciler-snx-full", "snx test", quiesce: false);
        QemuIo(name, "write -P 0xb1 0 6M");
        // Fill the filesystem: merging the 6 MiB into the disk's own file cannot allocate them.
        var filler = Path.Combine(_mount, "filler");
        using (var fill = new FileStream(filler, FileMode.Create, FileAccess.Write))
        {
            var chunk = new byte[1 << 20];
            Array.Fill(chunk, (byte)0x5a);
            try
            {
                for (var i = 0; i < 64; i++) fill.Write(chunk);
                fill.Flush(flushToDisk: true);
            }
            catch (IOException)
            {
                // No space left: what it is for.
            }
        }

        var failed = external.Prune(domain, "reconciler-snx-full");

        Assert.Equal(ExternalPruneStatus.CommitFailed, failed.Status);
        Assert.Contains("runs on its chain as before and is usable", failed.Message, StringComparison.Ordinal);
        Assert.Empty(failed.Merged);
        Assert.Equal(id, Virsh("domid", name));
        Assert.Equal("running", Virsh("domstate", name));
        Assert.Equal([image + ".reconciler-snx-full", image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Equal(["reconciler-snx-full"], domain.ListSnapshotNames());
        Assert.Null(domain.GetBlockJobInfo("vda"));
        await AssertPlanEmpty("after a failed merge");

        // With room again the same prune goes through.
        File.Delete(filler);
        var merged = external.Prune(domain, "reconciler-snx-full");
        Assert.True(merged.Status == ExternalPruneStatus.Merged, merged.Message);
        Assert.Equal([image], ExternalSnapshots.Chain(domain, "vda"));
        Assert.Equal(id, Virsh("domid", name));
        domain.Destroy();
        AssertImageHolds(image, 0xb1, 0, 3 << 20, (6 << 20) - (64 << 10));
    }
}
