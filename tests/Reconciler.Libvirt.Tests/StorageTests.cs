namespace Reconciler.Libvirt.Tests;

public class StorageTests
{
    internal static string PoolXml(string name, string path) => $"""
        <pool type='dir'>
          <name>{name}</name>
          <target><path>{path}</path></target>
        </pool>
        """;

    internal static string VolumeXml(string name, ulong capacityBytes, string format = "raw") => $"""
        <volume>
          <name>{name}</name>
          <capacity unit='bytes'>{capacityBytes}</capacity>
          <target><format type='{format}'/></target>
        </volume>
        """;

    [Fact]
    public void Builtin_pool_is_listed_and_missing_lookups_are_null()
    {
        using var conn = TestDriver.Open();

        var pools = conn.ListAllStoragePools();
        Assert.Contains(pools, p => p.Name == "default-pool");
        foreach (var p in pools)
        {
            p.Dispose();
        }

        Assert.Null(conn.LookupStoragePoolByName("no-such-pool-" + Guid.NewGuid().ToString("N")));
        using var pool = conn.LookupStoragePoolByName("default-pool")!;
        Assert.Null(pool.LookupVolumeByName("no-such-volume"));
    }

    [Fact]
    public void Pool_lifecycle_and_volumes_on_test_driver()
    {
        using var conn = TestDriver.Open();
        var name = TestDriver.UniqueName("pool");
        using var pool = conn.DefineStoragePool(PoolXml(name, "/pools/" + name));

        Assert.Equal(name, pool.Name);
        Assert.True(Guid.TryParse(pool.Uuid, out _));
        Assert.True(pool.IsPersistent);
        Assert.False(pool.IsActive);
        Assert.Equal(StoragePoolState.Inactive, pool.GetInfo().State);

        pool.Build();
        pool.Create();
        Assert.True(pool.IsActive);
        Assert.Equal(StoragePoolState.Running, pool.GetInfo().State);
        pool.Refresh();
        Assert.Contains($"<name>{name}</name>", pool.GetXmlDesc());

        pool.Autostart = true;
        Assert.True(pool.Autostart);
        pool.Autostart = false;
        Assert.False(pool.Autostart);

        using (var vol = pool.CreateVolume(VolumeXml("disk0.img", 8 * 1024 * 1024)))
        {
            Assert.Equal("disk0.img", vol.Name);
            Assert.EndsWith("disk0.img", vol.Path, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(vol.Key));
            Assert.Equal(8ul * 1024 * 1024, vol.GetInfo().CapacityBytes);
            Assert.Contains("<capacity unit='bytes'>8388608</capacity>", vol.GetXmlDesc());

            using var clone = pool.CreateVolumeFrom(VolumeXml("disk0-clone.img", 8 * 1024 * 1024), vol);
            Assert.Equal("disk0-clone.img", clone.Name);
        }

        // The test driver reports a duplicate volume as OPERATION_FAILED (the storage driver: STORAGE_VOL_EXIST).
        var dup = Assert.Throws<LibvirtOperationFailedException>(() => pool.CreateVolume(VolumeXml("disk0.img", 1024)));
        Assert.Contains("already exists", dup.Message, StringComparison.Ordinal);

        var names = pool.ListAllVolumes().Select(v => { using (v) { return v.Name; } }).Order().ToArray();
        Assert.Equal(["disk0-clone.img", "disk0.img"], names);

        foreach (var volName in names)
        {
            using var v = pool.LookupVolumeByName(volName)!;
            v.Delete();
        }

        Assert.Empty(pool.ListAllVolumes());
        pool.Destroy();
        Assert.False(pool.IsActive);
        pool.Undefine();
        Assert.Null(conn.LookupStoragePoolByName(name));
    }

    [Fact]
    public void Invalid_pool_xml_is_invalid_xml()
    {
        using var conn = TestDriver.Open();

        Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineStoragePool("<pool type='dir'><name>x</name"));
        var ex = Assert.Throws<LibvirtInvalidXmlException>(() => conn.DefineStoragePool(
            $"<pool type='dir'><name>{TestDriver.UniqueName("p")}</name><target><path>/x</path></target><bogus/></pool>"));
        Assert.Equal(LibvirtErrorCode.XmlInvalidSchema, ex.Code);
    }

    [Fact]
    public void Stream_operations_unsupported_by_test_driver_abort_cleanly()
    {
        using var conn = TestDriver.Open();
        using var pool = conn.LookupStoragePoolByName("default-pool")!;
        var volName = TestDriver.UniqueName("vol") + ".img";
        using var vol = pool.CreateVolume(VolumeXml(volName, 1024 * 1024));

        var upload = Assert.Throws<LibvirtUnsupportedException>(() => vol.Upload(new MemoryStream(new byte[16]), 0, 16));
        Assert.Contains("virStorageVolUpload", upload.Message, StringComparison.Ordinal);
        var download = Assert.Throws<LibvirtUnsupportedException>(() => vol.Download(new MemoryStream()));
        Assert.Contains("virStorageVolDownload", download.Message, StringComparison.Ordinal);
        var resize = Assert.Throws<LibvirtUnsupportedException>(() => vol.Resize(2 * 1024 * 1024));
        Assert.Contains("virStorageVolResize", resize.Message, StringComparison.Ordinal);

        // The connection is still fine afterwards.
        Assert.Equal(1024ul * 1024, vol.GetInfo().CapacityBytes);
        vol.Delete();
    }
}

/// <summary>Volume data paths against a real (private, unprivileged) libvirtd.</summary>
[Collection(SessionDaemonCollection.Name)]
public class StorageDaemonTests(SessionDaemonFixture fixture)
{
    [SessionDaemonFact]
    public void Upload_resize_download_round_trip_on_a_dir_pool()
    {
        var daemon = fixture.Daemon;
        using var conn = LibvirtConnection.Open(daemon.Uri);
        var poolName = TestDriver.UniqueName("pool");
        var poolDir = Path.Combine(daemon.PoolDir, poolName);
        using var pool = conn.DefineStoragePool(StorageTests.PoolXml(poolName, poolDir));
        try
        {
            pool.Build();
            Assert.True(Directory.Exists(poolDir));
            pool.Create();

            const ulong mib = 1024 * 1024;
            using var vol = pool.CreateVolume(StorageTests.VolumeXml("data.img", 2 * mib));
            Assert.Equal(Path.Combine(poolDir, "data.img"), vol.Path);

            // More than one stream chunk, not a multiple of it.
            var payload = new byte[(int)mib + 12345];
            new Random(42).NextBytes(payload);
            vol.Upload(new MemoryStream(payload), 4096, (ulong)payload.Length);

            var onDisk = File.ReadAllBytes(vol.Path);
            Assert.Equal(payload, onDisk.AsSpan(4096, payload.Length).ToArray());
            Assert.All(onDisk.AsSpan(0, 4096).ToArray(), b => Assert.Equal(0, b));

            using (var back = new MemoryStream())
            {
                var n = vol.Download(back, 4096, (ulong)payload.Length);
                Assert.Equal((ulong)payload.Length, n);
                Assert.Equal(payload, back.ToArray());
            }

            vol.Resize(3 * mib);
            Assert.Equal(3 * mib, vol.GetInfo().CapacityBytes);
            Assert.Contains($"<capacity unit='bytes'>{3 * mib}</capacity>", vol.GetXmlDesc());
            Assert.Equal((long)(3 * mib), new FileInfo(vol.Path).Length);

            using (var whole = new MemoryStream())
            {
                Assert.Equal(3 * mib, vol.Download(whole));
            }

            // Shrinking needs the flag.
            Assert.Throws<LibvirtInvalidArgumentException>(() => vol.Resize(2 * mib));
            vol.Resize(2 * mib, StorageVolumeResizeFlags.Shrink);
            Assert.Equal(2 * mib, vol.GetInfo().CapacityBytes);

            // A source shorter than announced aborts the stream; the volume and connection stay usable.
            Assert.Throws<EndOfStreamException>(() => vol.Upload(new MemoryStream(new byte[10]), 0, 100));
            Assert.True(conn.IsAlive);
            vol.Upload(new MemoryStream(new byte[] { 1, 2, 3 }), 0, 3);
            Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(vol.Path).AsSpan(0, 3).ToArray());

            vol.Delete();
            Assert.False(File.Exists(Path.Combine(poolDir, "data.img")));
        }
        finally
        {
            if (pool.IsActive)
            {
                pool.Destroy();
            }

            pool.Undefine();
        }
    }
}
