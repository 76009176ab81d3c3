using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>What changing disk tuning, network disks, iothreads, filesystems, video, watchdog and sound costs a running domain.</summary>
public sealed class DeviceDisruptionTests
{
    private static readonly DiskSpec Db = new("/db.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, "vda");

    /// <summary>A live disk as libvirt reads back: shareable false, libvirt's own discard, no other tuning.</summary>
    private static readonly DiskSpec LiveDb = Db with { Shareable = false, Discard = "unmap" };

    private static ResourceChange? Change(DomainSpec live, DomainSpec desired, int freeSlots = 0) =>
        Planner.Compute(Set(desired), [Node(Live(live) with { FreeHotplugSlots = freeSlots })], new PlanOptions()).Changes.SingleOrDefault();

    private static Disruption Of(ResourceChange? change, string path) => Assert.Single(change!.Fields, f => f.Path == path).Disruption;

    [Fact]
    public void Tuning_the_spec_does_not_write_is_not_owned()
    {
        var live = Domain("d", d => d with { Disks = [LiveDb with { Cache = "writeback", Serial = "X" }] });
        Assert.Null(Change(live, live with { Disks = [Db] }));
    }

    [Theory]
    [InlineData("cache")]
    [InlineData("io")]
    [InlineData("discard")]
    [InlineData("iothread")]
    [InlineData("detectZeroes")]
    [InlineData("serial")]
    public void Changing_a_tuning_field_of_an_existing_disk_waits_for_the_next_boot(string field)
    {
        var live = Domain("d", d => d with { Disks = [LiveDb], Declared = d.Declared.With(DomainPaths.Spec.Field("iothreads"), "2") });
        var tuned = field switch
        {
            "cache" => Db with { Cache = "none" },
            "io" => Db with { Io = "threads" },
            "discard" => Db with { Discard = "ignore" },
            "iothread" => Db with { IoThread = 2 },
            "detectZeroes" => Db with { DetectZeroes = "on" },
            _ => Db with { Serial = "NEW-1" },
        };
        var change = Change(live, live with { Disks = [tuned] }, freeSlots: 4);
        Assert.Equal(Disruption.NextBoot, Of(change, $"spec.disks[0].{field}"));
        Assert.Single(change!.Fields);
    }

    [Fact]
    public void Attaching_a_tuned_disk_or_a_network_disk_is_live_while_a_slot_is_free()
    {
        var live = Domain("d", d => d with { Disks = [LiveDb] });
        var tuned = new DiskSpec("/new.raw", null, null, DiskDevice.Disk, "virtio", "raw", false, null) { Cache = "none", Io = "native", Serial = "NEW-1", Shareable = true };
        var rbd = new DiskSpec(null, null, null, DiskDevice.Disk, "virtio", "raw", false, null)
        {
            Network = new DiskNetworkSource("rbd", "rbd/vm1-data", ["ceph-mon1:6789"], new DiskAuth("libvirt", "11111111-2222-3333-4444-555555555555")),
        };
        var change = Change(live, live with { Disks = [Db, tuned, rbd] }, freeSlots: 2);
        Assert.All(change!.Fields, f => Assert.Equal(Disruption.Live, f.Disruption));
        Assert.Contains(change.Fields, f => f.Path == "spec.disks[1].cache" && f.After == "none");
        Assert.Contains(change.Fields, f => f.Path == "spec.disks[2].network" && f.After!.StartsWith("rbd:rbd/vm1-data@ceph-mon1:6789", StringComparison.Ordinal));
        Assert.Equal(Disruption.NextBoot, Of(Change(live, live with { Disks = [Db, tuned] }, freeSlots: 0), "spec.disks[1].cache"));
    }

    [Fact]
    public void A_network_disk_aligns_by_its_source_and_a_host_without_port_matches_libvirts_default()
    {
        var iscsi = new DiskSpec(null, null, null, DiskDevice.Disk, "virtio", "raw", false, "vdb")
        {
            Network = new DiskNetworkSource("iscsi", "iqn.2013-06.com.example:t/1", ["10.0.0.5"], null),
        };
        var live = Domain("d", d => d with { Disks = [iscsi with { Target = "vdb", Network = iscsi.Network! with { Hosts = ["10.0.0.5:3260"] }, Shareable = false }, LiveDb] });
        Assert.Null(Change(live, live with { Disks = [Db, iscsi] }));
    }

    [Fact]
    public void New_media_over_https_in_a_cdrom_is_still_live()
    {
        var cd = new DiskSpec("/a.iso", null, null, DiskDevice.Cdrom, "sata", "raw", true, "sda");
        var live = Domain("d", d => d with { Disks = [cd with { Shareable = false }] });
        var https = cd with { Path = null, Network = new DiskNetworkSource("https", "/b.iso", ["images.example.com"], null) };
        var change = Change(live, live with { Disks = [https] });
        Assert.All(change!.Fields, f => Assert.Equal(Disruption.Live, f.Disruption));
    }

    [Fact]
    public void Iothreads_filesystems_video_watchdog_and_sound_wait_for_the_next_boot_and_are_not_owned_unwritten()
    {
        var live = Domain("d", d => d with
        {
            Filesystems = [new FilesystemSpec("/srv/a", "a")],
            Video = new VideoSpec("virtio"),
            Watchdog = new WatchdogSpec("i6300esb"),
            Sound = new SoundSpec("ich9"),
            Declared = d.Declared.With(DomainPaths.Spec.Field("iothreads"), "1"),
        });
        Assert.Null(Change(live, live with { Filesystems = null, Video = null, Watchdog = null, Sound = null, Declared = FieldValues.Empty }));
        var change = Change(live, live with
        {
            Filesystems = [new FilesystemSpec("/srv/a", "a"), new FilesystemSpec("/srv/b", "b")],
            Video = new VideoSpec("qxl"),
            Watchdog = new WatchdogSpec("i6300esb", "poweroff"),
            Sound = new SoundSpec("none"),
            Declared = live.Declared.With(DomainPaths.Spec.Field("iothreads"), "2"),
        });
        foreach (var path in new[] { "spec.iothreads", "spec.filesystems", "spec.video.model", "spec.watchdog.action", "spec.sound.model" })
        {
            Assert.Equal(Disruption.NextBoot, Of(change, path));
        }
        Assert.Equal(5, change!.Fields.Count);
        Assert.Equal(Disruption.NextBoot, Of(Change(live, live with { Watchdog = new WatchdogSpec("none") }), "spec.watchdog.model"));
    }
}
