using System.Net;
using Reconciler.Libvirt;

namespace Reconciler.Host.Tests;

/// <summary>The controller over a watched directory, on the real libvirtd.</summary>
public sealed class DirectoryControllerTests : IDisposable
{
    private readonly TempDir _dir = new("dir");

    public DirectoryControllerTests() => RealLibvirt.Cleanup();

    public void Dispose()
    {
        RealLibvirt.Cleanup();
        _dir.Dispose();
    }

    [Fact]
    public async Task A_new_spec_is_applied_and_drift_is_put_back_through_libvirt_events()
    {
        var name = RealLibvirt.Prefix + "dir";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        await using var controller = await Controller.StartAsync(_dir.Path, ("Interval", "10m"));
        var ready = await controller.WaitAsync(s => s.Ready, "first sync");
        Assert.Equal(HttpStatusCode.OK, (await controller.GetAsync("/readyz")).Code);
        Assert.Equal(HttpStatusCode.OK, (await controller.GetAsync("/healthz")).Code);
        Assert.Empty(ready.Resources);

        // A file appears: the debounced file event triggers a pass, not the 10-minute resync.
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name));
        var applied = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" } r && r.LastAppliedRevision is not null, "domain applied");
        var domain = RealLibvirt.Domain(name);
        Assert.True(domain.Running);
        var revision = applied.Source.AppliedRevision!;
        Assert.Equal(revision, controller.Resource(applied, name)!.LastAppliedRevision);
        Assert.Contains($"revision=\"{revision}\"", domain.Xml);   // the applied revision is recorded in the domain

        // Stopped behind our back: the lifecycle event brings it back long before any resync.
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            d.Destroy();
        }
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).Running, "drift (stopped) corrected");

        // The definition edited behind our back (`virsh edit` redefines it: libvirt's DEFINED event),
        // memory 64 → 96 MiB: the definition is put back. (A `setmaxmem --config` sends no event at
        // all — checked with `virsh event --all` on libvirt 9.0 — and is found by the periodic resync
        // instead; before this test redefined, it passed only when the pass that the domain's own
        // restart started happened to read after the change.)
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            var edited = d.GetXmlDesc(DomainXmlFlags.Inactive)
                .Replace("<memory unit='KiB'>65536</memory>", "<memory unit='KiB'>98304</memory>", StringComparison.Ordinal)
                .Replace("<currentMemory unit='KiB'>65536</currentMemory>", "<currentMemory unit='KiB'>98304</currentMemory>", StringComparison.Ordinal);
            Assert.Contains("98304", edited, StringComparison.Ordinal);
            using var redefined = conn.DefineDomain(edited);
        }
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).MemoryKiB == 64 * 1024, "drift (memory) corrected");

        var metrics = (await controller.GetAsync("/metrics")).Body;
        Assert.Contains("# TYPE reconciler_reconcile_duration_seconds histogram", metrics);
        Assert.Matches(@"reconciler_drift_corrections_total [1-9]", metrics);
        Assert.Matches(@"reconciler_reconcile_total\{result=""success""\} [1-9]", metrics);
        Assert.Contains("reconciler_resources{condition=\"Ready\"} 1", metrics);
        Assert.Contains(controller.Logs.Lines, l => l.Contains($"revision={revision}", StringComparison.Ordinal) && l.Contains(name, StringComparison.Ordinal));

        // `reconcile status` prints it as a table.
        var status = await Cli.RunAsync("status", "--endpoint", controller.BaseAddress.ToString());
        Assert.True(status.Code == 0, status.Err);
        Assert.Matches($@"local\s+Domain\s+{name}\s+Ready\s+", status.Out);
        var json = await Cli.RunAsync("status", "--endpoint", controller.BaseAddress.ToString(), "--output", "json");
        Assert.Equal(name, StatusDocument.Parse(json.Out)!.Resources.Single().Name);
    }

    [Fact]
    public async Task Report_mode_reports_drift_and_changes_nothing()
    {
        var name = RealLibvirt.Prefix + "report";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name));
        await using var controller = await Controller.StartAsync(_dir.Path, ("Drift", "report"));
        await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "created (a new spec is applied in report mode too)");
        Assert.True(RealLibvirt.Domain(name).Running);

        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            d.Destroy();
        }
        var drifted = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Drifted" }, "drift reported");
        var r = controller.Resource(drifted, name)!;
        Assert.Equal("DriftDetected", r.Reason);
        Assert.True(r.Drifted);
        Assert.Contains("spec.state", r.Message);
        Assert.False(RealLibvirt.Domain(name).Running);
        Assert.Matches(@"reconciler_drift_detected_total [1-9]", (await controller.GetAsync("/metrics")).Body);
    }

    [Fact]
    public async Task Report_mode_after_a_restart_still_tells_drift_from_a_spec_change()
    {
        var name = RealLibvirt.Prefix + "report-restart";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name));
        await using (var first = await Controller.StartAsync(_dir.Path, ("Drift", "report")))
        {
            await first.WaitAsync(s => first.Resource(s, name) is { State: "Ready" }, "created");
        }
        Assert.True(RealLibvirt.Domain(name).Running);
        Assert.Contains("state=\"running\"", RealLibvirt.Domain(name).Xml);   // the applied power state is in the metadata

        // Stopped by hand while no controller runs: a fresh controller has no memory of the last
        // sync, only the domain's metadata, and must still see drift, not a spec change.
        Stop(name);
        await using (var second = await Controller.StartAsync(_dir.Path, ("Drift", "report")))
        {
            var drifted = await second.WaitAsync(s => second.Resource(s, name) is { State: "Drifted" or "Ready" }, "first pass after the restart");
            Assert.Equal("Drifted", second.Resource(drifted, name)!.State);
            Assert.Contains("spec.state", second.Resource(drifted, name)!.Message);
            await Task.Delay(1500);   // a correcting controller would have started it by now
            Assert.False(RealLibvirt.Domain(name).Running);

            // A spec change is still applied in report mode: started by hand, then stopped by the spec.
            using (var conn = RealLibvirt.Connect())
            using (var d = conn.LookupDomainByName(name)!)
            {
                d.Create();
            }
            await second.WaitAsync(s => second.Resource(s, name) is { State: "Ready" }, "in sync again after the hand start");
            _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name, state: "stopped"));
            await Eventually.TrueAsync(() => !RealLibvirt.Domain(name).Running, "the spec's stop applied");
            await second.WaitAsync(s => second.Resource(s, name) is { State: "Ready" }, "ready after the stop");
        }
        // The stop step redefined nothing, yet recorded the new desired state in the metadata.
        Assert.Contains("state=\"stopped\"", RealLibvirt.Domain(name).Xml);

        // Started by hand while no controller runs: reported after the restart, not stopped.
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            d.Create();
        }
        await using (var third = await Controller.StartAsync(_dir.Path, ("Drift", "report")))
        {
            var drifted = await third.WaitAsync(s => third.Resource(s, name) is { State: "Drifted" or "Ready" }, "first pass after the second restart");
            Assert.Equal("Drifted", third.Resource(drifted, name)!.State);
            await Task.Delay(1500);
            Assert.True(RealLibvirt.Domain(name).Running);
        }
    }

    private static void Stop(string name)
    {
        using var conn = RealLibvirt.Connect();
        using var d = conn.LookupDomainByName(name)!;
        d.Destroy();
    }

    [Fact]
    public async Task A_domain_label_chooses_report_mode_under_a_correcting_controller()
    {
        var name = RealLibvirt.Prefix + "label";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name, labels: "{reconciler.dev/drift: report}"));
        await using var controller = await Controller.StartAsync(_dir.Path);
        await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "created");
        using (var conn = RealLibvirt.Connect())
        using (var d = conn.LookupDomainByName(name)!)
        {
            d.Destroy();
        }
        await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Drifted" }, "drift reported");
        Assert.False(RealLibvirt.Domain(name).Running);
    }

    [Fact]
    public async Task An_invalid_spec_is_rejected_whole_and_the_last_good_revision_stays_in_force()
    {
        var name = RealLibvirt.Prefix + "invalid";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name, state: "stopped"));
        await using var controller = await Controller.StartAsync(_dir.Path);
        var good = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Ready" }, "applied");
        var goodRevision = good.Source.AppliedRevision;

        // One valid change and one invalid file in the same revision: nothing of it applies.
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name, memory: "128MiB", state: "stopped"));
        _dir.Write("broken.yaml", RealLibvirt.DomainYaml(RealLibvirt.Prefix + "broken").Replace("vcpus: 1", "vcpus: many", StringComparison.Ordinal));
        var rejected = await controller.WaitAsync(s => s.Source.Condition.Reason == "InvalidSpec", "revision rejected");
        Assert.Equal(goodRevision, rejected.Source.AppliedRevision);
        Assert.Contains(rejected.Source.RejectedBecause, d => d.Contains("broken.yaml", StringComparison.Ordinal) && d.Contains("spec.vcpus", StringComparison.Ordinal));
        Assert.Contains("stays in force", rejected.Source.Condition.Message);
        Assert.Equal(64UL * 1024, RealLibvirt.Domain(name).MemoryKiB);
        Assert.False(RealLibvirt.Domain(RealLibvirt.Prefix + "broken").Exists);
        var table = await Cli.RunAsync("status", "-e", controller.BaseAddress.ToString());
        Assert.Contains("InvalidSpec", table.Out);

        // Fixed: the new revision applies.
        File.Delete(Path.Combine(_dir.Path, "broken.yaml"));
        await controller.WaitAsync(s => s.Source.Condition.Reason == "Fetched" && s.Source.AppliedRevision != goodRevision, "fixed revision in force");
        await Eventually.TrueAsync(() => RealLibvirt.Domain(name).MemoryKiB == 128 * 1024, "new memory applied");
    }

    [Fact]
    public async Task Suspended_it_plans_and_reports_but_changes_nothing()
    {
        var name = RealLibvirt.Prefix + "suspend";
        _dir.Write("node.yaml", RealLibvirt.NodeYaml);
        _dir.Write("vm.yaml", RealLibvirt.DomainYaml(name));
        await using var controller = await Controller.StartAsync(_dir.Path, ("Suspend", "true"));
        var s = await controller.WaitAsync(s => controller.Resource(s, name) is { State: "Suspended" }, "suspended");
        Assert.True(s.Suspended);
        Assert.Contains("create", controller.Resource(s, name)!.Message);
        Assert.False(RealLibvirt.Domain(name).Exists);
        Assert.Contains("reconciler_suspended 1", (await controller.GetAsync("/metrics")).Body);
    }

    [Fact]
    public async Task Bad_configuration_is_refused_at_start_with_every_problem_and_exit_code_78()
    {
        var e = Assert.Throws<InvalidSettingsException>(() => ControllerHost.Create(new Dictionary<string, string?>
        {
            ["Reconciler:Source"] = Path.Combine(_dir.Path, "missing"),
            ["Reconciler:Interval"] = "soon",
            ["Reconciler:Drift"] = "fix",
            ["Reconciler:Listen"] = "everywhere",
        }));
        Assert.Equal(4, e.Errors.Count);
        var cli = await Cli.RunAsync("run", "--source", Path.Combine(_dir.Path, "missing"), "--interval", "0s");
        Assert.Equal(78, cli.Code);
        Assert.Contains("Interval", cli.Err);
        Assert.Contains("does not exist", cli.Err);
        Assert.DoesNotContain("   at ", cli.Err);   // no stack trace
    }
}
