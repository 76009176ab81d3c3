using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Apply;

namespace Reconciler.Engine.Tests;

/// <summary>The definition a moved domain gets on the target: its moving volumes' disks (and its cloud-init seed) point at the target pools, nothing else changes.</summary>
public sealed class RepointTests
{
    private static ResourceMeta Meta(string name) => new(name, new Dictionary<string, string>(), SpecOrigin.InMemory("s.yaml"));

    [Fact]
    public void Moving_volumes_and_the_seed_point_at_the_target_pools_other_disks_are_untouched_and_a_saved_plan_keeps_the_move()
    {
        const string xml = """
            <domain type='qemu'><name>vm</name><devices>
              <disk type='volume' device='disk'><source pool='pa' volume='data'/><target dev='vda'/></disk>
              <disk type='volume' device='disk'><source pool='pa' volume='other'/><target dev='vdb'/></disk>
              <disk type='volume' device='disk'><source pool='elsewhere' volume='data'/><target dev='vdc'/></disk>
              <disk type='file' device='disk'><source file='/var/lib/libvirt/images/x.qcow2'/><target dev='vdd'/></disk>
              <disk type='volume' device='cdrom'><source pool='pa' volume='vm-cidata.iso'/><target dev='sda'/><readonly/></disk>
            </devices></domain>
            """;
        var spec = new VolumeSpec(Meta("data"), null, "pb", 1 << 20, VolumeFormat.Qcow2, null, DeletionPolicy.Retain);
        var desired = new DomainSpec(Meta("vm"), "b", PowerState.Running, false, 1, null, 64UL << 20, null, "q35", Firmware.Bios, false,
            new CpuSpec(null), [], [], new GraphicsSpec(GraphicsType.None), [], CloudInit: new CloudInitSpec("", "", null, "vm", "pb", "vm-cidata.iso"));
        var change = new DomainMigrate("b", "vm", "a", "", [], desired, "u", "fp",
            [new VolumeMove("data", "pa", "pb", "qcow2", 1 << 20, DeletionPolicy.Retain, spec)], null);
        var moved = Migration.Repoint(xml, change);

        // A saved plan keeps the move (what apply creates, copies and does to the source copy).
        var file = Path.Combine(Path.GetTempPath(), $"vcopy-{Guid.NewGuid():N}.plan");
        try
        {
            Output.SavedPlan.Write(file, new Plan("/specs", "r", [], [change], [], []));
            var read = Output.SavedPlan.Read(file, out var error);
            Assert.True(read is not null, error);
            var again = Assert.IsType<DomainMigrate>(Assert.Single(read.Changes));
            var move = Assert.Single(again.Volumes);
            Assert.Equal((change.Volumes[0].Name, change.Volumes[0].FromPool, change.Volumes[0].ToPool, change.Volumes[0].Format, change.Volumes[0].CapacityBytes, change.Volumes[0].SourcePolicy),
                (move.Name, move.FromPool, move.ToPool, move.Format, move.CapacityBytes, move.SourcePolicy));
            Assert.Equal(("pb", DeletionPolicy.Retain), (move.Spec.Pool, move.Spec.DeletionPolicy));
            Assert.Equal("a", again.FromNode);
        }
        finally
        {
            File.Delete(file);
        }
        Assert.Contains("<source pool=\"pb\" volume=\"data\" />", moved);
        Assert.Contains("<source pool=\"pa\" volume=\"other\" />", moved);
        Assert.Contains("<source pool=\"elsewhere\" volume=\"data\" />", moved);
        Assert.Contains("<source file=\"/var/lib/libvirt/images/x.qcow2\" />", moved);
        Assert.Contains("<source pool=\"pb\" volume=\"vm-cidata.iso\" />", moved);
    }
}
