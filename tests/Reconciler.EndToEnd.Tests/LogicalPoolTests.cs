using System.Text;
using Reconciler.Core.Model;
using Reconciler.Engine.Nodes;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// A logical (LVM) pool on the real libvirtd, on a loop device over a 96 MiB file that the test
/// attaches and detaches itself (losetup; needs root): built with vgcreate because the spec says
/// build: true, started, its ownership recorded in the node secret that holds a logical pool's
/// ledger, a second plan empty; removed from the specs it is stopped and undefined while the
/// volume group stays, and its ledger secret goes. Volumes: where the kernel has device-mapper,
/// they are created, grown, and kept or deleted by deletionPolicy with an empty plan after each
/// step; where it has not (this CI machine's kernel has no device-mapper, so lvcreate cannot
/// activate an LV), the volume is refused with lvcreate's own reason, nothing of it is recorded,
/// and the plan still wants it. Everything is named pools-lvm-* and removed afterwards.
/// </summary>
public sealed class LogicalPoolTests : IDisposable
{
    private const string P = "pools-lvm-";
    private const string Vg = P + "vg";
    private readonly SpecDir _dir = new();
    private readonly string _image = Path.Combine(Path.GetTempPath(), $"{P}{Guid.NewGuid():N}.img");
    private readonly string _loop;

    public LogicalPoolTests()
    {
        Cleanup();
        using (var f = new FileStream(_image, FileMode.CreateNew)) f.SetLength(96L << 20);
        var (code, stdout, stderr) = Programs.Run("losetup", "--find", "--show", _image);
        if (code != 0) throw new InvalidOperationException("losetup failed (the end-to-end tests run as root): " + stderr);
        _loop = stdout.Trim();
    }

    public void Dispose()
    {
        Cleanup();
        Programs.Run("vgremove", "-f", Vg);
        Programs.Run("pvremove", "-f", _loop);
        Programs.Run("losetup", "--detach", _loop);
        File.Delete(_image);
        _dir.Dispose();
    }

    private static void Cleanup()
    {
        RealLibvirt.CleanupPools(P);
        using var conn = RealLibvirt.Connect();
        using var secret = conn.LookupSecretByUuid(LedgerStore.SecretUuid(Vg));
        secret?.Undefine();
    }

    private static bool DeviceMapper => File.Exists("/sys/class/misc/device-mapper/dev");

    private string Spec(string volumes = "", bool pool = true) => RealLibvirt.NodeSpec() + (pool ? $$"""

        ---
        apiVersion: reconciler/v1
        kind: StoragePool
        metadata: {name: {{Vg}}}
        spec: {type: logical, devices: [{{_loop}}], build: true}
        """ : "") + volumes + "\n";

    private static string Volume(string name, string size, string policy) => $$"""

        ---
        apiVersion: reconciler/v1
        kind: Volume
        metadata: {name: {{P}}{{name}}}
        spec: {pool: {{Vg}}, size: {{size}}, format: raw, deletionPolicy: {{policy}}}
        """;

    private Task<Cli.Result> Apply(string yaml) => Cli.ApplyAsync(_dir, yaml);

    private Task AssertNoChanges() => Cli.AssertNoChangesAsync(_dir);

    private static StorageLedger? Ledger()
    {
        using var conn = RealLibvirt.Connect();
        using var secret = conn.LookupSecretByUuid(LedgerStore.SecretUuid(Vg));
        return secret is null ? null : LedgerStore.Deserialize(Encoding.UTF8.GetString(secret.GetValue()));
    }

    private static List<string> LogicalVolumes()
    {
        var (code, stdout, stderr) = Programs.Run("lvs", "--noheadings", "-o", "lv_name", Vg);
        Assert.True(code == 0, "lvs: " + stderr);
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Order(StringComparer.Ordinal).ToList();
    }

    [Fact]
    public async Task A_logical_pool_is_built_on_a_loop_device_owned_through_its_node_secret_and_kept_as_a_volume_group_when_removed()
    {
        var first = await Apply(Spec());
        Assert.True(first.ExitCode == 0, first.ToString());
        using (var conn = RealLibvirt.Connect())
        using (var pool = conn.LookupStoragePoolByName(Vg)!)
        {
            Assert.True(pool.IsActive);
            var xml = pool.GetXmlDesc(inactive: true);
            Assert.Equal("logical", Rendering.StorageXml.ParsePool(xml).Type);
            Assert.Equal([_loop], Rendering.StorageXml.ParsePoolSource(xml)!.Devices);
            Assert.True(pool.GetInfo().CapacityBytes >= 88UL << 20, "vgcreate made a volume group of the loop device");
            Assert.DoesNotContain(pool.ListAllVolumes(), v => { using (v) return v.Name == StorageLedger.VolumeName; });
        }
        var (vgs, vgOut, _) = Programs.Run("vgs", "--noheadings", "-o", "pv_name", Vg);
        Assert.True(vgs == 0 && vgOut.Trim() == _loop, "the volume group is on the loop device: " + vgOut);
        var ledger = Ledger();
        Assert.NotNull(ledger);
        Assert.Equal((Vg, _dir.Path), (ledger!.Pool!.SpecName, ledger.Pool.Source));
        await AssertNoChanges();

        if (DeviceMapper)
        {
            await VolumesAreCreatedGrownAndKeptByPolicy();
        }
        else
        {
            // No device-mapper in this kernel: lvcreate cannot make an LV, and nothing of the volume stays.
            var refused = await Apply(Spec(Volume("a", "16MiB", "Delete")));
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains($"volume {P}a", refused.All(), StringComparison.Ordinal);
            Assert.Contains("lvcreate", refused.All(), StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", refused.All(), StringComparison.Ordinal); // no stack trace
            Assert.Empty(LogicalVolumes());
            Assert.Empty(Ledger()!.Volumes);
            var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 2 && plan.Out.Contains(P + "a", StringComparison.Ordinal), plan.ToString());
        }

        // Out of the specs: stopped and undefined; the volume group stays, the ledger secret (nothing left to record) goes.
        var gone = await Apply(Spec(pool: false));
        Assert.True(gone.ExitCode == 0, gone.ToString());
        using (var conn = RealLibvirt.Connect())
        {
            Assert.Null(conn.LookupStoragePoolByName(Vg));
        }
        Assert.Equal(0, Programs.Run("vgs", Vg).Code);
        if (!DeviceMapper) Assert.Null(Ledger());
        await AssertNoChanges();
    }

    private async Task VolumesAreCreatedGrownAndKeptByPolicy()
    {
        var created = await Apply(Spec(Volume("del", "8MiB", "Delete") + Volume("keep", "8MiB", "Retain")));
        Assert.True(created.ExitCode == 0, created.ToString());
        Assert.Equal([P + "del", P + "keep"], LogicalVolumes());
        Assert.Equal(2, Ledger()!.Volumes.Count);
        await AssertNoChanges();

        var grown = await Apply(Spec(Volume("del", "8MiB", "Delete") + Volume("keep", "16MiB", "Retain")));
        Assert.True(grown.ExitCode == 0, grown.ToString());
        using (var conn = RealLibvirt.Connect())
        using (var pool = conn.LookupStoragePoolByName(Vg)!)
        using (var keep = pool.LookupVolumeByName(P + "keep")!)
        {
            Assert.Equal(16UL << 20, keep.GetInfo().CapacityBytes);
        }
        await AssertNoChanges();

        var removed = await Apply(Spec());
        Assert.True(removed.ExitCode == 0, removed.ToString());
        Assert.Equal([P + "keep"], LogicalVolumes());
        Assert.True(Ledger()!.Volumes[P + "keep"].Released);
        await AssertNoChanges();
    }
}
