using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Tests;

/// <summary>Disk tuning and network disks, spec.iothreads, spec.filesystems, spec.video, spec.watchdog and spec.sound: loaded, and every rule located where the value is written.</summary>
public sealed class DeviceFieldTests
{
    [Fact]
    public void Disk_tuning_and_iothreads_are_loaded()
    {
        var d = T.OneDomain(T.Domain("""
              iothreads: 2
              disks:
                - path: /var/lib/libvirt/images/db.qcow2
                  cache: none
                  io: native
                  discard: unmap
                  detectZeroes: unmap
                  serial: "DB-DATA-1"
                  iothread: 1
                  shareable: false
                  boot: 1
                - {path: /var/lib/libvirt/images/plain.qcow2}

            """));
        Assert.Equal("2", d.Declared[DomainPaths.Spec.Field("iothreads")]);
        var disk = d.Disks[0];
        Assert.Equal(("none", "native", "unmap", "unmap", "DB-DATA-1", 1, false, 1),
            (disk.Cache, disk.Io, disk.Discard, disk.DetectZeroes, disk.Serial, disk.IoThread, disk.Shareable, disk.Boot));
        var plain = d.Disks[1];
        Assert.Equal((null, null, null, null, null, null, null, null), (plain.Cache, plain.Io, plain.Discard, plain.DetectZeroes, plain.Serial, plain.IoThread, plain.Shareable, plain.Network));
    }

    [Fact]
    public void A_network_disk_is_loaded_with_hosts_and_auth()
    {
        var d = T.OneDomain(T.Domain("""
              disks:
                - network: {protocol: rbd, name: "rbd/vm1-root", hosts: ["ceph-mon1:6789", "ceph-mon2"], auth: {username: libvirt, secretUuid: "11111111-2222-3333-4444-55555555AAAA"}}

            """));
        var n = Assert.Single(d.Disks).Network!;
        Assert.Equal(new DiskNetworkSource("rbd", "rbd/vm1-root", ["ceph-mon1:6789", "ceph-mon2"], new DiskAuth("libvirt", "11111111-2222-3333-4444-55555555aaaa")), n);
        Assert.Null(d.Disks[0].Path);
        Assert.Equal("rbd:rbd/vm1-root@ceph-mon1:6789,ceph-mon2;auth=libvirt/11111111-2222-3333-4444-55555555aaaa", DiskTuningFields.Canonical(n));
    }

    [Fact]
    public void Filesystems_video_watchdog_and_sound_are_loaded_and_a_share_turns_on_shared_memory()
    {
        var d = T.OneDomain(T.Domain("""
              memoryBacking: {locked: true}
              filesystems:
                - {source: /srv/share, target: share, readonly: false}
              video: {model: qxl}
              watchdog: {model: i6300esb}
              sound: {model: ich9}

            """));
        Assert.Equal([new FilesystemSpec("/srv/share", "share")], d.Filesystems!);
        Assert.Equal(new VideoSpec("qxl"), d.Video);
        Assert.Equal(new WatchdogSpec("i6300esb", "reset"), d.Watchdog);
        Assert.Equal(new SoundSpec("ich9"), d.Sound);
        Assert.Equal(new MemoryBackingSpec(null, Locked: true, Shared: true), d.MemoryBacking);
    }

    [Fact]
    public void Without_them_nothing_is_set()
    {
        var d = T.OneDomain(T.Domain("  vcpus: 1\n"));
        Assert.Null(d.Filesystems);
        Assert.Null(d.Video);
        Assert.Null(d.Watchdog);
        Assert.Null(d.Sound);
        Assert.Null(d.Declared[DomainPaths.Spec.Field("iothreads")]);
    }

    [Fact]
    public void An_unknown_cache_mode_names_the_allowed_ones()
    {
        var d = T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, cache: nocache}\n"), InvalidEnum, "spec.disks[0].cache", 7, 31);
        Assert.Contains("writeback", d.Hint, StringComparison.Ordinal);
    }

    [Fact]
    public void Io_native_without_a_direct_cache_is_located_at_io() =>
        Assert.Contains("cache: none", T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, io: native}\n"), ConflictingFields, "spec.disks[0].io", 7, 28).Hint, StringComparison.Ordinal);

    [Fact]
    public void Detect_zeroes_unmap_without_discard_unmap_is_located_at_detect_zeroes() =>
        T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, detectZeroes: unmap}\n"), ConflictingFields, "spec.disks[0].detectZeroes", 7, 38);

    [Fact]
    public void An_iothread_beyond_spec_iothreads_is_located_at_the_iothread()
    {
        Assert.Contains("beyond spec.iothreads (1)", T.Expect(T.Domain("  iothreads: 1\n  disks:\n    - {path: /a.qcow2, iothread: 2}\n"), OutOfRange, "spec.disks[0].iothread", 8, 34).Message, StringComparison.Ordinal);
        Assert.Contains("needs spec.iothreads", T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, iothread: 1}\n"), OutOfRange, "spec.disks[0].iothread", 7, 34).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_iothread_on_a_sata_disk_is_an_error() =>
        T.Expect(T.Domain("  iothreads: 1\n  disks:\n    - {path: /a.qcow2, bus: sata, iothread: 1}\n"), ConflictingFields, "spec.disks[0].iothread", 8, 45);

    [Fact]
    public void A_zero_iothread_count_is_out_of_range() =>
        T.Expect(T.Domain("  iothreads: 0\n"), OutOfRange, "spec.iothreads", 6, 14);

    [Fact]
    public void A_serial_with_a_slash_is_located_at_the_serial() =>
        T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, serial: \"a/b\"}\n"), InvalidValue, "spec.disks[0].serial", 7, 32);

    [Fact]
    public void A_shareable_qcow2_is_refused() =>
        Assert.Contains("raw", T.Expect(T.Domain("  disks:\n    - {path: /a.qcow2, shareable: true}\n"), ConflictingFields, "spec.disks[0].shareable", 7, 35).Message, StringComparison.Ordinal);

    [Fact]
    public void A_network_disk_with_a_path_too_is_an_error() =>
        T.Expect(T.Domain("  disks:\n    - {path: /a.raw, network: {protocol: nbd, hosts: [n1]}}\n"), ConflictingFields, "spec.disks[0].network", 7, 22);

    [Fact]
    public void An_iscsi_disk_needs_exactly_one_host() =>
        Assert.Contains("exactly one host", T.Expect(T.Domain("  disks:\n    - network: {protocol: iscsi, name: \"iqn.2013-06.com.example:t/1\", hosts: [a, b]}\n"),
            OutOfRange, "spec.disks[0].network.hosts", 7, 71).Message, StringComparison.Ordinal);

    [Fact]
    public void An_rbd_disk_needs_a_name() =>
        T.Expect(T.Domain("  disks:\n    - network: {protocol: rbd}\n"), MissingField, "spec.disks[0].network.name", 7, 7);

    [Fact]
    public void A_bad_host_port_is_located_at_the_host() =>
        T.Expect(T.Domain("  disks:\n    - network: {protocol: nbd, hosts: [\"n1:99999\"]}\n"), InvalidAddress, "spec.disks[0].network.hosts[0]", 7, 40);

    [Fact]
    public void Auth_on_an_nbd_disk_is_an_error() =>
        T.Expect(T.Domain("  disks:\n    - network: {protocol: nbd, hosts: [n1], auth: {username: u, secretUuid: \"11111111-2222-3333-4444-555555555555\"}}\n"),
            ConflictingFields, "spec.disks[0].network.auth", 7, 45);

    [Fact]
    public void A_secret_that_is_not_a_uuid_is_located_at_secret_uuid() =>
        T.Expect(T.Domain("  disks:\n    - network: {protocol: rbd, name: p/i, auth: {username: u, secretUuid: not-a-uuid}}\n"),
            InvalidValue, "spec.disks[0].network.auth.secretUuid", 7, 75);

    [Fact]
    public void A_virtiofs_target_that_is_not_a_tag_is_located_at_the_target() =>
        Assert.Contains("not a virtiofs tag", T.Expect(T.Domain("  filesystems:\n    - {source: /srv/a, target: \"my share\"}\n"), InvalidValue, "spec.filesystems[0].target", 7, 32).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("srv/share", 16)]
    [InlineData("/srv/../etc", 16)]
    public void A_relative_or_dotdot_source_is_located_at_the_source(string source, int column) =>
        T.Expect(T.Domain($"  filesystems:\n    - {{source: {source}, target: t}}\n"), InvalidPath, "spec.filesystems[0].source", 7, column);

    [Fact]
    public void Two_shares_with_one_tag_are_an_error() =>
        T.Expect(T.Domain("  filesystems:\n    - {source: /a, target: t}\n    - {source: /b, target: t}\n"), InvalidValue, "spec.filesystems[1].target", 8, 28);

    [Fact]
    public void A_read_only_share_is_refused_as_libvirt_9_refuses_it() =>
        Assert.Contains("read-only", T.Expect(T.Domain("  filesystems:\n    - {source: /a, target: t, readonly: true}\n"), InvalidValue, "spec.filesystems[0].readonly", 7, 41).Message, StringComparison.Ordinal);

    [Fact]
    public void A_share_with_shared_false_is_a_conflict() =>
        T.Expect(T.Domain("  memoryBacking: {shared: false}\n  filesystems:\n    - {source: /a, target: t}\n"), ConflictingFields, "spec.memoryBacking.shared", 6, 27);

    [Fact]
    public void An_unknown_watchdog_action_is_located_at_the_action() =>
        T.Expect(T.Domain("  watchdog: {model: i6300esb, action: explode}\n"), InvalidEnum, "spec.watchdog.action", 6, 39);

    [Fact]
    public void A_video_without_a_model_is_missing_the_model() =>
        T.Expect(T.Domain("  video: {}\n"), MissingField, "spec.video.model", 6, 10);
}
