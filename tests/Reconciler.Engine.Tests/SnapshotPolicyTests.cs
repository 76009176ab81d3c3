using System.Text.Json;
using Reconciler.Core.Model;
using Reconciler.Engine.Apply;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Reconciler's snapshots on libvirt's test driver (which keeps snapshot metadata and implements the
/// guest agent's filesystem freeze): unique names within one second, the origin read back, retention
/// that never touches a user's snapshot, and the freeze around an internal snapshot.
/// </summary>
public sealed class SnapshotPolicyTests
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 3, 12, 0, 0, TimeSpan.Zero);

    private static (LibvirtConnection Conn, LibvirtDomain Dom) Running(string name)
    {
        var conn = LibvirtConnection.Open("test:///default");
        var dom = conn.DefineDomain($"<domain type='test'><name>{name}</name><memory>131072</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>");
        dom.Create();
        return (conn, dom);
    }

    private static void Drop(LibvirtConnection conn, LibvirtDomain dom)
    {
        if (dom.IsActive) dom.Destroy();
        dom.Undefine(UndefineFlags.SnapshotsMetadata);
        dom.Dispose();
        conn.Dispose();
    }

    [Fact]
    public void Eleven_snapshots_in_one_second_get_distinct_names_in_taking_order_and_only_reconcilers_are_pruned()
    {
        var (conn, dom) = Running("snap-policy-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            dom.CreateSnapshot("<domainsnapshot><name>users-own</name></domainsnapshot>");
            var names = new List<string>();
            for (var i = 0; i < 11; i++)
            {
                var taken = Snapshots.Take(dom, SnapshotPolicy.Default, keep: 50, SnapshotOrigin.Hand, "rev1", Noon);
                names.Add(taken.Name!);
                Assert.Empty(taken.Pruned);
            }

            Assert.Equal("reconciler-20261203T120000Z", names[0]);
            Assert.Equal("reconciler-20261203T120000Z-2", names[1]);
            Assert.Equal("reconciler-20261203T120000Z-11", names[10]);
            Assert.Equal(11, names.Distinct().Count());
            // Oldest first, "-10" after "-9" (not after "-1" as text would sort).
            Assert.Equal(names, Snapshots.List(dom));

            var (pruned, kept) = Snapshots.Prune(dom, 3);

            Assert.Equal(names.Take(8), pruned);
            Assert.Empty(kept);
            Assert.Equal(names.Skip(8), Snapshots.List(dom));
            Assert.Contains("users-own", dom.ListSnapshotNames());
            Assert.Equal(4, dom.ListSnapshotNames().Count);
        }
        finally
        {
            Drop(conn, dom);
        }
    }

    [Fact]
    public void Origin_revision_label_kind_and_time_are_read_back_and_a_new_snapshot_prunes_to_keep()
    {
        var (conn, dom) = Running("snap-origin-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Snapshots.Take(dom, SnapshotPolicy.Default, 5, SnapshotOrigin.Update, "abc123", Noon);
            Snapshots.Take(dom, SnapshotPolicy.Default, 5, SnapshotOrigin.Schedule, "abc123", Noon.AddHours(6));
            Snapshots.Take(dom, SnapshotPolicy.Default, 5, SnapshotOrigin.Hand, "def456", Noon.AddHours(7), label: "before the upgrade; risky");
            // A snapshot taken before origins were recorded reads as one taken before an update.
            dom.CreateSnapshot("<domainsnapshot><name>reconciler-20261201T000000Z</name><description>taken by Reconciler before applying revision 0ld</description></domainsnapshot>");

            var all = Snapshots.Read(dom);

            Assert.Equal(["reconciler-20261201T000000Z", "reconciler-20261203T120000Z", "reconciler-20261203T180000Z", "reconciler-20261203T190000Z"], all.Select(s => s.Name));
            Assert.Equal([SnapshotOrigin.Update, SnapshotOrigin.Update, SnapshotOrigin.Schedule, SnapshotOrigin.Hand], all.Select(s => s.Origin));
            Assert.Equal(["0ld", "abc123", "abc123", "def456"], all.Select(s => s.Revision));
            Assert.Equal(Noon.AddHours(6), all[2].TakenAt);
            Assert.Equal("before the upgrade, risky", all[3].Label);
            Assert.All(all, s => Assert.Equal(SnapshotKind.Internal, s.Kind));
            Assert.Equal("running", all[3].State);
            Assert.All(all, s => Assert.Null(s.Quiesced));

            var next = Snapshots.Take(dom, SnapshotPolicy.Default, 2, SnapshotOrigin.Schedule, "def456", Noon.AddDays(1));

            Assert.Equal(["reconciler-20261201T000000Z", "reconciler-20261203T120000Z", "reconciler-20261203T180000Z"], next.Pruned);
            Assert.Equal(["reconciler-20261203T190000Z", "reconciler-20261204T120000Z"], Snapshots.List(dom));
        }
        finally
        {
            Drop(conn, dom);
        }
    }

    [Fact]
    public void Quiesce_freezes_a_running_guest_for_the_snapshot_and_thaws_it_after()
    {
        var (conn, dom) = Running("snap-freeze-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var taken = Snapshots.Take(dom, new SnapshotPolicy(Quiesce: true), 3, SnapshotOrigin.Hand, "r", Noon);

            Assert.True(taken.Quiesced);
            Assert.Null(taken.QuiesceError);
            Assert.True(Snapshots.Read(dom).Single().Quiesced);
            // Thawed: a second freeze succeeds and freezes the test driver's filesystems again.
            Assert.True(dom.FreezeFilesystems() > 0);
            dom.ThawFilesystems();

            // A stopped domain has nothing to freeze: the snapshot is taken without asking the agent.
            dom.Destroy();
            var offline = Snapshots.Take(dom, new SnapshotPolicy(Quiesce: true), 3, SnapshotOrigin.Hand, "r", Noon.AddMinutes(1));
            Assert.NotNull(offline.Name);
            Assert.Null(offline.Quiesced);
        }
        finally
        {
            Drop(conn, dom);
        }
    }

    [Fact]
    public void Each_kind_has_its_mechanics()
    {
        Assert.Same(ExternalSnapshotMechanics.Instance, Snapshots.For(SnapshotKind.External));
        Assert.Same(InternalSnapshots.Instance, Snapshots.For(SnapshotKind.Internal));
    }

    [Fact]
    public void A_name_freed_by_a_prune_in_the_same_second_is_not_reused_so_the_newest_still_sorts_last()
    {
        const string Stem = "reconciler-20261203T120000Z";

        Assert.Equal(Stem, Snapshots.UniqueName(["users-own"], Noon));
        Assert.Equal(Stem + "-2", Snapshots.UniqueName([Stem], Noon));
        // The first of the second was pruned: the next is -3, not the stem again (which would sort first and be pruned itself).
        Assert.Equal(Stem + "-3", Snapshots.UniqueName([Stem + "-2"], Noon));
        Assert.Equal(Stem + "-11", Snapshots.UniqueName([Stem + "-10", Stem + "-9"], Noon));
    }

    [Fact]
    public async Task Snapshots_lists_every_declared_domain_and_a_bad_schedule_stops_the_command_with_a_located_error()
    {
        using var dir = new SpecDir().Write("vms.yaml", """
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: app-1}
            spec:
              vcpus: 1
              memory: 128MiB
              snapshotsToKeep: 4
              snapshots: {schedule: "Mon-Fri 02:00"}
            """);
        Assert.Equal(0, (await Cli.RunAsync("apply", dir.Path, "--auto-approve")).ExitCode);

        var json = await Cli.RunAsync("snapshots", dir.Path, "--output", "json");

        Assert.True(json.ExitCode == 0, json.ToString());
        using (var doc = JsonDocument.Parse(json.Out))
        {
            var app = Assert.Single(doc.RootElement.GetProperty("domains").EnumerateArray());
            Assert.Equal(1, doc.RootElement.GetProperty("version").GetInt32());
            Assert.Equal("app-1", app.GetProperty("domain").GetString());
            Assert.Equal("Mon-Fri 02:00", app.GetProperty("schedule").GetString());
            Assert.Equal(4, app.GetProperty("keep").GetInt32());
            Assert.Equal(JsonValueKind.Array, app.GetProperty("snapshots").ValueKind);
        }
        var text = await Cli.RunAsync("snapshots", dir.Path);
        Assert.Contains("app-1 on sandbox: schedule Mon-Fri 02:00, keep 4", text.Out);

        dir.Write("vms.yaml", File.ReadAllText(Path.Combine(dir.Path, "vms.yaml")).Replace("Mon-Fri 02:00", "Mon-Fri 2am", StringComparison.Ordinal));
        var bad = await Cli.RunAsync("snapshot", "app-1", dir.Path);

        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("vms.yaml:8:25: error: spec.snapshots.schedule", bad.Err);
        Assert.Contains("'2am' is not a time of day HH:MM (UTC)", bad.Err);
        Assert.Contains("spec.snapshots.schedule", bad.Err);
    }

    [Fact]
    public async Task Help_names_the_commands_and_their_options()
    {
        var help = await Cli.RunAsync("snapshot", "--help");
        Assert.Contains("--label", help.Out);
        Assert.Contains("snapshotsToKeep", help.Out);
        var list = await Cli.RunAsync("snapshots", "--help");
        Assert.Contains("--output", list.Out);
        Assert.Contains("schedule, update, hand", list.Out);
    }
}
