using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine.Nodes;

namespace Reconciler.Engine.Tests;

/// <summary>
/// The node read phase reads what the node checks need from libvirt's test driver, which answers
/// some calls (capabilities, free pages) and not others (domain capabilities, CPU comparison):
/// those become reasons the plan shows as skipped checks, never silence.
/// </summary>
public sealed class NodeHardwareReadTests
{
    private const string Specs = """
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: rc-caps-custom}
        spec: {state: stopped, vcpus: 1, memory: 64MiB, cpu: {mode: custom, model: qemu64}, graphics: {type: none}}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: rc-caps-sb}
        spec: {state: stopped, vcpus: 1, memory: 64MiB, firmware: uefi, secureBoot: true, graphics: {type: none}}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: rc-caps-plain}
        spec: {state: stopped, vcpus: 1, memory: 64MiB, graphics: {type: none}}
        """;

    [Fact]
    public void The_test_driver_gives_host_capabilities_and_free_pages_but_no_domain_capabilities_nor_cpu_comparison()
    {
        using var session = NodeSession.Open(new NodeTarget("t", "test:///default"));
        var key = new DomainCapsKey("x86_64", null, "test");
        var compare = new CpuCompareKey(key, "qemu64", "sse2");
        var hw = session.ReadHardware(new HardwareQuery([key], [compare], HugePages: true));

        var host = Assert.IsType<HostCapabilities>(hw.Host.Value);
        Assert.Equal([4UL, 8, 2048, 1048576], host.PageSizesKiB);
        Assert.Equal(2, host.Cells.Count);
        var free = Assert.IsType<FreePageCounts>(hw.FreePages.Value);
        // Every huge size (all but the smallest) on both cells.
        Assert.Equal([(0, 8UL), (0, 2048UL), (0, 1048576UL), (1, 8UL), (1, 2048UL), (1, 1048576UL)], free.Counts.Select(c => (c.Cell, c.PageKiB)));

        Assert.Null(hw.DomainCaps[key].Value);
        Assert.Equal("the node's driver does not support virConnectGetDomainCapabilities", hw.DomainCaps[key].Unavailable);
        Assert.Null(hw.CpuComparisons[compare].Value);
        Assert.Equal("the node's driver does not support virConnectCompareHypervisorCPU", hw.CpuComparisons[compare].Unavailable);
    }

    [Fact]
    public void Host_capabilities_and_free_pages_are_read_only_when_a_domain_needs_them()
    {
        using var session = NodeSession.Open(new NodeTarget("t", "test:///default"));
        var hw = session.ReadHardware(HardwareQuery.None);
        Assert.Null(hw.Host.Value);
        Assert.Equal("no domain uses huge pages", hw.FreePages.Unavailable);
        var numa = session.ReadHardware(HardwareQuery.None with { Host = true });
        Assert.Equal(2, numa.Host.Value!.Cells.Count);
        Assert.Equal("no domain uses huge pages", numa.FreePages.Unavailable);
        Assert.Empty(hw.DomainCaps);
        Assert.Empty(hw.CpuComparisons);
    }

    [Fact]
    public async Task A_sandbox_plan_reads_the_keys_its_domains_need_and_shows_the_skipped_checks_as_notes_in_text_and_json()
    {
        using var dir = new SpecDir().Write("vms.yaml", Specs);
        var text = await Cli.RunAsync("plan", dir.Path, "--detailed-exitcode");
        Assert.True(text.ExitCode == 2, text.ToString());
        Assert.Contains("note: spec.cpu.model: domain 'rc-caps-custom' on node ", (text.Out + text.Err));
        Assert.Contains("cpu-model check skipped: CPU model qemu64 not checked: the node's driver does not support virConnectGetDomainCapabilities [node-check-skipped]", (text.Out + text.Err));
        Assert.Contains("secure-boot check skipped", (text.Out + text.Err));
        Assert.Contains("checked against node sandbox: cpu-model skipped (", text.Out);
        Assert.DoesNotContain("rc-caps-plain' on node", (text.Out + text.Err));

        var json = await Cli.RunAsync("plan", dir.Path, "--output", "json");
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        var notes = doc.RootElement.GetProperty("diagnostics").EnumerateArray().Where(d => d.GetProperty("severity").GetString() == "note").ToList();
        Assert.Equal(2, notes.Count);
        Assert.All(notes, n => Assert.Equal("node-check-skipped", n.GetProperty("code").GetString()));
        var custom = doc.RootElement.GetProperty("changes").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "rc-caps-custom");
        var check = Assert.Single(custom.GetProperty("checks").EnumerateArray());
        Assert.Equal(("cpu-model", "skipped"), (check.GetProperty("check").GetString(), check.GetProperty("outcome").GetString()));
        Assert.Equal(0, doc.RootElement.GetProperty("summary").GetProperty("errors").GetInt32());
    }
}
