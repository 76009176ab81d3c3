using System.Diagnostics;
using System.Xml.Linq;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// spec.filesystems and disk tuning on qemu:///system with the tiny real guest (TCG): a virtiofs
/// share (libvirt starts /usr/lib/qemu/virtiofsd; the memory is shared memfd) is mounted by the
/// guest, which prints a file of it on its console; a guest whose disks use cache none (O_DIRECT:
/// the images live under the system temp directory, ext4 on these machines), native and io_uring
/// I/O, discard, detect-zeroes, serials and IOThreads boots, reads back with no difference, shows
/// a tuning change as next-boot and takes a tuned disk hot-plugged live. Everything is named
/// rc-dfs-* and removed afterwards.
/// </summary>
public sealed class DiskFsBootTests : IDisposable
{
    private const string P = "rc-dfs-";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory(P).FullName;

    public DiskFsBootTests() => RealLibvirt.Cleanup(P);

    public void Dispose()
    {
        RealLibvirt.Cleanup(P);
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private void Write(string name, string fields) => _dir.Write("all.yaml", $"""
        {RealLibvirt.NodeSpec(domainType: "qemu")}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {P}{name}{"}"}
        spec:
          state: running
          vcpus: 1
          memory: 128MiB
          machine: q35
          graphics: {"{"}type: none{"}"}
        {fields}

        """);

    private static string LiveXml(string name, bool inactive = false)
    {
        using var conn = RealLibvirt.Connect();
        using var d = conn.LookupDomainByName(P + name)!;
        Assert.True(d.IsActive, $"{P}{name} is not running");
        return d.GetXmlDesc(inactive ? DomainXmlFlags.Inactive : DomainXmlFlags.None);
    }

    private string Image(string file, string format)
    {
        var path = Path.Combine(_work, file);
        using var p = Process.Start(new ProcessStartInfo("qemu-img", ["create", "-q", "-f", format, path, "16M"]))!;
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return path;
    }

    [Fact]
    public async Task A_virtiofs_share_is_mounted_by_the_guest_which_prints_a_file_of_it_and_the_plan_stays_empty()
    {
        var share = Directory.CreateDirectory(Path.Combine(_work, "share")).FullName;
        var line = "hello from the node " + Guid.NewGuid().ToString("N");
        File.WriteAllText(Path.Combine(share, "tiny-guest.txt"), line + "\nsecond line\n");
        var consoleLog = Path.Combine(_work, "fs.console.log");
        Write("fs", TinyGuest.SpecFields(consoleLog, "  ", "tiny.virtiofs=hostshare") + $"\n  filesystems:\n    - {{source: {share}, target: hostshare}}");

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var (mounted, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(180));
        Assert.True(mounted, $"the tiny guest did not come up; console:\n{log}");
        Assert.Contains("TINY-GUEST-VIRTIOFS " + line, log, StringComparison.Ordinal);

        // libvirt started virtiofsd for it, and the memory is shared memfd, which Reconciler turned on itself.
        var live = LiveXml("fs");
        Assert.Contains("<driver type='virtiofs'", live, StringComparison.Ordinal);
        Assert.Contains("<access mode='shared'/>", live, StringComparison.Ordinal);
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.DoesNotContain("Restart pending", plan.Out, StringComparison.Ordinal);

        // A second share waits for the next boot (virtiofs is not hot-plugged).
        var other = Directory.CreateDirectory(Path.Combine(_work, "other")).FullName;
        Write("fs", TinyGuest.SpecFields(consoleLog, "  ", "tiny.virtiofs=hostshare") + $"\n  filesystems:\n    - {{source: {share}, target: hostshare}}\n    - {{source: {other}, target: other}}");
        var second = await Cli.RunAsync("plan", _dir.Path);
        Assert.Contains("spec.filesystems:", second.Out, StringComparison.Ordinal);
        Assert.Contains("(next-boot)", second.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_guest_with_tuned_disks_boots_reads_back_unchanged_and_a_tuned_disk_is_hot_plugged_live()
    {
        var db = Image("db.qcow2", "qcow2");
        var shared = Image("shared.raw", "raw");
        var consoleLog = Path.Combine(_work, "disks.console.log");
        string Fields(string cache, string extra = "") => TinyGuest.SpecFields(consoleLog, "  ") + $"""

              iothreads: 2
              disks:
                - {"{"}path: {db}, cache: {cache}, io: native, discard: unmap, detectZeroes: unmap, serial: "RC-DFS-DB", iothread: 1{"}"}
                - {"{"}path: {shared}, format: raw, cache: directsync, io: io_uring, shareable: true, serial: "RC-DFS-SHARED", iothread: 2{"}"}
            {extra}
            """;
        Write("disks", Fields("none"));
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(180));
        Assert.True(ready, $"the guest with tuned disks did not boot; console:\n{log}");
        var live = LiveXml("disks");
        Assert.Contains("cache='none' io='native' discard='unmap' iothread='1' detect_zeroes='unmap'", live, StringComparison.Ordinal);
        Assert.Contains("cache='directsync' io='io_uring' iothread='2'", live, StringComparison.Ordinal);
        Assert.Contains("<serial>RC-DFS-SHARED</serial>", live, StringComparison.Ordinal);
        var clean = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.DoesNotContain("Restart pending", clean.Out, StringComparison.Ordinal);

        // A cache change on an existing disk waits for the next boot ...
        Write("disks", Fields("directsync"));
        var nextBoot = await Cli.RunAsync("plan", _dir.Path);
        Assert.True(nextBoot.Out.Contains("spec.disks[0].cache: none → directsync   (next-boot)", StringComparison.Ordinal), nextBoot.ToString());

        // ... while a new disk with its options is attached to the running guest.
        var extra = Image("extra.qcow2", "qcow2");
        Write("disks", Fields("none", $"    - {{path: {extra}, cache: none, io: native, serial: \"RC-DFS-HOT\", iothread: 2}}"));
        var plan = await Cli.RunAsync("plan", _dir.Path);
        Assert.True(plan.Out.Contains("spec.disks[2].cache: (none) → none   (live)", StringComparison.Ordinal), plan.ToString());
        var before = XDocument.Parse(LiveXml("disks")).Root!.Attribute("id")!.Value;
        var hot = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(hot.ExitCode == 0, hot.ToString());
        var running = LiveXml("disks");
        Assert.Equal(before, XDocument.Parse(running).Root!.Attribute("id")!.Value);
        var attached = XDocument.Parse(running).Root!.Element("devices")!.Elements("disk")
            .Single(d => (string?)d.Element("source")?.Attribute("file") == extra);
        Assert.Equal("RC-DFS-HOT", attached.Element("serial")?.Value);
        Assert.Equal(("none", "native", "2"), ((string?)attached.Element("driver")!.Attribute("cache"), (string?)attached.Element("driver")!.Attribute("io"), (string?)attached.Element("driver")!.Attribute("iothread")));
        var after = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.DoesNotContain("Restart pending", after.Out, StringComparison.Ordinal);
    }
}
