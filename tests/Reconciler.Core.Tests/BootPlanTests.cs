using Reconciler.Core.Fields;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>spec.boot, spec.tpm and spec.console through the planner; where TPM and NVRAM state remain when a domain is undefined or replaced.</summary>
public sealed class BootPlanTests
{
    private static readonly FieldPath Kernel = DomainPaths.Spec.Field("boot").Field("kernel");

    private static DomainSpec Booted(string kernel = "/boot/vmlinuz") => Domain("d", d => d with
    {
        Declared = FieldValues.Empty.With(Kernel, kernel),
        Console = new ConsoleSpec("/var/log/d.log"),
        Tpm = new TpmSpec(),
    });

    private static Plan Plan(DomainSpec live, DomainSpec desired, LiveRunState state = LiveRunState.Running) =>
        Planner.Compute(Set(desired), [Node(Live(live, state))], new PlanOptions());

    private static string[] Fields(Plan plan) => Assert.Single(plan.Changes).Fields.Select(f => $"{f.Path} {f.Before ?? "(none)"}→{f.After ?? "(none)"} {f.Disruption}").ToArray();

    [Fact]
    public void The_same_boot_tpm_and_console_are_no_change()
    {
        var d = Booted() with { BootOrder = ["cdrom", "hd"] };
        Assert.Empty(Plan(d, d).Changes);
    }

    [Fact]
    public void Each_change_waits_for_the_next_boot_of_a_running_domain()
    {
        var live = Booted();
        var desired = Booted("/boot/vmlinuz-2") with { Console = new ConsoleSpec("/var/log/d2.log", Append: true), Tpm = new TpmSpec("tis", "1.2"), BootOrder = ["network"] };
        Assert.Equal(
        [
            "spec.boot.order (none)→network NextBoot", "spec.tpm.model crb→tis NextBoot", "spec.tpm.version 2.0→1.2 NextBoot",
            "spec.console.log /var/log/d.log→/var/log/d2.log NextBoot", "spec.console.append false→true NextBoot",
            "spec.boot.kernel /boot/vmlinuz→/boot/vmlinuz-2 NextBoot",
        ], Fields(Plan(live, desired)));
    }

    [Fact]
    public void A_stopped_domain_takes_them_without_disruption() =>
        Assert.All(Assert.Single(Plan(Booted(), Booted("/boot/other"), LiveRunState.Stopped).Changes).Fields, f => Assert.Equal(Disruption.None, f.Disruption));

    [Fact]
    public void Libvirts_default_boot_device_is_not_a_difference_when_the_spec_gives_no_order()
    {
        var live = Domain("d", d => d with { BootOrder = ["hd"] });
        Assert.Empty(Plan(live, Domain("d")).Changes);
    }

    [Fact]
    public void A_tpm_is_owned_adding_and_removing_it_are_changes()
    {
        Assert.Equal(["spec.tpm.model none→crb NextBoot", "spec.tpm.version (none)→2.0 NextBoot"], Fields(Plan(Domain("d"), Domain("d", d => d with { Tpm = new TpmSpec() }))));
        Assert.Equal(["spec.tpm.model crb→none NextBoot"], Fields(Plan(Domain("d", d => d with { Tpm = new TpmSpec() }), Domain("d"))));
    }

    [Fact]
    public void A_console_log_the_spec_does_not_give_is_not_owned() =>
        Assert.Empty(Plan(Domain("d", d => d with { Console = new ConsoleSpec("/var/log/patched.log") }), Domain("d")).Changes);

    [Fact]
    public void A_destroy_says_where_the_tpm_state_and_the_nvram_remain()
    {
        var live = Live(Domain("gone", d => d with { Tpm = new TpmSpec(), Firmware = Firmware.Uefi }));
        var destroy = Assert.IsType<DomainDestroy>(Assert.Single(Planner.Compute(Set(), [Node(live)], new PlanOptions()).Changes));
        Assert.Equal("TPM state kept in /var/lib/libvirt/swtpm/uuid-gone/; NVRAM kept in /var/lib/libvirt/qemu/nvram/gone_VARS.fd", destroy.Kept);
    }

    [Fact]
    public void The_nvram_file_libvirt_recorded_is_the_one_named()
    {
        var live = Live(Domain("gone", d => d with { Firmware = Firmware.Uefi, NvramPath = "/srv/nvram/gone.fd" }));
        Assert.Equal("NVRAM kept in /srv/nvram/gone.fd", KeptState.Of(live));
    }

    [Fact]
    public void A_domain_without_tpm_or_nvram_keeps_nothing_to_mention()
    {
        var destroy = Assert.IsType<DomainDestroy>(Assert.Single(Planner.Compute(Set(), [Node(Live(Domain("gone")))], new PlanOptions()).Changes));
        Assert.Null(destroy.Kept);
    }

    [Fact]
    public void A_replace_says_where_the_state_remains_and_a_next_boot_update_does_not()
    {
        var live = Domain("d", d => d with { Tpm = new TpmSpec() });
        var replace = Assert.IsType<DomainUpdate>(Assert.Single(Plan(live, live with { DomainType = "qemu" }).Changes));
        Assert.Equal(Disruption.Replace, replace.Disruption);
        Assert.Equal("TPM state kept in /var/lib/libvirt/swtpm/uuid-d/", replace.Kept);
        Assert.Null(Assert.IsType<DomainUpdate>(Assert.Single(Plan(live, live with { Vcpus = 2, MaxVcpus = 2 }).Changes)).Kept);
    }

    [Fact]
    public void The_test_driver_keeps_no_state_files_so_none_are_named()
    {
        var live = Live(Domain("t", d => d with { Tpm = new TpmSpec() }));
        Assert.Null(KeptState.Of(live with { Config = live.Config! with { DomainType = "test" } }));
    }

    [Fact]
    public void A_move_says_where_the_tpm_state_stays_and_whether_the_migration_carries_it()
    {
        static LiveNode On(string name, params LiveDomain[] domains) => new(name, $"qemu+tcp://{name}/system", "kvm", domains);
        var spec = Domain("web", d => d with { Node = "b", Tpm = new TpmSpec() });
        var live = Assert.IsType<DomainMigrate>(Assert.Single(Planner.Compute(Set(spec), [On("a", Live(spec with { Node = "a" })), On("b")], new PlanOptions()).Changes));
        Assert.Equal("TPM state copied to b by the live migration", live.Kept);
        var stopped = spec with { State = PowerState.Stopped };
        var cold = Assert.IsType<DomainMigrate>(Assert.Single(Planner.Compute(Set(stopped), [On("a", Live(stopped with { Node = "a" }, LiveRunState.Stopped)), On("b")], new PlanOptions()).Changes));
        Assert.Equal("TPM state kept in /var/lib/libvirt/swtpm/uuid-web/ on a (not copied to b)", cold.Kept);
    }
}
