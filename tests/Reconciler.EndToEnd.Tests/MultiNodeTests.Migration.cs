using System.Diagnostics;
using System.Text.Json;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// spec.migration between the two daemons of <see cref="TwoNodes"/>, with the tiny real guest
/// (TCG): a timeout with action abort leaves the guest running on the source and the step says so;
/// a bandwidth limit is in effect during the migration (the source's job statistics and
/// virDomainMigrateGetMaxSpeed), autoConverge reaches QEMU (the source daemon's QMP log shows the
/// capability set). And snapshots against moves and prunes on real libvirtd.
/// </summary>
public sealed partial class MultiNodeTests
{
    private const ulong MiB = 1024 * 1024;

    [System.Text.RegularExpressions.GeneratedRegex("\"capability\"\\s*:\\s*\"auto-converge\"\\s*,\\s*\"state\"\\s*:\\s*true")]
    private static partial System.Text.RegularExpressions.Regex AutoConvergeOn();

    /// <summary>The node specs and one TCG domain with 1 vCPU and no graphics; <paramref name="rest"/> are more spec lines (indented by two).</summary>
    private string DomainSpecs(string name, string node, string state, string memory, string rest) => nodes.NodeSpecs + $"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {name}{"}"}
        spec:
          node: {node}
          state: {state}
          vcpus: 1
          memory: {memory}
          domainType: qemu
          graphics: {"{"}type: none{"}"}
        {rest}

        """;

    private string GuestSpec(string name, string node, string consoleLog, string migration) =>
        DomainSpecs(name, node, "running", "128MiB", $"  machine: pc\n  migration: {migration}\n{TinyGuest.SpecFields(consoleLog, "  ")}");

    [Fact]
    public async Task Migration_policy_a_timeout_aborts_and_leaves_the_guest_on_the_source_then_a_bandwidth_limit_and_auto_converge_are_in_effect()
    {
        const string name = "mig-guest";
        using var specs = new SpecDir();
        var consoleLog = Path.Combine(specs.Path, name + ".console.log");
        try
        {
            // 128MiB × 16s/GiB = 2s, at 1 MiB/s: the booted guest's memory (kernel, initramfs: well over 2 MiB) cannot be sent in time.
            const string slow = "{bandwidth: 1MiB, timeout: {perGiB: 16s, action: abort}}";
            specs.Write("all.yaml", GuestSpec(name, "a", consoleLog, slow));
            var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(180));
            Assert.True(ready, $"the tiny guest did not print TINY-GUEST-READY; console:\n{log}");

            specs.Write("all.yaml", GuestSpec(name, "b", consoleLog, slow));
            var text = await Cli.RunAsync("plan", specs.Path);
            Assert.Contains("move a → b (live, shared, 1 MiB/s, timeout 16s/GiB → abort)", text.Out);
            var timedOut = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.NotEqual(0, timedOut.ExitCode);
            Assert.True(timedOut.All().Contains("bandwidth 1 MiB/s, timeout 2.0s (128MiB × 16s/GiB) → abort", StringComparison.Ordinal), timedOut.ToString());
            Assert.True(timedOut.All().Contains("aborting it (virDomainAbortJob)", StringComparison.Ordinal), timedOut.ToString());
            Assert.True(timedOut.All().Contains("live migration from a to b timed out after", StringComparison.Ordinal), timedOut.ToString());
            Assert.True(timedOut.All().Contains("was aborted (spec.migration.timeout.action: abort)", StringComparison.Ordinal), timedOut.ToString());
            Assert.True(timedOut.All().Contains("the domain is still running on node a", StringComparison.Ordinal), timedOut.ToString());
            Assert.Equal((true, true, true), State(nodes.A, name));
            Assert.False(State(nodes.B, name).Exists);

            // A policy change is no diff: the next plan is the same move, with the new policy.
            specs.Write("all.yaml", GuestSpec(name, "b", consoleLog, "{bandwidth: 2MiB, autoConverge: true}"));
            var plan = await Cli.RunAsync("plan", specs.Path, "--output", "json");
            using (var json = JsonDocument.Parse(plan.Out))
            {
                var change = Assert.Single(json.RootElement.GetProperty("changes").EnumerateArray());
                Assert.Equal("migrate", change.GetProperty("action").GetString());
                Assert.Equal("live, shared, 2 MiB/s, auto-converge", change.GetProperty("migration").GetString());
                Assert.Single(change.GetProperty("fields").EnumerateArray()); // spec.node only
            }

            var qmpBefore = File.Exists(nodes.A.Log) ? new FileInfo(nodes.A.Log).Length : 0;
            var applying = Task.Run(() => Cli.RunAsync("apply", specs.Path, "--auto-approve"));
            // Watch the source while it migrates: libvirt's limit and QEMU's measured rate.
            // (limit, rate) while memory is being sent; before that (the job's start) and after it libvirt reports no limit (its maximum).
            var samples = new List<(ulong Limit, ulong Rate)>();
            using (var a = LibvirtConnection.Open(nodes.A.AdminUri))
            {
                while (!applying.IsCompleted)
                {
                    try
                    {
                        using var d = a.LookupDomainByName(name);
                        if (d is not null && d.GetJobStats() is { Active: true, MemoryBps: > 0 and var bps })
                        {
                            samples.Add((d.GetMigrationMaxSpeed(), bps));
                        }
                    }
                    catch (LibvirtException)
                    {
                        // The domain leaves a at the end of the migration.
                    }
                    await Task.Delay(200);
                }
            }
            var moved = await applying;
            Assert.True(moved.ExitCode == 0, moved.ToString());
            Assert.True(moved.All().Contains("VIR_MIGRATE_AUTO_CONVERGE", StringComparison.Ordinal), moved.ToString());
            Assert.True(moved.All().Contains("bandwidth 2 MiB/s", StringComparison.Ordinal), moved.ToString());
            Assert.True(moved.All().Contains("    migrating (", StringComparison.Ordinal), moved.ToString()); // a progress line from the job statistics
            Assert.Equal((true, true, true), State(nodes.B, name));
            Assert.False(State(nodes.A, name).Exists);

            Assert.NotEmpty(samples);
            // The limit holds from the first sample of the transfer on; as the migration completes libvirt
            // puts it back to its maximum (no limit, long.MaxValue / MiB) while the job still shows its last rate.
            const ulong unlimited = long.MaxValue / MiB;
            Assert.Equal(2UL, samples[0].Limit);
            var tail = samples.SkipWhile(s => s.Limit == 2).ToList();
            Assert.All(tail, s => Assert.Equal(unlimited, s.Limit));
            Assert.True(tail.Count < samples.Count / 4, $"the limit was 2 MiB/s in only {samples.Count - tail.Count} of {samples.Count} samples");
            // QEMU's rate limiter holds the stream to the limit (unlimited on loopback it is hundreds of MiB/s).
            Assert.All(samples, s => Assert.True(s.Rate <= 3 * MiB, $"memory_bps {s.Rate} is over the 2 MiB/s limit: {string.Join(", ", samples.Select(x => x.Rate))}"));
            // The source daemon told QEMU to auto-converge for this migration.
            using (var stream = new FileStream(nodes.A.Log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite))
            {
                stream.Seek(qmpBefore, SeekOrigin.Begin);
                var caps = new StreamReader(stream).ReadToEnd().Split('\n').Where(l => l.Contains("migrate-set-capabilities", StringComparison.Ordinal)).ToList();
                Assert.True(caps.Any(l => AutoConvergeOn().IsMatch(l)), "no migrate-set-capabilities with auto-converge on in the source daemon's QMP log:\n" + string.Join('\n', caps));
            }

            var after = await Cli.RunAsync("plan", specs.Path, "--detailed-exitcode");
            Assert.True(after.ExitCode == 0, after.ToString());
        }
        finally
        {
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        }
    }

    [Fact]
    public async Task Snapshots_a_users_block_a_move_and_a_prune_by_name_reconcilers_own_are_deleted_before_a_move_and_lose_their_metadata_with_a_prune()
    {
        const string name = "mig-snap";
        const string own = "reconciler-20260101T000000Z";
        using var specs = new SpecDir();
        // On a path both daemons see: the cold move defines the domain on b with the same disk.
        var image = Path.Combine(specs.Path, name + ".qcow2");
        using (var p = Process.Start(new ProcessStartInfo("qemu-img", ["create", "-q", "-f", "qcow2", image, "16M"]))!) p.WaitForExit();
        string Spec(string node, string? migration) =>
            DomainSpecs(name, node, "stopped", "64MiB", $"  disks: [{{path: {image}}}]" + (migration is null ? "" : "\n  migration: " + migration));
        void Snapshot(PrivateLibvirtd node, string snapshot, bool delete = false)
        {
            using var c = LibvirtConnection.Open(node.AdminUri);
            using var d = c.LookupDomainByName(name)!;
            if (delete) d.DeleteSnapshot(snapshot);
            else d.CreateSnapshot($"<domainsnapshot><name>{snapshot}</name></domainsnapshot>");
        }
        IReadOnlyList<string> Snapshots(PrivateLibvirtd node)
        {
            using var c = LibvirtConnection.Open(node.AdminUri);
            using var d = c.LookupDomainByName(name);
            return d?.ListSnapshotNames() ?? [];
        }
        async Task<(JsonElement? Change, List<JsonElement> Errors)> PlanAsync()
        {
            var plan = await Cli.RunAsync("plan", specs.Path, "--output", "json");
            using var json = JsonDocument.Parse(plan.Out);
            var change = json.RootElement.GetProperty("changes").EnumerateArray().Where(c => c.GetProperty("name").GetString() == name).Select(c => c.Clone()).ToList();
            var errors = json.RootElement.GetProperty("diagnostics").EnumerateArray().Where(d => d.GetProperty("severity").GetString() == "error").Select(d => d.Clone()).ToList();
            return (change.Count == 0 ? null : change[0], errors);
        }
        try
        {
            specs.Write("all.yaml", Spec("a", null));
            var apply = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            Snapshot(nodes.A, "mig-user");
            Snapshot(nodes.A, own);

            // A user's snapshot blocks the move, by name, whatever the policy.
            specs.Write("all.yaml", Spec("b", "{snapshots: delete}"));
            var (none, errors) = await PlanAsync();
            Assert.Null(none);
            var error = Assert.Single(errors);
            Assert.Equal("snapshots-block-move", error.GetProperty("code").GetString());
            Assert.Contains("mig-user", error.GetProperty("message").GetString());
            var refused = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.Equal(["mig-user", own], Snapshots(nodes.A).Order(StringComparer.Ordinal));
            Assert.False(State(nodes.B, name).Exists, refused.ToString());

            // Only Reconciler's own: refused by default, deleted first with snapshots: delete.
            Snapshot(nodes.A, "mig-user", delete: true);
            specs.Write("all.yaml", Spec("b", null));
            (none, errors) = await PlanAsync();
            Assert.Null(none);
            Assert.Contains(own, Assert.Single(errors).GetProperty("message").GetString());
            specs.Write("all.yaml", Spec("b", "{snapshots: delete}"));
            var (move, clean) = await PlanAsync();
            Assert.Empty(clean);
            Assert.Equal("migrate", move!.Value.GetProperty("action").GetString());
            Assert.Equal([own], move.Value.GetProperty("snapshots").EnumerateArray().Select(s => s.GetString()));
            var moved = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(moved.ExitCode == 0, moved.ToString());
            Assert.Contains($"snapshot {own}: deleted before the move", moved.All());
            Assert.Equal((true, false, true), State(nodes.B, name));
            Assert.False(State(nodes.A, name).Exists);

            // A prune on b: refused while a user's snapshot is there; Reconciler's own lose their metadata with the domain.
            Snapshot(nodes.B, "mig-user");
            Snapshot(nodes.B, own);
            specs.Write("all.yaml", nodes.NodeSpecs);
            (none, errors) = await PlanAsync();
            Assert.Null(none);
            error = Assert.Single(errors);
            Assert.Equal("snapshots-block-prune", error.GetProperty("code").GetString());
            Assert.Contains("mig-user", error.GetProperty("message").GetString());
            Snapshot(nodes.B, "mig-user", delete: true);
            var (prune, _) = await PlanAsync();
            Assert.Equal("destroy", prune!.Value.GetProperty("action").GetString());
            Assert.Equal([own], prune.Value.GetProperty("snapshots").EnumerateArray().Select(s => s.GetString()));
            var pruned = await Cli.RunAsync("apply", specs.Path, "--auto-approve");
            Assert.True(pruned.ExitCode == 0, pruned.ToString());
            Assert.False(State(nodes.B, name).Exists);
            Assert.True(File.Exists(image)); // disks are kept
        }
        finally
        {
            foreach (var node in new[] { nodes.A, nodes.B })
            {
                using var c = LibvirtConnection.Open(node.AdminUri);
                using var d = c.LookupDomainByName(name);
                d?.Undefine(UndefineFlags.SnapshotsMetadata);
            }
            specs.Write("all.yaml", nodes.NodeSpecs);
            await Cli.RunAsync("apply", specs.Path, "--auto-approve");
        }
    }
}
