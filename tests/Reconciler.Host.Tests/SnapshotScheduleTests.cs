using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>
/// The controller's snapshot schedule against the real libvirtd, on a fake clock: a day of
/// <c>every 6h</c> in milliseconds (no sleeping), retention to snapshotsToKeep that spares a user's
/// snapshot, and a restart after missed slots taking one snapshot, not one per slot. The domain
/// stays stopped, so each internal snapshot is a disk-only qemu-img snapshot (no guest needed).
/// </summary>
public sealed partial class SnapshotScheduleTests : IDisposable
{
    private const string Name = "e2e-snapd-1";
    private readonly TempDir _dir = new("snapd");

    public SnapshotScheduleTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
    }

    private static void Cleanup()
    {
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(Name))
        {
            if (d is not null)
            {
                foreach (var s in d.ListSnapshotNames()) d.DeleteSnapshot(s, SnapshotDeleteFlags.MetadataOnly);
            }
        }
        RealLibvirt.Cleanup("e2e-snapd-");
    }

    private async Task<(ControllerHost Host, HttpClient Http)> StartAsync(FakeTimeProvider clock)
    {
        var host = ControllerHost.Create(new Dictionary<string, string?>
        {
            ["Reconciler:Source"] = Path.Combine(_dir.Path, "specs"),
            ["Reconciler:Listen"] = "127.0.0.1:0",
            ["Reconciler:Interval"] = "30s",
            ["Reconciler:ShutdownTimeout"] = "3s",
            ["Reconciler:Debounce"] = "200ms",
        }, configureLogging: b => b.AddProvider(new LogSink()), snapshotClock: clock);
        await host.StartAsync(CancellationToken.None);
        return (host, new HttpClient { BaseAddress = host.BaseAddress });
    }

    private static async Task StopAsync(ControllerHost host, HttpClient http)
    {
        http.Dispose();
        await host.StopAsync(CancellationToken.None);
        await host.DisposeAsync();
    }

    /// <summary>The domain's snapshots once a round of the schedule at the clock's time has read them.</summary>
    private static async Task<SnapshotsStatus> RoundAtAsync(ControllerHost host, FakeTimeProvider clock)
    {
        var at = clock.GetUtcNow();
        SnapshotsStatus? seen = null;
        await Eventually.TrueAsync(() =>
        {
            seen = host.Status.Resources.FirstOrDefault(r => r.Name == Name)?.Snapshots;
            // A round before the pass connected the node reads nothing (the node is not up yet): wait for one that read it.
            return seen?.CheckedAt == at && seen.Error is null;
        }, $"a snapshot round at {at:O} that read the node");
        return seen!;
    }

    private static async Task<string> MetricsAsync(HttpClient http) => await http.GetStringAsync("/metrics");

    private static double Metric(string text, string line) =>
        double.Parse(MetricLine().Matches(text).Single(m => m.Groups[1].Value == line).Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex MetricLine();

    [Fact]
    public async Task A_day_of_every_6h_runs_in_milliseconds_prunes_to_keep_and_a_restart_after_missed_slots_takes_one()
    {
        var image = Path.Combine(_dir.Path, "root.qcow2");
        Shell.Run("qemu-img", null, "create", "-q", "-f", "qcow2", image, "16M");
        _dir.Write("specs/vms.yaml", RealLibvirt.NodeYaml + $$"""
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {name: {{Name}}}
            spec:
              node: local
              state: stopped
              vcpus: 1
              memory: 64MiB
              graphics: {type: none}
              disks: [{path: {{image}}}]
              snapshotsToKeep: 3
              snapshots: {schedule: "every 6h", kind: internal}
            """);
        // Monday 00:30 UTC: the 00:00 slot has no snapshot yet, so the first round takes one.
        var clock = new FakeTimeProvider(new DateTimeOffset(2027, 1, 4, 0, 30, 0, TimeSpan.Zero));
        var (host, http) = await StartAsync(clock);
        try
        {
            await Eventually.TrueAsync(() => host.Status.Resources.Any(r => r.Name == Name && r.State == "Ready"), "the domain defined");
            using (var conn = RealLibvirt.Connect())
            using (var d = conn.LookupDomainByName(Name)!)
            {
                d.CreateSnapshot("<domainsnapshot><name>users-own</name></domainsnapshot>");
            }
            // Rounds also run after each pass: wait for the one that found the domain defined.
            await Eventually.TrueAsync(() => host.Status.Resources.Single(r => r.Name == Name).Snapshots is { Items.Count: > 0 }, "the first scheduled snapshot");
            var first = await RoundAtAsync(host, clock);
            Assert.Equal(["reconciler-20270104T003000Z"], first.Items.Select(i => i.Name));
            Assert.Equal("Taken", first.LastResult);

            // A day, an hour at a time: a snapshot in each hour that follows a 6-hour slot, no more.
            var taken = new List<string> { "reconciler-20270104T003000Z" };
            for (var hour = 1; hour <= 24; hour++)
            {
                clock.Advance(TimeSpan.FromHours(1));
                var round = await RoundAtAsync(host, clock);
                var newest = round.Items[^1].Name;
                if (!taken.Contains(newest)) taken.Add(newest);
                Assert.True(round.Items.Count <= 3, $"more than snapshotsToKeep at {clock.GetUtcNow():O}: {string.Join(", ", round.Items.Select(i => i.Name))}");
                Assert.All(round.Items, i => Assert.Equal("schedule", i.Origin));
                Assert.Equal(1, round.Others); // the user's snapshot is seen and left alone
            }

            Assert.Equal(["reconciler-20270104T003000Z", "reconciler-20270104T063000Z", "reconciler-20270104T123000Z",
                "reconciler-20270104T183000Z", "reconciler-20270105T003000Z"], taken);
            var end = host.Status.Resources.Single(r => r.Name == Name).Snapshots!;
            Assert.Equal(["reconciler-20270104T123000Z", "reconciler-20270104T183000Z", "reconciler-20270105T003000Z"], end.Items.Select(i => i.Name));
            Assert.Equal(new DateTimeOffset(2027, 1, 5, 6, 0, 0, TimeSpan.Zero), end.NextAt);
            var metrics = await MetricsAsync(http);
            Assert.Equal(5, Metric(metrics, "reconciler_snapshots_taken_total{origin=\"schedule\"}"));
            Assert.Equal(2, Metric(metrics, "reconciler_snapshots_pruned_total"));
            Assert.Equal(0, Metric(metrics, "reconciler_snapshots_failed_total{reason=\"error\"}"));
            var status = await http.GetStringAsync("/status");
            Assert.Contains("\"reconciler-20270105T003000Z\"", status, StringComparison.Ordinal);
            var page = await http.GetStringAsync($"/resources/local/Domain/{Name}");
            Assert.Contains("id=\"snapshots-h\"", page, StringComparison.Ordinal);
            Assert.Contains("<code>reconciler-20270105T003000Z</code>", page, StringComparison.Ordinal);
            Assert.Contains("every 6h", page, StringComparison.Ordinal);
        }
        finally
        {
            await StopAsync(host, http);
        }

        // Down for two and a half days (ten slots missed): the restarted controller remembers
        // nothing, reads the newest scheduled snapshot on the node, and takes one.
        var later = new FakeTimeProvider(new DateTimeOffset(2027, 1, 7, 15, 10, 0, TimeSpan.Zero));
        (host, http) = await StartAsync(later);
        try
        {
            var after = await RoundAtAsync(host, later);
            Assert.Equal(["reconciler-20270104T183000Z", "reconciler-20270105T003000Z", "reconciler-20270107T151000Z"], after.Items.Select(i => i.Name));
            later.Advance(TimeSpan.FromMinutes(30));
            var quiet = await RoundAtAsync(host, later);
            Assert.Equal(after.Items.Select(i => i.Name), quiet.Items.Select(i => i.Name));
            var metrics = await MetricsAsync(http);
            Assert.Equal(1, Metric(metrics, "reconciler_snapshots_taken_total{origin=\"schedule\"}"));
            Assert.Equal(1, Metric(metrics, "reconciler_snapshots_pruned_total"));
            using var conn = RealLibvirt.Connect();
            using var d = conn.LookupDomainByName(Name)!;
            Assert.Contains("users-own", d.ListSnapshotNames());
            Assert.False(d.IsActive);
        }
        finally
        {
            await StopAsync(host, http);
        }
    }
}
