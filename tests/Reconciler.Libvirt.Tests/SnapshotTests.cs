namespace Reconciler.Libvirt.Tests;

public class SnapshotTests
{
    [Fact]
    public void Create_list_revert_delete()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("snap")));
        dom.Create();

        Assert.Empty(dom.ListSnapshotNames());
        Assert.Equal("before-upgrade", dom.CreateSnapshot("<domainsnapshot><name>before-upgrade</name></domainsnapshot>"));
        var generated = dom.CreateSnapshot("<domainsnapshot><description>auto</description></domainsnapshot>");
        Assert.False(string.IsNullOrEmpty(generated));
        Assert.Equal(new[] { "before-upgrade", generated }.Order(), dom.ListSnapshotNames().Order());

        // The snapshot was taken running: reverting a stopped domain brings it back up.
        dom.Destroy();
        Assert.False(dom.IsActive);
        dom.RevertToSnapshot("before-upgrade");
        Assert.Equal(DomainRunState.Running, dom.GetState().State);

        dom.DeleteSnapshot("before-upgrade");
        Assert.Equal([generated], dom.ListSnapshotNames());

        var missing = Assert.Throws<LibvirtNotFoundException>(() => dom.RevertToSnapshot("before-upgrade"));
        Assert.Equal(LibvirtErrorCode.NoDomainSnapshot, missing.Code);
        Assert.Throws<LibvirtNotFoundException>(() => dom.DeleteSnapshot("nope"));

        Assert.Throws<LibvirtInvalidXmlException>(() => dom.CreateSnapshot("<domainsnapshot>"));

        dom.Destroy();
        dom.Undefine(UndefineFlags.SnapshotsMetadata);
        Assert.Null(conn.LookupDomainByName(dom.Name));
    }

    [Fact]
    public void Undefine_refuses_domain_with_snapshots_unless_asked()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.DefineDomain(TestDriver.DomainXml(TestDriver.UniqueName("snapundef")));
        dom.CreateSnapshot("<domainsnapshot><name>s1</name></domainsnapshot>");

        Assert.Throws<LibvirtOperationInvalidException>(() => dom.Undefine());
        dom.Undefine(UndefineFlags.KeepNvram | UndefineFlags.SnapshotsMetadata);
        Assert.Null(conn.LookupDomainByName(dom.Name));
    }
}
