namespace Reconciler.Libvirt.Tests;

public class MigrationTests
{
    [Fact]
    public void Test_driver_refuses_migration_with_a_typed_error()
    {
        using var conn = TestDriver.Open();
        using var dom = conn.LookupDomainByName("test")!;

        var ex = Assert.ThrowsAny<LibvirtException>(() =>
            dom.Migrate("test:///default", MigrateFlags.Live | MigrateFlags.PeerToPeer | MigrateFlags.PersistDest | MigrateFlags.UndefineSource, destName: "moved"));
        Assert.IsType<LibvirtUnsupportedException>(ex);
        Assert.True(dom.IsActive);
    }
}

/// <summary>Offline (definition-only) migration between two private daemons: exercises the typed parameters.</summary>
public class DaemonMigrationTests
{
    [SessionDaemonFact]
    public void Offline_peer_to_peer_migration_moves_and_renames_the_definition()
    {
        using var source = new SessionDaemon();
        using var dest = new SessionDaemon();
        using var src = LibvirtConnection.Open(source.Uri);
        using var dst = LibvirtConnection.Open(dest.Uri);
        var name = TestDriver.UniqueName("mig");
        using var dom = src.DefineDomain(RemoteEventTests.QemuDomainXml(name));
        dom.SetMetadata("<spec><generation>5</generation></spec>", "rc", "https://reconciler.example/ns/spec/1", DomainModificationImpact.Config);

        dom.Migrate(
            dest.Uri,
            MigrateFlags.Offline | MigrateFlags.PeerToPeer | MigrateFlags.PersistDest | MigrateFlags.UndefineSource,
            destName: name + "-moved");

        Assert.Null(src.LookupDomainByName(name));
        Assert.Null(dst.LookupDomainByName(name));
        using var moved = dst.LookupDomainByName(name + "-moved");
        Assert.NotNull(moved);
        Assert.True(moved.IsPersistent);
        Assert.False(moved.IsActive);
        Assert.Contains("<generation>5</generation>", moved.GetMetadata("https://reconciler.example/ns/spec/1", DomainModificationImpact.Config));
        moved.Undefine();
    }
}
