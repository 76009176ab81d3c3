using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

public sealed class DisruptionTests
{
    private static readonly DateTimeOffset Saturday3am = new(2026, 11, 28, 3, 0, 0, TimeSpan.Zero);

    private static ResourceChange Change(DomainSpec live, DomainSpec desired, int freeSlots = 0, LiveRunState state = LiveRunState.Running, PlanOptions? options = null)
    {
        var domain = Live(live, state) with { };
        domain = domain with { FreeHotplugSlots = freeSlots };
        return Assert.Single(Planner.Compute(Set(desired), [Node(domain)], options ?? new PlanOptions()).Changes);
    }

    /// <summary>True when the change is an update after which the domain is restarted.</summary>
    private static bool Restarts(ResourceChange change) => change is DomainUpdate { Restart: true };

    private static Disruption Of(ResourceChange change, string path) => change.Fields.Single(f => f.Path == path).Disruption;

    [Fact]
    public void Vcpus_up_to_the_maximum_are_live_and_down_or_beyond_wait_for_the_next_boot()
    {
        var live = Domain("d", d => d with { Vcpus = 2, MaxVcpus = 4 });
        Assert.Equal(Disruption.Live, Of(Change(live, live with { Vcpus = 4 }), "spec.vcpus"));
        Assert.Equal(Disruption.NextBoot, Of(Change(live, live with { Vcpus = 1 }), "spec.vcpus"));
        Assert.Equal(Disruption.NextBoot, Of(Change(live, live with { Vcpus = 6, MaxVcpus = 8 }), "spec.vcpus"));
    }

    [Fact]
    public void Metadata_is_none_and_architecture_is_replace()
    {
        var live = Domain("d");
        var change = Change(live, live with { Description = "new", Arch = "aarch64" });
        Assert.Equal(Disruption.None, Of(change, "spec.description"));
        Assert.Equal(Disruption.Replace, Of(change, "spec.arch"));
        Assert.Equal(Disruption.Replace, change.Disruption);
    }

    [Fact]
    public void Attaching_a_virtio_disk_is_live_only_while_a_hotplug_slot_is_free()
    {
        var live = Domain("d");
        var desired = live with { Disks = [new DiskSpec("/a.qcow2", null, null, DiskDevice.Disk, "virtio", "qcow2", false, null)] };
        Assert.All(Change(live, desired, freeSlots: 1).Fields, f => Assert.Equal(Disruption.Live, f.Disruption));
        Assert.All(Change(live, desired, freeSlots: 0).Fields, f => Assert.Equal(Disruption.NextBoot, f.Disruption));

        var two = live with { Disks = [desired.Disks[0], desired.Disks[0] with { Path = "/b.qcow2" }] };
        var change = Change(live, two, freeSlots: 1);
        Assert.Equal(Disruption.Live, Of(change, "spec.disks[0].path"));
        Assert.Equal(Disruption.NextBoot, Of(change, "spec.disks[1].path"));    // the one slot went to the first
    }

    [Fact]
    public void A_sata_disk_cannot_be_hot_plugged_but_new_cdrom_media_can()
    {
        var live = Domain("d", d => d with { Disks = [new DiskSpec("/a.iso", null, null, DiskDevice.Cdrom, "sata", "raw", true, "sda")] });
        Assert.Equal(Disruption.Live, Of(Change(live, live with { Disks = [live.Disks[0] with { Path = "/b.iso" }] }, freeSlots: 5), "spec.disks[0].path"));
        var sata = live with { Disks = [.. live.Disks, new DiskSpec("/c.img", null, null, DiskDevice.Disk, "sata", "raw", false, null)] };
        Assert.Equal(Disruption.NextBoot, Of(Change(live, sata, freeSlots: 5), "spec.disks[1].path"));
    }

    [Fact]
    public void Restart_auto_turns_next_boot_into_restart_and_marks_the_change()
    {
        var live = Domain("d", d => d with { Machine = "pc" });
        var never = Change(live, live with { Machine = "q35" });
        Assert.Equal(Disruption.NextBoot, never.Disruption);
        Assert.False(Restarts(never));
        var auto = Change(live, live with { Machine = "q35", UpdatePolicy = new UpdatePolicy(RestartPolicy.Auto) });
        Assert.Equal(Disruption.Restart, auto.Disruption);
        Assert.True(Restarts(auto));
    }

    [Fact]
    public void Restart_window_allows_the_restart_only_inside_the_window()
    {
        var live = Domain("d", d => d with { Machine = "pc" });
        var desired = live with { Machine = "q35", UpdatePolicy = new UpdatePolicy(RestartPolicy.Window, "Sat 02:00-04:00") };
        Assert.True(Restarts(Change(live, desired, options: new PlanOptions(Now: Saturday3am))));
        Assert.False(Restarts(Change(live, desired, options: new PlanOptions(Now: Saturday3am.AddHours(2)))));
        Assert.False(Restarts(Change(live, desired, options: new PlanOptions())));   // no clock given: closed
    }

    [Fact]
    public void The_gate_refuses_changes_beyond_it_naming_each_field_and_the_policy_overrides_it()
    {
        var live = Domain("d", d => d with { Machine = "pc", MemoryBytes = 1UL << 30, MaxMemoryBytes = 2UL << 30 });
        var desired = live with { Machine = "q35", MemoryBytes = 2UL << 30 };
        var plan = Planner.Compute(Set(desired), [Node(Live(live))], new PlanOptions(MaxDisruption: Disruption.Live));
        var error = Assert.Single(plan.Diagnostics);
        Assert.Equal(Planner.GateCode, error.Code);
        Assert.Contains("spec.machine (next-boot)", error.Message);
        Assert.DoesNotContain("spec.memory", error.Message);

        var optedIn = desired with { UpdatePolicy = new UpdatePolicy(RestartPolicy.Auto) };
        Assert.Empty(Planner.Compute(Set(optedIn), [Node(Live(live))], new PlanOptions(MaxDisruption: Disruption.Live)).Diagnostics);

        var stricter = desired with { UpdatePolicy = new UpdatePolicy(MaxDisruption: Disruption.None) };
        Assert.Single(Planner.Compute(Set(stricter with { Machine = "pc" }), [Node(Live(live))], new PlanOptions()).Diagnostics);
    }

    [Fact]
    public void A_running_instance_behind_its_definition_is_restart_pending_and_memory_alone_is_not()
    {
        var config = Domain("d", d => d with { Machine = "q35" });
        var readBack = Live(config).Config!;
        // The running instance still has the old machine; its memory is the balloon's actual size.
        var running = readBack with { Machine = "pc-i440fx-7.2", MemoryBytes = 32UL << 20, MaxMemoryBytes = readBack.MemoryBytes };
        var live = Live(config) with { Running = running };
        var plan = Planner.Compute(Set(config), [Node(live)], new PlanOptions());
        Assert.True(plan.IsEmpty);
        var pending = Assert.Single(plan.PendingRestarts);
        Assert.Equal(["spec.machine"], pending.Fields.Select(f => f.Path));

        var caughtUp = Live(config) with { Running = Live(config).Config };
        Assert.Empty(Planner.Compute(Set(config), [Node(caughtUp)], new PlanOptions()).PendingRestarts);
    }

    [Theory]
    [InlineData("Sat,Sun 02:00-04:00", "2026-11-28T03:00:00Z", true)]
    [InlineData("Sat,Sun 02:00-04:00", "2026-11-27T03:00:00Z", false)]
    [InlineData("22:00-02:00", "2026-11-25T01:00:00Z", true)]
    [InlineData("Fri 22:00-02:00", "2026-11-28T01:00:00Z", true)]   // Saturday 01:00 belongs to Friday's window
    [InlineData("Fri 22:00-02:00", "2026-11-29T01:00:00Z", false)]
    public void Restart_windows_are_weekly_in_utc_and_may_wrap_midnight(string text, string at, bool open)
    {
        Assert.True(RestartWindow.TryParse(text, out var window, out var error), error);
        Assert.Equal(open, window!.Contains(DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Theory]
    [InlineData("Someday 02:00-03:00", "not a day")]
    [InlineData("25:00-26:00", "not HH:MM-HH:MM")]
    [InlineData("02:00-02:00", "empty")]
    public void Bad_windows_say_why(string text, string reason)
    {
        Assert.False(RestartWindow.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }
}
