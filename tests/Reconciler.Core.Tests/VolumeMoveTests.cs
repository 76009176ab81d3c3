using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Tests;

/// <summary>A managed Volume whose pool moves to another node together with its domain's node: one Migrate change carries it.</summary>
public sealed class VolumeMoveTests
{
    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory("s.yaml"));

    private static StoragePoolSpec Pool(string name, string node) => new(Meta(name), node, StoragePoolType.Dir, "/pools/" + name, true);

    private static VolumeSpec Vol(string pool, DeletionPolicy policy = DeletionPolicy.Retain) =>
        new(Meta("data"), null, pool, 64 << 20, VolumeFormat.Qcow2, null, policy);

    private static LivePool LivePool(string name, IReadOnlyList<LiveVolume> volumes, Dictionary<string, VolumeRecord> records) =>
        new(name, "uuid-" + name, true, true, true, "dir", "/pools/" + name, volumes,
            new StorageLedger(new OwnerRecord(name, "", Specs.Source, "r", false), records), null, "fp-" + name);

    private static VolumeRecord Owned(DeletionPolicy policy = DeletionPolicy.Retain) => new(VolumeRole.Volume, "data", Specs.Source, "r", policy, true);

    private static DomainSpec Vm(string node, MigrationStorage storage = MigrationStorage.Copy, PowerState state = PowerState.Running) =>
        Specs.Domain("vm", d => d with
        {
            Node = node,
            State = state,
            Migration = new MigrationPolicy(storage),
            Disks = [new DiskSpec(null, "data", null, DiskDevice.Disk, "virtio", null, false, null)],
        });

    /// <summary>Node a runs vm on pool-a's volume data (owned, in pool-a's ledger); node b has an empty pool-b.</summary>
    private static LiveNode[] Nodes(LiveRunState run = LiveRunState.Running, string? backing = null, bool targetHasVolume = false, DeletionPolicy recorded = DeletionPolicy.Retain)
    {
        var onA = Vm("a") with { Disks = [new DiskSpec(null, "data", "pool-a", DiskDevice.Disk, "virtio", "qcow2", false, null)] };
        var a = new LiveNode("a", "qemu+tls://a/system", "kvm", [Specs.Live(onA, run)])
        {
            Pools = [LivePool("pool-a", [new LiveVolume("data", "/pools/pool-a/data", 64 << 20, "qcow2", backing)], new() { ["data"] = Owned(recorded) })],
        };
        var b = new LiveNode("b", "qemu+tls://b/system", "kvm", [])
        {
            Pools = [LivePool("pool-b", targetHasVolume ? [new LiveVolume("data", "/pools/pool-b/data", 64 << 20, "qcow2", null)] : [], [])],
        };
        return [a, b];
    }

    private static SpecSet Moved(DomainSpec vm, DeletionPolicy policy = DeletionPolicy.Retain) =>
        Specs.Set(vm) with { Pools = [Pool("pool-a", "a"), Pool("pool-b", "b")], Volumes = [Vol("pool-b", policy)] };

    [Fact]
    public void A_running_domain_and_its_volume_moved_together_is_one_live_migration_that_copies_the_volume()
    {
        var plan = Planner.Compute(Moved(Vm("b")), Nodes(), new PlanOptions());
        Assert.DoesNotContain(plan.Diagnostics, d => d.Severity == Severity.Error);
        // No separate create on b nor release/delete on a: the move does both, in order.
        var change = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Migrate, "b", "a", Disruption.Live), (change.Action, change.Node, change.FromNode, change.Disruption));
        var move = Assert.Single(change.Volumes);
        Assert.Equal(("data", "pool-a", "pool-b", "qcow2", 64UL << 20, DeletionPolicy.Retain), (move.Name, move.FromPool, move.ToPool, move.Format, move.CapacityBytes, move.SourcePolicy));
        var field = Assert.Single(change.Fields, f => f.Path == "volume data");
        Assert.Equal(("pool-a on a", "pool-b on b", Disruption.Live), (field.Before, field.After, field.Disruption));
        Assert.Contains("copied by the migration", change.Reason);
        Assert.Contains("kept on the source", change.Reason);
        Assert.Equal("pool-b", Assert.Single(change.Desired.Disks).Pool);
    }

    [Fact]
    public void With_deletionPolicy_Delete_the_plan_says_the_source_copy_is_deleted_after_the_move()
    {
        var plan = Planner.Compute(Moved(Vm("b"), DeletionPolicy.Delete), Nodes(), new PlanOptions());
        var change = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes));
        Assert.Equal(DeletionPolicy.Delete, Assert.Single(change.Volumes).SourcePolicy);
        Assert.Contains("deleted on the source after the move succeeded", change.Reason);
    }

    [Fact]
    public void Shared_storage_cannot_move_a_volume_of_a_running_domain_and_says_to_copy()
    {
        var plan = Planner.Compute(Moved(Vm("b", MigrationStorage.Shared)), Nodes(), new PlanOptions());
        var error = Assert.Single(plan.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(("volume-move-needs-copy", "spec.migration.storage"), (error.Code, error.FieldPath));
        Assert.Contains("storage: copy", error.Hint);
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void A_stopped_domain_moves_its_volume_by_copying_it_with_no_disruption()
    {
        var plan = Planner.Compute(Moved(Vm("b", MigrationStorage.Shared, PowerState.Stopped)), Nodes(LiveRunState.Stopped), new PlanOptions());
        Assert.DoesNotContain(plan.Diagnostics, d => d.Severity == Severity.Error);
        var change = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes));
        Assert.Equal((ChangeAction.Migrate, Disruption.None), (change.Action, change.Disruption));
        Assert.Single(change.Volumes);
        Assert.Contains("downloaded from the source, uploaded to the target", change.Reason);
    }

    [Fact]
    public void An_overlay_on_a_backing_file_and_an_existing_target_volume_are_refused()
    {
        var backing = Planner.Compute(Moved(Vm("b")), Nodes(backing: "/pools/pool-a/base.qcow2"), new PlanOptions());
        Assert.Contains(backing.Diagnostics, d => d.Code == "volume-move-backing" && d.Severity == Severity.Error);
        Assert.DoesNotContain(backing.Changes, c => c.Kind == ResourceKind.Domain);

        var exists = Planner.Compute(Moved(Vm("b")), Nodes(targetHasVolume: true), new PlanOptions());
        var error = Assert.Single(exists.Diagnostics, d => d.Code == "volume-move-target-exists");
        Assert.Contains("vol-delete data --pool pool-b", error.Hint);
        Assert.DoesNotContain(exists.Changes, c => c.Kind == ResourceKind.Domain);
    }

    [Fact]
    public void Moving_only_the_domain_is_a_cross_node_reference_whose_hint_says_how_to_move_the_volume()
    {
        var set = Specs.Set(Vm("b")) with { Pools = [Pool("pool-a", "a"), Pool("pool-b", "b")], Volumes = [Vol("pool-a")] };
        var plan = Planner.Compute(set, Nodes(), new PlanOptions());
        var error = Assert.Single(plan.Diagnostics, d => d.Code == "cross-node-reference");
        Assert.Contains("set the Volume's pool to a pool on node 'b'", error.Hint);
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void A_moving_domain_with_cloud_init_gets_its_seed_in_the_target_pool_and_keeps_the_source_seed_until_it_is_gone()
    {
        var ci = new CloudInitSpec("#cloud-config\n", "instance-id: vm\n", null, "vm", null, CloudInitSpec.SeedVolumeName("vm"));
        var vm = Vm("b") with { CloudInit = ci };
        var nodes = Nodes();
        var pa = nodes[0].Pools[0];
        var seedRecord = new VolumeRecord(VolumeRole.Seed, "vm", Specs.Source, "r", DeletionPolicy.Delete, true, ContentHash: ci.ContentHash, InstanceId: "vm");
        nodes[0] = nodes[0] with
        {
            Pools = [pa with
            {
                Volumes = [.. pa.Volumes, new LiveVolume("vm-cidata.iso", "/pools/pool-a/vm-cidata.iso", 1 << 20, "raw", null)],
                Ledger = pa.Ledger! with { Volumes = new Dictionary<string, VolumeRecord>(pa.Ledger.Volumes) { ["vm-cidata.iso"] = seedRecord } },
            }],
        };
        var plan = Planner.Compute(Moved(vm), nodes, new PlanOptions());
        Assert.DoesNotContain(plan.Diagnostics, d => d.Severity == Severity.Error);
        var seed = Assert.IsType<SeedChange>(Assert.Single(plan.Changes, c => c.Kind == ResourceKind.Volume));
        Assert.Equal((ChangeAction.Create, "b", "pool-b"), (seed.Action, seed.Node, seed.Pool));
        var move = Assert.IsType<DomainMigrate>(Assert.Single(plan.Changes, c => c.Kind == ResourceKind.Domain));
        Assert.Equal("pool-b", move.Desired.CloudInit!.Pool);
        Assert.Equal("pool-a", move.SourceSeedPool);
        Assert.Contains("its cloud-init seed on the source (pool pool-a) is deleted after the move", move.Reason);
        Assert.DoesNotContain(plan.Changes, c => c.Node == "a");
    }

    [Fact]
    public void After_the_move_the_plan_is_empty_and_the_released_source_copy_is_left_alone()
    {
        var onB = Vm("b") with { Disks = [new DiskSpec(null, "data", "pool-b", DiskDevice.Disk, "virtio", "qcow2", false, null)] };
        var a = new LiveNode("a", "qemu+tls://a/system", "kvm", [])
        {
            Pools = [LivePool("pool-a", [new LiveVolume("data", "/pools/pool-a/data", 64 << 20, "qcow2", null)], new() { ["data"] = Owned() with { Released = true } })],
        };
        var b = new LiveNode("b", "qemu+tls://b/system", "kvm", [Specs.Live(onB)])
        {
            Pools = [LivePool("pool-b", [new LiveVolume("data", "/pools/pool-b/data", 64 << 20, "qcow2", null)], new() { ["data"] = Owned() })],
        };
        var plan = Planner.Compute(Moved(Vm("b")), [a, b], new PlanOptions());
        Assert.Empty(plan.Diagnostics);
        Assert.True(plan.IsEmpty, string.Join("; ", plan.Changes.Select(c => $"{c.Action} {c.Kind} {c.Name} on {c.Node}: {c.Reason}")));
    }
}
