using Reconciler.Core.Model;
using Reconciler.Core.Planning;
using Reconciler.Engine;
using Reconciler.Engine.Nodes;
using Reconciler.Engine.Reconcile;
using Reconciler.Libvirt;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// The node checks on the real libvirtd: what qemu:///system answers decides, before anything is
/// applied. Domains are defined stopped and never started; every name starts with <c>rc-caps-</c>.
/// </summary>
public sealed class NodeCheckTests
{
    private const string Prefix = "rc-caps-";

    private static string Domain(string name, string spec) => $$"""
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {name: {{Prefix}}{{name}}}
        spec: {state: stopped, vcpus: 1, memory: 64MiB, graphics: {type: none}, {{spec}}}

        """;

    private static bool Defined(string name)
    {
        using var connection = RealLibvirt.Connect();
        using var domain = connection.LookupDomainByName(Prefix + name);
        return domain is not null;
    }

    /// <summary>Runs <paramref name="body"/> on a spec directory with the local node and <paramref name="domains"/>; every <c>rc-caps-</c> domain is removed before and after.</summary>
    private static async Task WithSpecs(string domains, Func<string, Task> body)
    {
        RealLibvirt.Cleanup(Prefix);
        using var specs = new SpecDir().Write("all.yaml", RealLibvirt.NodeSpec() + "\n" + domains);
        try
        {
            await body(specs.Path);
        }
        finally
        {
            RealLibvirt.Cleanup(Prefix);
        }
    }

    [Fact]
    public async Task An_unknown_cpu_model_is_refused_by_plan_and_apply_with_the_model_named_while_a_valid_domain_beside_it_still_plans_and_applies()
    {
        await WithSpecs(Domain("bad", "cpu: {mode: custom, model: NoSuchCpuModel9000}")
            + Domain("good", "domainType: qemu, cpu: {mode: custom, model: qemu64}"), async specs =>
        {
            var plan = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 1, plan.ToString());
            Assert.Contains($"domain '{Prefix}bad' is refused on node 'local': cpu-model: CPU model NoSuchCpuModel9000 is not known to the node", plan.All());
            Assert.Contains("[node-check-refused]", plan.All());
            Assert.Contains($"+ domain {Prefix}good", plan.Out);
            Assert.Contains("checked against node local: cpu-model ok (CPU model qemu64 is usable)", plan.Out);
            Assert.DoesNotContain($"+ domain {Prefix}bad", plan.Out);
            Assert.False(Defined("bad"));

            var apply = await Cli.RunAsync("apply", specs, "--auto-approve");
            Assert.True(apply.ExitCode == 1, apply.ToString());
            Assert.True(Defined("good"), apply.ToString());
            Assert.False(Defined("bad"), apply.ToString());
        });
    }

    [Fact]
    public async Task A_controller_pass_blocks_the_refused_domain_with_the_checks_reason_and_applies_the_other()
    {
        await WithSpecs(Domain("ctl-bad", "cpu: {mode: custom, model: NoSuchCpuModel9000}") + Domain("ctl-good", "domainType: qemu"), async specs =>
        {
            var loaded = Workspace.Load(specs, null, CancellationToken.None);
            Assert.False(loaded.HasErrors, string.Join("\n", loaded.Diagnostics));
            var policy = new PassPolicy(DriftMode.Correct, Suspend: false, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30), Adopt: false, (_, _) => true, (_, _) => null);
            var report = await ReconcilePass.RunAsync(loaded.Specs!, loaded.Nodes, policy, TextWriter.Null, CancellationToken.None);
            var bad = report.Resources.Single(r => r.Name == Prefix + "ctl-bad");
            Assert.Equal((ResourceOutcome.Blocked, "NodeCheckRefused"), (bad.Outcome, bad.Reason));
            Assert.Contains("NoSuchCpuModel9000", bad.Message);
            Assert.False(Defined("ctl-bad"));
            Assert.True(Defined("ctl-good"), string.Join("\n", report.Resources));
        });
    }

    [Fact]
    public async Task A_required_cpu_feature_the_host_cannot_give_is_refused_for_a_running_domain_and_warned_for_a_stopped_one()
    {
        const string Cpu = "domainType: qemu, cpu: {mode: custom, model: qemu64, features: [{name: avx512f, policy: require}]}";
        await WithSpecs(Domain("feat-run", Cpu).Replace("state: stopped", "state: running", StringComparison.Ordinal) + Domain("feat-stop", Cpu), async specs =>
        {
            var plan = await Cli.RunAsync("plan", specs, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 1, plan.ToString());
            Assert.Contains($"domain '{Prefix}feat-run' is refused on node 'local': cpu-features: the host cannot give CPU qemu64 with required features avx512f", plan.All());
            Assert.Contains("avx512f", plan.All());
            Assert.Contains($"warning: spec.cpu.features: domain '{Prefix}feat-stop' on node 'local': cpu-features:", plan.All());
            Assert.Contains($"+ domain {Prefix}feat-stop", plan.Out);
            Assert.DoesNotContain($"+ domain {Prefix}feat-run", plan.Out);
        });
    }

    [Fact]
    public async Task Secure_boot_and_host_passthrough_are_checked_as_the_node_answers()
    {
        DomainCapabilities Caps(string machine, string type)
        {
            using var connection = RealLibvirt.Connect();
            return NodeHardwareXml.ParseDomain(connection.GetDomainCapabilities(null, "x86_64", machine, type));
        }
        var q35 = Caps("q35", "kvm").Firmware!.SecureBoot;
        var pc = Caps("pc", "kvm").Firmware!.SecureBoot;
        var passthroughTcg = Caps("q35", "qemu").HostPassthrough;
        await WithSpecs(Domain("sb-q35", "domainType: kvm, firmware: uefi, secureBoot: true")
            + Domain("sb-pc", "domainType: kvm, machine: pc, firmware: uefi, secureBoot: true")
            + Domain("pt-tcg", "domainType: qemu, cpu: {mode: host-passthrough}"), async specs =>
        {
            var plan = await Cli.RunAsync("plan", specs, "--output", "json");
            using var doc = System.Text.Json.JsonDocument.Parse(plan.Out);
            var planned = doc.RootElement.GetProperty("changes").EnumerateArray().Select(c => c.GetProperty("name").GetString()).ToHashSet();
            var refused = doc.RootElement.GetProperty("diagnostics").EnumerateArray()
                .Where(d => d.GetProperty("code").GetString() == Planner.CheckRefusedCode)
                .Select(d => d.GetProperty("message").GetString()!).ToList();
            void Expect(string name, bool allowed, string check)
            {
                Assert.Equal(allowed, planned.Contains(Prefix + name));
                Assert.Equal(!allowed, refused.Any(m => m.Contains($"domain '{Prefix}{name}' is refused on node 'local': {check}:", StringComparison.Ordinal)));
            }
            Expect("sb-q35", q35, "secure-boot");
            Expect("sb-pc", pc, "secure-boot");
            Expect("pt-tcg", passthroughTcg, "host-passthrough");
            // What this machine answers (OVMF with its Secure Boot builds; TCG cannot pass the host CPU through).
            Assert.True(q35);
            Assert.False(pc);
            Assert.False(passthroughTcg);
        });
    }

    [Fact]
    public void The_node_read_compares_custom_cpus_with_their_required_features_and_reads_free_huge_pages()
    {
        using var session = NodeSession.Open(new NodeTarget("local", RealLibvirt.Uri));
        var caps = new DomainCapsKey("x86_64", "q35", "qemu");
        var plain = new CpuCompareKey(caps, "qemu64", "sse2");
        var lacking = new CpuCompareKey(caps, "qemu64", "avx512f,sse2");
        var hw = session.ReadHardware(new HardwareQuery([caps], [plain, lacking], HugePages: true));

        Assert.Equal("yes", hw.DomainCaps[caps].Value!.CustomModels!["qemu64"]);
        Assert.True(hw.CpuComparisons[plain].Value!.Compatible, hw.CpuComparisons[plain].Unavailable);
        var no = hw.CpuComparisons[lacking].Value!;
        Assert.False(no.Compatible);
        Assert.Contains("avx512f", no.Detail);

        var host = hw.Host.Value!;
        Assert.Contains(2048UL, host.PageSizesKiB);
        var free = hw.FreePages.Value!;
        Assert.Contains(free.Counts, c => c.PageKiB == 2048 && c.Cell == host.Cells[0].Id);
        Assert.DoesNotContain(free.Counts, c => c.PageKiB == 4); // the normal page size is not a huge page
        // The checker on what was read: 1GiB of 2MiB pages needs 512 free pages (a test that reserved none finds fewer).
        var reserved = free.Counts.Where(c => c.PageKiB == 2048).Aggregate(0UL, (s, c) => s + c.Free);
        var demand = new HardwareDemand("x86_64", "q35", "qemu", null, null, [], false, false, false, 2048, 1UL << 30, 0, false, Running: true);
        var node = new LiveNode("local", RealLibvirt.Uri, "kvm", []) { Hardware = hw };
        var result = Assert.Single(NodeChecks.Run(demand, node));
        Assert.Equal(reserved >= 512 ? CheckOutcome.Passed : CheckOutcome.Refused, result.Outcome);
        Assert.Contains(reserved >= 512 ? $"{reserved} free 2MiB pages, 512 needed" : $"needs 512 free 2MiB pages for 1GiB, the node has {reserved} free", result.Detail);
    }
}
