using Reconciler.Engine.Apply;
using Reconciler.Libvirt;

namespace Reconciler.Engine.Tests;

/// <summary>
/// What <see cref="ExternalSnapshots"/> decides before it asks libvirt to snapshot or merge, on the
/// in-process test driver (which cannot take a disk-only snapshot itself, but keeps a redefined
/// one's metadata): which disks refuse an overlay, and which snapshots it does not prune. The
/// snapshots and merges themselves are tested on qemu:///system (EndToEnd ExternalSnapshotTests).
/// </summary>
public sealed class ExternalSnapshotRulesTests
{
    private static string DomainXml(string name, string disks) => $"""
        <domain type='test'><name>{name}</name><memory>65536</memory><os><type>hvm</type></os><devices>
        {disks}
        <disk type='file' device='cdrom'><source file='/srv/snx/seed.iso'/><target dev='sda' bus='sata'/><readonly/></disk>
        </devices></domain>
        """;

    private const string FileDisk = "<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='/srv/snx/root.img'/><target dev='vda' bus='virtio'/></disk>";

    private static string Unique(string what) => "snx-" + what + "-" + Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public void A_disk_that_is_not_a_file_or_no_writable_file_disk_refuses_naming_why()
    {
        using var conn = LibvirtConnection.Open("test:///default");
        using var block = conn.DefineDomain(DomainXml(Unique("block"),
            FileDisk + "<disk type='block' device='disk'><source dev='/dev/snx-none'/><target dev='vdb' bus='virtio'/></disk>"));
        var refused = Assert.Throws<ExternalSnapshotException>(() => new ExternalSnapshots().Take(block, "reconciler-x", "d", quiesce: false));
        Assert.Contains("disk vdb is a block disk", refused.Message, StringComparison.Ordinal);
        Assert.Contains("kind: internal", refused.Message, StringComparison.Ordinal);

        using var cdromOnly = conn.DefineDomain(DomainXml(Unique("cd"), ""));
        Assert.Contains("no writable file disk", Assert.Throws<ExternalSnapshotException>(() => new ExternalSnapshots().Take(cdromOnly, "reconciler-x", "d", quiesce: false)).Message, StringComparison.Ordinal);
        using var plain = conn.DefineDomain(DomainXml(Unique("name"), FileDisk));
        Assert.Throws<ArgumentException>(() => new ExternalSnapshots().Take(plain, "users-own", "d", quiesce: false));
        Assert.Empty(block.ListSnapshotNames());
    }

    [Fact]
    public void An_external_snapshot_is_described_by_its_overlays_and_kept_while_the_domain_is_stopped_and_an_internal_one_is_not_pruned_here()
    {
        using var conn = LibvirtConnection.Open("test:///default");
        var name = Unique("meta");
        using var domain = conn.DefineDomain(DomainXml(name, FileDisk));
        domain.CreateSnapshot($"""
            <domainsnapshot><name>reconciler-ext</name><state>disk-snapshot</state><creationTime>1796336574</creationTime><memory snapshot='no'/>
            <disks><disk name='vda' snapshot='external' type='file'><driver type='qcow2'/><source file='/srv/snx/root.img.reconciler-ext'/></disk><disk name='sda' snapshot='no'/></disks>
            {DomainXml(name, FileDisk).Replace("<memory>", $"<uuid>{domain.Uuid}</uuid><memory>", StringComparison.Ordinal)}
            </domainsnapshot>
            """, SnapshotCreateFlags.Redefine);
        domain.CreateSnapshot("<domainsnapshot><name>reconciler-int</name></domainsnapshot>");

        var described = ExternalSnapshots.Describe(domain, "reconciler-ext");
        Assert.NotNull(described);
        Assert.Equal([new ExternalOverlayFile("vda", "/srv/snx/root.img", "/srv/snx/root.img.reconciler-ext")], described.Overlays);
        Assert.Null(ExternalSnapshots.Describe(domain, "reconciler-int"));

        var stopped = new ExternalSnapshots().Prune(domain, "reconciler-ext");
        Assert.Equal(ExternalPruneStatus.NotRunning, stopped.Status);
        Assert.Contains("only while the domain runs", stopped.Message, StringComparison.Ordinal);
        var internalOne = new ExternalSnapshots().Prune(domain, "reconciler-int");
        Assert.Equal(ExternalPruneStatus.NotExternal, internalOne.Status);
        Assert.Equal(["reconciler-ext", "reconciler-int"], domain.ListSnapshotNames().Order(StringComparer.Ordinal));
        Assert.Throws<LibvirtNotFoundException>(() => new ExternalSnapshots().Prune(domain, "reconciler-none"));
    }
}
