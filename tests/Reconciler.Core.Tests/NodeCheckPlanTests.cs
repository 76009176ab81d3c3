using Reconciler.Core.Diagnostics;
using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using static Reconciler.Core.Tests.NodeChecksTests;
using static Reconciler.Core.Tests.Specs;

namespace Reconciler.Core.Tests;

/// <summary>How the planner and placement use the node checks: refusals, warnings, skip notes, excluded candidates.</summary>
public sealed class NodeCheckPlanTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "hardware", name));

    /// <summary>TCG on q35 (the specs here use q35), where qemu64 is usable and some models are not.</summary>
    private static readonly DomainCapabilities Tcg = NodeHardwareXml.ParseDomain(Data("qemu-system-domcaps-qemu-q35.xml"));

    private static Plan Compute(SpecSet set, params LiveNode[] nodes) => Planner.Compute(set, nodes, new PlanOptions());

    private static DomainSpec Cpu(string name, string model, PowerState state = PowerState.Running) =>
        Domain(name, d => d with { Cpu = new CpuSpec("custom", model), State = state });

    [Fact]
    public void A_refused_domain_is_an_error_naming_domain_node_and_reason_and_the_others_are_still_planned()
    {
        var plan = Compute(Set(Cpu("bad", "NoSuchCpuModel9000"), Cpu("good", "qemu64"), Domain("plain")), NodeWith("qemu", Tcg));
        Assert.Equal(["good", "plain"], plan.Changes.Select(c => c.Name).Order(StringComparer.Ordinal));
        var error = Assert.Single(plan.Diagnostics, d => d.Severity == Severity.Error);
        Assert.Equal(Planner.CheckRefusedCode, error.Code);
        Assert.Contains("domain 'bad' is refused on node 'hv1': cpu-model: CPU model NoSuchCpuModel9000 is not known", error.Message);
        Assert.Equal("spec.cpu.model", error.FieldPath);
        Assert.Equal(new ResourceRef(ResourceKind.Domain, "bad", "hv1"), error.Resource);
        Assert.True(plan.HasErrors);
        // The passed check is shown with the change.
        var good = Assert.IsType<DomainCreate>(plan.Changes.Single(c => c.Name == "good"));
        Assert.Equal(("cpu-model", CheckOutcome.Passed), (good.Checks.Single().Check, good.Checks.Single().Outcome));
        Assert.Empty(Assert.IsType<DomainCreate>(plan.Changes.Single(c => c.Name == "plain")).Checks);
    }

    [Fact]
    public void A_stopped_domain_with_a_model_the_host_cannot_run_is_defined_with_a_warning()
    {
        var unusable = Tcg.CustomModels!.First(m => m.Value == "no").Key;
        var plan = Compute(Set(Cpu("later", unusable, PowerState.Stopped)), NodeWith("qemu", Tcg));
        Assert.Equal("later", Assert.Single(plan.Changes).Name);
        var warning = Assert.Single(plan.Diagnostics);
        Assert.Equal((Severity.Warning, Planner.CheckWarningCode), (warning.Severity, warning.Code));
        Assert.Contains($"CPU model {unusable} is known but cannot run", warning.Message);
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void A_check_the_driver_cannot_answer_is_a_note_and_the_domain_is_planned()
    {
        var plan = Compute(Set(Cpu("web", "qemu64")), NodeWith("test", null));
        var change = Assert.IsType<DomainCreate>(Assert.Single(plan.Changes));
        Assert.Equal(CheckOutcome.Skipped, Assert.Single(change.Checks).Outcome);
        var note = Assert.Single(plan.Diagnostics);
        Assert.Equal((Severity.Note, Planner.CheckSkippedCode), (note.Severity, note.Code));
        Assert.Contains("domain 'web' on node 'hv1': cpu-model check skipped: CPU model qemu64 not checked: the node's driver does not support virConnectGetDomainCapabilities", note.Message);
        Assert.StartsWith("vms.yaml", note.ToString(), StringComparison.Ordinal);
        Assert.Contains("note: spec.cpu.model:", note.ToString());
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void A_node_whose_hardware_was_not_read_skips_with_a_note_rather_than_silently()
    {
        var plan = Compute(Set(Cpu("web", "qemu64")), Node());
        var note = Assert.Single(plan.Diagnostics);
        Assert.Equal(Severity.Note, note.Severity);
        Assert.Contains("were not read", note.Message);
    }

    [Fact]
    public void An_update_or_start_is_checked_too_and_a_refusal_leaves_the_domain_untouched()
    {
        var before = Cpu("db", "qemu64", PowerState.Stopped);
        var after = Cpu("db", "NoSuchCpuModel9000");
        var plan = Compute(Set(after), NodeWith("qemu", Tcg) with { Domains = [Live(before, LiveRunState.Stopped)] });
        Assert.Empty(plan.Changes);
        Assert.Equal(Planner.CheckRefusedCode, Assert.Single(plan.Diagnostics).Code);
    }

    [Fact]
    public void An_unchanged_domain_is_not_checked()
    {
        var spec = Cpu("db", "NoSuchCpuModel9000");
        var plan = Compute(Set(spec), NodeWith("qemu", Tcg) with { Domains = [Live(spec)] });
        Assert.True(plan.IsEmpty);
        Assert.Empty(plan.Diagnostics);
    }

    private static NodeSpec NodeSpecOf(string name) =>
        new(new ResourceMeta(name, new Dictionary<string, string>(), SpecOrigin.InMemory("nodes.yaml")), $"qemu+tcp://{name}/system");

    private static LiveNode Candidate(string name, DomainCapabilities? caps, ulong memory) =>
        NodeWith("qemu", caps, name: name) with { Uri = $"qemu+tcp://{name}/system", Capacity = new NodeCapacity(8, memory, null) };

    [Fact]
    public void Placement_skips_a_node_that_fails_a_check_and_its_line_names_the_check()
    {
        var noSecure = Tcg with { Firmware = Tcg.Firmware! with { SecureBoot = false } };
        var spec = Domain("win", d => d with
        {
            Firmware = Firmware.Uefi, SecureBoot = true,
            Placement = new PlacementSpec(new Dictionary<string, string>()),
        });
        // a has more memory but no Secure Boot firmware.
        var set = new SpecSet(Source, "rev1", [NodeSpecOf("a"), NodeSpecOf("b")], [spec]);
        var plan = Planner.Compute(set, [Candidate("a", noSecure, 64UL << 30), Candidate("b", Tcg, 8UL << 30)], new PlanOptions());
        var change = Assert.IsType<DomainCreate>(Assert.Single(plan.Changes));
        Assert.Equal("b", change.Node);
        Assert.Contains("1 of 2 nodes fit", change.Placement);
        Assert.Contains("excluded by node checks: a (secure-boot: the node offers no Secure Boot firmware", change.Placement);
        Assert.False(plan.HasErrors);
    }

    [Fact]
    public void When_every_node_fails_a_check_the_placement_error_names_the_check_per_node()
    {
        var spec = Domain("x", d => d with { Cpu = new CpuSpec("custom", "NoSuchCpuModel9000"), Placement = new PlacementSpec(new Dictionary<string, string>()) });
        var set = new SpecSet(Source, "rev1", [NodeSpecOf("a"), NodeSpecOf("b")], [spec]);
        var plan = Planner.Compute(set, [Candidate("a", Tcg, 8UL << 30), Candidate("b", Tcg, 8UL << 30)], new PlanOptions());
        Assert.Empty(plan.Changes);
        var error = Assert.Single(plan.Diagnostics);
        Assert.Equal(Placement.InfeasibleCode, error.Code);
        Assert.Contains("check cpu-model excludes a (CPU model NoSuchCpuModel9000 is not known", error.Message);
        Assert.Contains(", b (CPU model NoSuchCpuModel9000", error.Message);
    }

    [Fact]
    public void A_node_whose_driver_cannot_answer_stays_a_candidate()
    {
        var spec = Domain("x", d => d with { Cpu = new CpuSpec("custom", "qemu64"), Placement = new PlacementSpec(new Dictionary<string, string>()) });
        var set = new SpecSet(Source, "rev1", [NodeSpecOf("a")], [spec]);
        var plan = Planner.Compute(set, [Candidate("a", null, 8UL << 30)], new PlanOptions());
        Assert.Equal("a", Assert.Single(plan.Changes).Node);
        Assert.Equal(Severity.Note, Assert.Single(plan.Diagnostics).Severity);
    }
}
