using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Tests;

/// <summary>The pure storage planning: order, ownership via the ledger, grow/shrink, retain/delete, references, networks, seeds.</summary>
public sealed class StoragePlannerTests
{
    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory("s.yaml"));

    private static StoragePoolSpec PoolSpec => new(Meta("p"), null, StoragePoolType.Dir, "/pools/p", true);

    private static VolumeSpec Vol(string name, ulong mib, DeletionPolicy policy = DeletionPolicy.Retain) =>
        new(Meta(name), null, "p", mib << 20, VolumeFormat.Qcow2, null, policy);

    private static NetworkSpec Net(string host = "198.51.100.11", string address = "198.51.100.1") =>
        new(Meta("n"), null, NetworkMode.Nat, null, new NetworkIpv4(address, 24, null, null, [new DhcpHost("52:54:00:00:00:01", host, null)]), [], true);

    private static VolumeRecord Rec(DeletionPolicy policy = DeletionPolicy.Retain, VolumeRole role = VolumeRole.Volume, string source = Specs.Source) =>
        new(role, "x", source, "r", policy, true);

    private static LivePool LivePool(IReadOnlyList<LiveVolume> volumes, Dictionary<string, VolumeRecord> records, bool owned = true) =>
        new("p", "uuid-p", true, true, true, "dir", "/pools/p", volumes,
            new StorageLedger(owned ? new OwnerRecord("p", "", Specs.Source, "r", false) : null, records), null, "fp");

    private static LiveVolume LiveVol(string name, ulong mib) => new(name, "/pools/p/" + name, mib << 20, "qcow2", null);

    private static Plan Compute(SpecSet set, LiveNode node) => Planner.Compute(set, [node], new PlanOptions());

    private static DomainSpec WithVolume(string name, string volume, Func<DomainSpec, DomainSpec>? edit = null) =>
        Specs.Domain(name, d => (edit ?? (x => x))(d with { Disks = [new DiskSpec(null, volume, null, DiskDevice.Disk, "virtio", null, false, null)] }));

    [Fact]
    public void Creates_go_pools_volumes_networks_domains_and_volume_disks_get_pool_and_format()
    {
        var set = Specs.Set(WithVolume("vm", "v") with { Interfaces = [new InterfaceSpec("n", null, "virtio", null)] })
            with { Pools = [PoolSpec], Volumes = [Vol("v", 64)], Networks = [Net()] };
        var plan = Compute(set, Specs.Node());
        Assert.Equal([ResourceKind.StoragePool, ResourceKind.Volume, ResourceKind.Network, ResourceKind.Domain], plan.Changes.Select(c => c.Kind));
        Assert.Empty(plan.Diagnostics);
        var disk = Assert.Single(Assert.IsType<DomainCreate>(plan.Changes[^1]).Desired.Disks);
        Assert.Equal(("p", "qcow2"), (disk.Pool, disk.Format));
    }

    [Fact]
    public void Shrinking_is_an_error_and_growing_an_attached_running_volume_is_live()
    {
        var vm = WithVolume("vm", "v");
        var live = Specs.Node(Specs.Live(vm with { Disks = [vm.Disks[0] with { Pool = "p", Format = "qcow2" }] })) with
        {
            Pools = [LivePool([LiveVol("v", 128)], new() { ["v"] = Rec() })],
        };
        var shrink = Compute(Specs.Set(vm) with { Pools = [PoolSpec], Volumes = [Vol("v", 64)] }, live);
        Assert.Contains(shrink.Diagnostics, d => d.Code == "shrink-refused" && d.FieldPath == "spec.size");
        Assert.DoesNotContain(shrink.Changes, c => c.Kind == ResourceKind.Volume);

        var grow = Compute(Specs.Set(vm) with { Pools = [PoolSpec], Volumes = [Vol("v", 256)] }, live);
        var change = Assert.IsType<VolumeChange>(Assert.Single(grow.Changes, c => c.Kind == ResourceKind.Volume));
        Assert.Equal(("spec.size", "128MiB", "256MiB", Disruption.Live), (change.Fields[0].Path, change.Fields[0].Before, change.Fields[0].After, change.Fields[0].Disruption));
        Assert.Equal(["vm"], change.Affected);
    }

    [Fact]
    public void A_removed_volume_is_released_with_Retain_deleted_with_Delete_and_never_while_attached()
    {
        var user = WithVolume("user", "attached");
        var live = Specs.Node(Specs.Live(user with { Disks = [user.Disks[0] with { Pool = "p" }] })) with
        {
            Pools = [LivePool([LiveVol("keep", 8), LiveVol("drop", 8), LiveVol("attached", 8), LiveVol("foreign", 8)], new()
            {
                ["keep"] = Rec(DeletionPolicy.Retain),
                ["drop"] = Rec(DeletionPolicy.Delete),
                ["attached"] = Rec(DeletionPolicy.Delete),
            })],
        };
        var plan = Compute(Specs.Set(user) with { Pools = [PoolSpec] }, live);
        var keep = Assert.IsType<VolumeChange>(Assert.Single(plan.Changes, c => c.Name == "keep"));
        Assert.Equal((ChangeAction.Update, true), (keep.Action, keep.Release));
        Assert.Equal(ChangeAction.Destroy, Assert.Single(plan.Changes, c => c.Name == "drop").Action);
        Assert.DoesNotContain(plan.Changes, c => c.Name is "attached" or "foreign");
        Assert.Contains(plan.Diagnostics, d => d.Code == "volume-in-use" && d.Message.Contains("attached") && d.Message.Contains("user"));
    }

    [Fact]
    public void A_volume_Reconciler_did_not_create_is_not_owned()
    {
        var live = Specs.Node() with { Pools = [LivePool([LiveVol("v", 64)], [])] };
        var plan = Compute(Specs.Set() with { Pools = [PoolSpec], Volumes = [Vol("v", 64)] }, live);
        Assert.Contains(plan.Diagnostics, d => d.Code == "not-owned" && d.Message.Contains("volume 'v'"));
        Assert.Empty(plan.Changes);
    }

    [Fact]
    public void A_dangling_reference_blocks_only_that_domain_and_an_existing_volume_is_external()
    {
        var live = Specs.Node() with { Pools = [LivePool([LiveVol("iso", 1)], [], owned: false)] };
        var plan = Compute(Specs.Set(WithVolume("lost", "nowhere"), WithVolume("ok", "iso")), live);
        var error = Assert.Single(plan.Diagnostics);
        Assert.Equal("dangling-reference", error.Code);
        Assert.Contains("domain 'lost' uses volume 'nowhere'", error.Message);
        var ok = Assert.Single(plan.Changes);
        Assert.Equal("ok", ok.Name);
        Assert.Contains("uses external volume p/iso", ok.Reason);
    }

    [Fact]
    public void Dhcp_hosts_change_live_while_a_new_subnet_recreates_and_names_running_users()
    {
        var vm = Specs.Domain("vm", d => d with { Interfaces = [new InterfaceSpec("n", null, "virtio", "52:54:00:00:00:01")] });
        var liveNet = new LiveNetwork("n", "uuid-n", true, true, true, new OwnerRecord("n", "", Specs.Source, "r", false), Net(), "fp");
        var node = Specs.Node(Specs.Live(vm)) with { Networks = [liveNet] };

        var hosts = Compute(Specs.Set(vm) with { Networks = [Net(host: "198.51.100.12")] }, node);
        var live = Assert.IsType<NetworkChange>(Assert.Single(hosts.Changes));
        Assert.False(live.Recreate);
        Assert.All(live.Fields, f => Assert.Equal(Disruption.Live, f.Disruption));

        var subnet = Compute(Specs.Set(vm) with { Networks = [Net(address: "198.51.100.2")] }, node);
        var recreate = Assert.IsType<NetworkChange>(Assert.Single(subnet.Changes));
        Assert.True(recreate.Recreate);
        Assert.Equal(Disruption.Replace, recreate.Disruption);
        Assert.Contains("vm lose connectivity", recreate.Reason);

        Assert.Empty(Compute(Specs.Set(vm) with { Networks = [Net()] }, node).Changes);
    }

    [Fact]
    public void A_changed_seed_says_whether_the_guest_reruns_cloud_init()
    {
        CloudInitSpec Seed(string user, string id) => new("#cloud-config\n" + user, $"instance-id: \"{id}\"\n", null, id, "p", "vm-cidata.iso");
        DomainSpec Vm(CloudInitSpec ci) => Specs.Domain("vm", d => d with
        {
            CloudInit = ci,
            Disks = [new DiskSpec(null, "vm-cidata.iso", "p", DiskDevice.Cdrom, "sata", "raw", true, null)],
        });
        var old = Seed("a: 1\n", "vm");
        var live = Specs.Node(Specs.Live(Vm(old))) with
        {
            Pools = [LivePool([new LiveVolume("vm-cidata.iso", "/pools/p/vm-cidata.iso", 1 << 20, "iso", null)],
                new() { ["vm-cidata.iso"] = new VolumeRecord(VolumeRole.Seed, "vm", Specs.Source, "r", DeletionPolicy.Delete, true, ContentHash: old.ContentHash, InstanceId: "vm") })],
        };
        Assert.Empty(Compute(Specs.Set(Vm(old)) with { Pools = [PoolSpec] }, live).Changes);

        var same = Assert.Single(Compute(Specs.Set(Vm(Seed("a: 2\n", "vm"))) with { Pools = [PoolSpec] }, live).Changes);
        Assert.Contains("instance-id unchanged (vm)", same.Reason);
        Assert.Equal(Disruption.NextBoot, same.Disruption);

        var rerun = Assert.Single(Compute(Specs.Set(Vm(Seed("a: 2\n", "vm-2"))) with { Pools = [PoolSpec] }, live).Changes, c => c.Kind == ResourceKind.Volume);
        Assert.Contains("runs again at its next boot", rerun.Reason);
    }

    [Fact]
    public void A_seed_recorded_with_an_older_image_format_is_rewritten_once_without_disruption()
    {
        var ci = new CloudInitSpec("#cloud-config\na: 1\n", "instance-id: \"vm\"\n", null, "vm", "p", "vm-cidata.iso");
        DomainSpec Vm(CloudInitSpec c) => Specs.Domain("vm", d => d with
        {
            CloudInit = c,
            Disks = [new DiskSpec(null, "vm-cidata.iso", "p", DiskDevice.Cdrom, "sata", "raw", true, null)],
        });
        LiveNode Recorded(string hash) => Specs.Node(Specs.Live(Vm(ci))) with
        {
            Pools = [LivePool([new LiveVolume("vm-cidata.iso", "/pools/p/vm-cidata.iso", 55296, "iso", null)],
                new() { ["vm-cidata.iso"] = new VolumeRecord(VolumeRole.Seed, "vm", Specs.Source, "r", DeletionPolicy.Delete, true, ContentHash: hash, InstanceId: "vm") })],
        };
        var old = ci.ContentHashAt(1);
        Assert.NotEqual(old, ci.ContentHash);
        Assert.True(ci.IsOlderFormatOf(old));
        Assert.False(ci.IsOlderFormatOf(ci.ContentHash));
        Assert.False(ci.IsOlderFormatOf((ci with { UserData = "#cloud-config\na: 2\n" }).ContentHashAt(1)));

        // The domain runs (Specs.Live): a content change would be next-boot; a format change is none.
        var rewrite = Assert.Single(Compute(Specs.Set(Vm(ci)) with { Pools = [PoolSpec] }, Recorded(old)).Changes);
        Assert.Equal((ResourceKind.Volume, "vm-cidata.iso", ChangeAction.Update), (rewrite.Kind, rewrite.Name, rewrite.Action));
        Assert.Equal(Disruption.None, rewrite.Disruption);
        Assert.Contains($"image format {CloudInitSpec.SeedFormat}", rewrite.Reason);
        Assert.Contains("its files are unchanged", rewrite.Reason);
        var seed = Assert.IsType<SeedChange>(rewrite);
        Assert.NotNull(seed.CloudInit);
        Assert.False(seed.Adopt);
        var field = Assert.Single(rewrite.Fields);
        Assert.Equal(("spec.cloudInit", old, ci.ContentHash, Disruption.None), (field.Path, field.Before, field.After, field.Disruption));

        // What apply records afterwards: nothing left to do.
        Assert.Empty(Compute(Specs.Set(Vm(ci)) with { Pools = [PoolSpec] }, Recorded(ci.ContentHash)).Changes);

        // New files recorded in the old format are a content change, with its usual disruption.
        var edited = Assert.Single(Compute(Specs.Set(Vm(ci with { UserData = "#cloud-config\na: 2\n" })) with { Pools = [PoolSpec] }, Recorded(old)).Changes);
        Assert.Equal(Disruption.NextBoot, edited.Disruption);
        Assert.Contains("instance-id unchanged", edited.Reason);
    }

    /// <summary>
    /// Every diagnostic of the resource steps names the resource it is about (what the controller
    /// blocks): a domain for its own references and seed, else the pool, volume or network.
    /// </summary>
    [Fact]
    public void Every_storage_and_network_diagnostic_names_the_resource_it_is_about()
    {
        var seeded = Specs.Domain("seeded", d => d with
        {
            CloudInit = new CloudInitSpec("#cloud-config\n", "instance-id: \"seeded\"\n", null, "seeded", "p", "seeded-cidata.iso"),
            Disks = [new DiskSpec(null, "seeded-cidata.iso", "p", DiskDevice.Cdrom, "sata", "raw", true, null)],
        });
        var user = WithVolume("user", "attached");
        var foreignNet = new LiveNetwork("other", "uuid-o", true, true, true, null, Net(), "fp");
        var cases = new (string Case, SpecSet Specs, LiveNode Live, (string Code, ResourceKind Kind, string Name, string? Node)[] Expected)[]
        {
            ("shrink, not owned, in use",
                Specs.Set(user) with { Pools = [PoolSpec], Volumes = [Vol("v", 64), Vol("foreign", 8)] },
                Specs.Node(Specs.Live(user with { Disks = [user.Disks[0] with { Pool = "p" }] })) with
                {
                    Pools = [LivePool([LiveVol("v", 128), LiveVol("foreign", 8), LiveVol("attached", 8)],
                        new() { ["v"] = Rec(), ["attached"] = Rec(DeletionPolicy.Delete) })],
                },
                [("shrink-refused", ResourceKind.Volume, "v", "hv1"), ("not-owned", ResourceKind.Volume, "foreign", "hv1"),
                 ("volume-in-use", ResourceKind.Volume, "attached", "hv1")]),
            ("domain references",
                Specs.Set(WithVolume("lost", "nowhere"), WithVolume("raw", "v", d => d with { Disks = [d.Disks[0] with { Format = "raw" }] }))
                    with { Pools = [PoolSpec], Volumes = [Vol("v", 64)] },
                Specs.Node(),
                [("dangling-reference", ResourceKind.Domain, "lost", "hv1"), ("format-mismatch", ResourceKind.Domain, "raw", "hv1")]),
            ("seed not owned, pool in use, unknown node",
                Specs.Set(seeded) with { Volumes = [Vol("v", 64), new VolumeSpec(Meta("far"), "hv9", "p", 1 << 20, VolumeFormat.Raw, null, DeletionPolicy.Retain)] },
                Specs.Node() with { Pools = [LivePool([LiveVol("seeded-cidata.iso", 1)], [])] },
                [("not-owned", ResourceKind.Domain, "seeded", "hv1"), ("pool-in-use", ResourceKind.StoragePool, "p", "hv1"),
                 ("unknown-node", ResourceKind.Volume, "far", "hv9")]),
            ("networks",
                Specs.Set() with { Networks = [Net(), Net() with { Meta = Meta("transient"), Ipv4 = null }] },
                Specs.Node() with { Networks = [foreignNet, foreignNet with { Name = "transient", Persistent = false, Config = null }] },
                [("overlapping-network", ResourceKind.Network, "n", "hv1"), ("transient-conflict", ResourceKind.Network, "transient", "hv1")]),
        };
        foreach (var (name, set, live, expected) in cases)
        {
            var plan = Compute(set, live);
            Assert.All(plan.Diagnostics, d => Assert.True(d.Resource is not null, $"{name}: {d} names no resource"));
            Assert.Equal(expected.Order(), plan.Diagnostics.Select(d => (d.Code, d.Resource!.Kind, d.Resource.Name, d.Resource.Node)).Order());
        }
    }
}
