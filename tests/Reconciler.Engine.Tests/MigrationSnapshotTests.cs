using Reconciler.Core.Diagnostics;
using Reconciler.Core.Planning;
using Reconciler.Engine.Apply;
using Reconciler.Engine.Output;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// Snapshots against moves and prunes, on libvirt's test driver (it keeps snapshot metadata and
/// refuses to undefine a domain with snapshots, as the QEMU driver does): node reads do not list
/// snapshots, the snapshots of the domains a first plan moves or prunes are read and the plan is
/// made again (SnapshotReads). A user's snapshot blocks a move and a prune by name; Reconciler's own
/// block a move unless spec.migration.snapshots: delete, and lose their metadata with a pruned domain.
/// Node a is test:///default (shared in this process, so the test sees what apply did there); node b a node file.
/// </summary>
public sealed class MigrationSnapshotTests : IDisposable
{
    private const string Own = "reconciler-20260101T000000Z";
    private readonly SpecDir _dir = new();
    private readonly string _name = "mig-snap-" + Guid.NewGuid().ToString("N")[..6];
    // Keeps test:///default's in-process state alive between the operations' own connections.
    private readonly LibvirtConnection _a = LibvirtConnection.Open("test:///default");

    public MigrationSnapshotTests()
    {
        var nodeB = Path.Combine(_dir.Path, "node-b.xml");
        File.WriteAllText(nodeB, "<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>2000</mhz><model>x86_64</model></cpu><memory>4194304</memory></node>");
        _dir.Write("nodes.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: a{"}"}
            spec: {"{"}uri: "test:///default"{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: b{"}"}
            spec: {"{"}uri: "test://{nodeB}"{"}"}

            """);
    }

    public void Dispose()
    {
        using (var d = _a.LookupDomainByName(_name))
        {
            if (d is not null)
            {
                if (d.IsActive) d.Destroy();
                d.Undefine(UndefineFlags.SnapshotsMetadata);
            }
        }
        _a.Dispose();
        _dir.Dispose();
    }

    private void Spec(string node, string? migration = null) => _dir.Write("vms.yaml", $"""
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {_name}{"}"}
        spec:
          node: {node}
          state: stopped
          memory: 64MiB
        {(migration is null ? "" : "  migration: " + migration)}

        """);

    private LoadedSpecs Load()
    {
        var loaded = Workspace.Load(_dir.Path, null, CancellationToken.None);
        Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
        return loaded;
    }

    private Task<Plan> PlanAsync() => Operations.PlanAsync(Load(), adopt: false, CancellationToken.None);

    private async Task<ApplyReport> ApplyAsync(TextWriter? progress = null) =>
        await Operations.PlanAndApplyAsync(Load(), adopt: false, new ApplyOptions(TimeSpan.FromSeconds(5), false),
            TimeSpan.FromSeconds(5), _ => true, progress ?? TextWriter.Null, CancellationToken.None);

    private void Snapshot(string name)
    {
        using var d = _a.LookupDomainByName(_name)!;
        d.CreateSnapshot($"<domainsnapshot><name>{name}</name></domainsnapshot>");
    }

    private IReadOnlyList<string> SnapshotsOnA()
    {
        using var d = _a.LookupDomainByName(_name);
        return d?.ListSnapshotNames() ?? [];
    }

    private async Task CreateOnA()
    {
        Spec("a");
        var created = await ApplyAsync();
        Assert.True(created.Result!.Succeeded, string.Join('\n', created.Result.Steps));
        using var d = _a.LookupDomainByName(_name);
        Assert.NotNull(d);
    }

    [Fact]
    public async Task A_users_snapshot_blocks_a_move_by_name_even_when_the_policy_deletes_reconcilers_own()
    {
        await CreateOnA();
        Snapshot("before-upgrade");
        Snapshot(Own);

        Spec("b", "{snapshots: delete}");
        var plan = await PlanAsync();

        Assert.DoesNotContain(plan.Changes, c => c.Name == _name);
        var error = Assert.Single(plan.Diagnostics, d => d.Code == Planner.SnapshotsBlockMoveCode);
        Assert.Equal(Severity.Error, error.Severity);
        Assert.Contains("before-upgrade", error.Message);
        Assert.DoesNotContain(Own, error.Message);
        Assert.Equal("spec.node", error.FieldPath);
        Assert.Equal(("vms.yaml", 5), (error.Location!.File, error.Location.Line)); // the spec.node line
        Assert.Contains("never deletes a user's snapshots", error.Hint);
        // Nothing is created on b meanwhile, and nothing is pruned on a.
        Assert.DoesNotContain(plan.Changes, c => c.Action is ChangeAction.Create or ChangeAction.Destroy);
        // The CLI's plan reads the nodes ahead and closes them: the snapshots are read all the same.
        var cli = await Cli.RunAsync("plan", _dir.Path, "--output", "json");
        Assert.Contains(Planner.SnapshotsBlockMoveCode, cli.Out);
        Assert.Contains("before-upgrade", cli.Out);
    }

    [Fact]
    public async Task Reconcilers_own_snapshots_block_a_move_unless_the_policy_allows_deleting_them_which_apply_then_does_first()
    {
        await CreateOnA();
        Snapshot(Own);

        Spec("b");
        var refused = await PlanAsync();
        Assert.DoesNotContain(refused.Changes, c => c.Name == _name);
        var error = Assert.Single(refused.Diagnostics, d => d.Code == Planner.SnapshotsBlockMoveCode);
        Assert.Contains(Own, error.Message);
        Assert.Contains("spec.migration.snapshots: delete", error.Hint);

        Spec("b", "{snapshots: delete}");
        var plan = await PlanAsync();
        var move = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes, c => c.Name == _name));
        Assert.Equal([Own], move.Snapshots);
        Assert.Equal("offline (stopped)", move.Migration);
        Assert.Contains($"snapshot(s) {Own} are deleted first", move.Reason);
        Assert.Contains($"deletes Reconciler's snapshot(s) first: {Own}", PlanText.Render(plan, color: false));
        Assert.Contains($"\"{Own}\"", PlanJson.Render(plan));

        var progress = new StringWriter();
        var moved = await ApplyAsync(progress);
        Assert.True(moved.Result!.Succeeded, string.Join('\n', moved.Result.Steps) + progress);
        Assert.Contains($"snapshot {Own}: deleted before the move", progress.ToString());
        using var gone = _a.LookupDomainByName(_name);
        Assert.Null(gone); // undefined on a, which libvirt refuses while a snapshot is left
    }

    [Fact]
    public async Task A_prune_removes_the_metadata_of_reconcilers_own_snapshots_and_refuses_while_a_users_remain()
    {
        await CreateOnA();
        Snapshot(Own);
        Snapshot("mine");
        _dir.Delete("vms.yaml");

        var refused = await PlanAsync();
        Assert.DoesNotContain(refused.Changes, c => c.Name == _name);
        var error = Assert.Single(refused.Diagnostics, d => d.Code == Planner.SnapshotsBlockPruneCode);
        Assert.Contains("mine", error.Message);
        Assert.DoesNotContain(Own, error.Message);
        var kept = await ApplyAsync();
        Assert.Null(kept.Result); // nothing to apply
        Assert.Equal(2, SnapshotsOnA().Count);

        using (var d = _a.LookupDomainByName(_name)!) d.DeleteSnapshot("mine");
        var plan = await PlanAsync();
        var prune = Assert.IsType<DomainDestroy>(Assert.Single(plan.Changes, c => c.Name == _name));
        Assert.Equal([Own], prune.Snapshots);
        Assert.Contains($"removes the metadata of Reconciler's snapshot(s): {Own}", PlanText.Render(plan, color: false));

        var progress = new StringWriter();
        var pruned = await ApplyAsync(progress);
        Assert.True(pruned.Result!.Succeeded, string.Join('\n', pruned.Result.Steps));
        Assert.Contains($"the metadata of Reconciler's snapshot(s) {Own} was removed with it", progress.ToString());
        using var gone = _a.LookupDomainByName(_name);
        Assert.Null(gone);
    }

    [Fact]
    public async Task A_snapshot_made_after_the_plan_fails_the_prune_step_and_the_domain_stays()
    {
        await CreateOnA();
        _dir.Delete("vms.yaml");
        var plan = await PlanAsync();
        var prune = Assert.IsType<DomainDestroy>(Assert.Single(plan.Changes, c => c.Name == _name));
        Assert.Empty(prune.Snapshots);
        Snapshot("late");

        var report = await Operations.ApplySavedAsync(plan with { Changes = [prune] }, new ApplyOptions(TimeSpan.FromSeconds(5), true),
            TimeSpan.FromSeconds(5), TextWriter.Null, CancellationToken.None);
        Assert.False(report.Result!.Succeeded);
        Assert.Contains("late", string.Join('\n', report.Result.Steps.Select(s => s.Message)));
        Assert.Equal(["late"], SnapshotsOnA());
    }

    [Fact]
    public async Task A_policy_change_is_no_diff_and_the_snapshots_of_a_domain_that_stays_block_nothing()
    {
        await CreateOnA();
        Snapshot("mine");
        Spec("a", "{bandwidth: 100MiB}");

        var plan = await PlanAsync();

        Assert.Empty(plan.Changes); // the policy is not compared: no diff
        Assert.DoesNotContain(plan.Diagnostics, d => d.Code is Planner.SnapshotsBlockMoveCode or Planner.SnapshotsBlockPruneCode);
    }
}
