using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Tests;

/// <summary>
/// Planning the pool types of issue 19 against what a node reports: a logical (or rbd, iscsi) pool
/// whose ledger — kept in a node secret for these types — says this source created it, with the
/// same source, is unchanged; a changed device list or Ceph pool is an immutable-field error; a
/// live pool of another type is refused; logical volume sizes compare in whole extents.
/// </summary>
public sealed class PoolTypePlannerTests
{
    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory("s.yaml"));

    private static StoragePoolSpec Logical(params string[] devices) =>
        new(Meta("vg"), null, StoragePoolType.Logical, "", true, new PoolSource(devices, "vg"), Build: true);

    private static LivePool Live(string type, PoolSource? source, IReadOnlyList<LiveVolume>? volumes = null, Dictionary<string, VolumeRecord>? records = null) =>
        new("vg", "uuid-vg", true, true, true, type, type == "logical" ? "/dev/vg" : null, volumes ?? [],
            new StorageLedger(new OwnerRecord("vg", "", Specs.Source, "r", false), records ?? []), null, "fp", source);

    private static Plan Compute(SpecSet set, LiveNode node) => Planner.Compute(set, [node], new PlanOptions());

    [Fact]
    public void An_owned_logical_pool_with_the_same_devices_is_unchanged_and_other_devices_are_refused()
    {
        var set = Specs.Set() with { Pools = [Logical("/dev/loop7")] };
        var same = Compute(set, Specs.Node() with { Pools = [Live("logical", new PoolSource(["/dev/loop7"], "vg"))] });
        Assert.Empty(same.Diagnostics);
        Assert.DoesNotContain(same.Changes, c => c.Kind == ResourceKind.StoragePool);

        var moved = Compute(set, Specs.Node() with { Pools = [Live("logical", new PoolSource(["/dev/sdb"], "vg"))] });
        var d = Assert.Single(moved.Diagnostics);
        Assert.Equal("immutable-field", d.Code);
        Assert.Contains("/dev/sdb", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pool_of_another_type_with_the_spec_name_is_refused()
    {
        var set = Specs.Set() with { Pools = [Logical("/dev/loop7")] };
        var plan = Compute(set, Specs.Node() with { Pools = [Live("dir", null) with { Path = "/srv/vg" }] });
        var d = Assert.Single(plan.Diagnostics);
        Assert.Equal(("immutable-field", "spec.type"), (d.Code, d.FieldPath));
        Assert.Contains("is of type dir, not logical", d.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_rbd_pool_compares_monitors_pool_and_auth()
    {
        var source = new PoolSource([], "rbd", Hosts: ["mon1:6789"], Auth: new PoolAuth("libvirt", "11111111-2222-3333-4444-555555555555"));
        var spec = new StoragePoolSpec(Meta("vg"), null, StoragePoolType.Rbd, "", true, source);
        var set = Specs.Set() with { Pools = [spec] };
        Assert.Empty(Compute(set, Specs.Node() with { Pools = [Live("rbd", source)] }).Diagnostics);
        var other = Compute(set, Specs.Node() with { Pools = [Live("rbd", source with { Name = "images" })] });
        Assert.Equal("immutable-field", Assert.Single(other.Diagnostics).Code);
    }

    [Fact]
    public void A_logical_volume_rounded_up_to_an_extent_is_not_a_diff_and_a_larger_size_grows_it()
    {
        var vol = new VolumeSpec(Meta("lv"), null, "vg", 16UL << 20, VolumeFormat.Raw, null, DeletionPolicy.Retain);
        var set = Specs.Set() with { Pools = [Logical("/dev/loop7")], Volumes = [vol] };
        var records = new Dictionary<string, VolumeRecord> { ["lv"] = new(VolumeRole.Volume, "lv", Specs.Source, "r", DeletionPolicy.Retain, true) };
        var live = Specs.Node() with { Pools = [Live("logical", new PoolSource(["/dev/loop7"], "vg"), [new LiveVolume("lv", "/dev/vg/lv", 16UL << 20, null, null)], records)] };
        var plan = Compute(set, live);
        Assert.Empty(plan.Diagnostics);
        Assert.Empty(plan.Changes);

        // 14MiB is not a whole extent: the node makes it 16MiB, which is what it has.
        var rounded = Compute(set with { Volumes = [vol with { SizeBytes = 14UL << 20 }] }, live);
        Assert.Empty(rounded.Changes);
        var grow = Compute(set with { Volumes = [vol with { SizeBytes = 24UL << 20 }] }, live);
        var change = Assert.IsType<VolumeChange>(Assert.Single(grow.Changes));
        Assert.Equal(("spec.size", "16MiB", "24MiB"), (change.Fields[0].Path, change.Fields[0].Before, change.Fields[0].After));
    }
}
