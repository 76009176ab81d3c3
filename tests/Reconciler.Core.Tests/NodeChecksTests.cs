using Reconciler.Core.Model;
using Reconciler.Core.Planning;

namespace Reconciler.Core.Tests;

/// <summary>
/// The node checks (<see cref="NodeChecks"/>) against real capability documents, stored in
/// TestData/hardware: <c>qemu-system-*.xml</c> were captured on this project's Debian 12 test
/// machine (libvirt 9.0, QEMU 7.2, OVMF and swtpm installed; /dev/kvm from kvm_pvm) with
/// <c>virsh -c qemu:///system capabilities</c> and <c>virsh -c qemu:///system domcapabilities
/// --virttype kvm|qemu</c> (the default machine, pc-i440fx-7.2) and <c>--virttype kvm|qemu --machine q35</c>; <c>test-driver-capabilities.xml</c> with
/// <c>virsh -c test:///default capabilities</c>. Demands are built directly, including the fields
/// (features, TPM, huge pages, NUMA) whose spec fields live on other branches.
/// </summary>
public sealed class NodeChecksTests
{
    private static string Data(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "hardware", name));

    private static readonly DomainCapabilities Kvm = NodeHardwareXml.ParseDomain(Data("qemu-system-domcaps-kvm.xml"));
    private static readonly DomainCapabilities KvmQ35 = NodeHardwareXml.ParseDomain(Data("qemu-system-domcaps-kvm-q35.xml"));
    private static readonly DomainCapabilities Tcg = NodeHardwareXml.ParseDomain(Data("qemu-system-domcaps-qemu.xml"));
    private static readonly HostCapabilities QemuHost = NodeHardwareXml.ParseHost(Data("qemu-system-capabilities.xml"));
    private static readonly HostCapabilities TestHost = NodeHardwareXml.ParseHost(Data("test-driver-capabilities.xml"));

    internal static HardwareDemand Demand(Func<HardwareDemand, HardwareDemand>? edit = null)
    {
        var d = new HardwareDemand("x86_64", null, null, null, null, [], false, false, false, null, 256UL << 20, 0, false, Running: true);
        return edit is null ? d : edit(d);
    }

    /// <summary>A node of type <paramref name="type"/> whose domain capabilities for x86_64 and <paramref name="type"/> are <paramref name="caps"/> (default machine) and <paramref name="q35"/> (q35; default: <paramref name="caps"/>).</summary>
    internal static LiveNode NodeWith(string type, DomainCapabilities? caps, HostCapabilities? host = null, FreePageCounts? free = null,
        string? unavailable = null, IReadOnlyDictionary<CpuCompareKey, HardwareAnswer<CpuComparison>>? compared = null, string name = "hv1",
        DomainCapabilities? q35 = null)
    {
        HardwareAnswer<DomainCapabilities> Answer(DomainCapabilities? c) => c is null
            ? HardwareAnswer<DomainCapabilities>.Missing(unavailable ?? "the node's driver does not support virConnectGetDomainCapabilities")
            : HardwareAnswer<DomainCapabilities>.Of(c);
        // Demands built here name no machine; specs from Specs.Domain name q35.
        var domainCaps = new Dictionary<DomainCapsKey, HardwareAnswer<DomainCapabilities>>
        {
            [new DomainCapsKey("x86_64", null, type)] = Answer(caps),
            [new DomainCapsKey("x86_64", "q35", type)] = Answer(q35 ?? caps),
        };
        return new LiveNode(name, "qemu:///system", type, [])
        {
            Hardware = new NodeHardware(
                host is null ? HardwareAnswer<HostCapabilities>.Missing("no host capabilities") : HardwareAnswer<HostCapabilities>.Of(host),
                free is null ? HardwareAnswer<FreePageCounts>.Missing("the node's driver does not support virNodeGetFreePages") : HardwareAnswer<FreePageCounts>.Of(free),
                domainCaps,
                compared ?? new Dictionary<CpuCompareKey, HardwareAnswer<CpuComparison>>()),
        };
    }

    private static CheckResult Only(IReadOnlyList<CheckResult> results) => Assert.Single(results);

    [Fact]
    public void The_captured_documents_parse_into_what_the_checks_use()
    {
        Assert.Equal("x86_64", QemuHost.Arch);
        Assert.Contains(4UL, QemuHost.PageSizesKiB);
        Assert.Contains(2048UL, QemuHost.PageSizesKiB);
        Assert.NotEmpty(QemuHost.Cells);
        // Under this machine's kvm (kvm_pvm on an AMD host) even qemu64 cannot run (it lacks svm); under TCG it can.
        Assert.Equal("no", Kvm.CustomModels!["qemu64"]);
        Assert.Equal("yes", Tcg.CustomModels!["qemu64"]);
        Assert.Contains(Kvm.CustomModels, m => m.Value == "no");
        Assert.StartsWith("pc-i440fx-", Kvm.Machine);
        Assert.StartsWith("pc-q35-", KvmQ35.Machine);
        Assert.True(KvmQ35.Firmware!.SecureBoot);
        Assert.Contains("/usr/share/OVMF/OVMF_CODE_4M.secboot.fd", KvmQ35.Firmware.Loaders);
        Assert.NotNull(Kvm.Firmware);
        Assert.NotNull(Kvm.Tpm);

        Assert.Equal("i686", TestHost.Arch);
        Assert.Equal([4UL, 8, 2048, 1048576], TestHost.PageSizesKiB);
        Assert.Equal([0, 1], TestHost.Cells.Select(c => c.Id));
        Assert.Equal(2097152UL, TestHost.Cells[0].MemoryKiB);
    }

    [Fact]
    public void A_cpu_model_the_node_does_not_know_is_refused_even_for_a_stopped_domain_and_the_model_is_named()
    {
        foreach (var running in new[] { true, false })
        {
            var r = Only(NodeChecks.Run(Demand(d => d with { CpuMode = "custom", CpuModel = "NoSuchCpuModel9000", Running = running }), NodeWith("kvm", Kvm)));
            Assert.Equal(("cpu-model", CheckOutcome.Refused), (r.Check, r.Outcome));
            Assert.Contains("NoSuchCpuModel9000 is not known to the node for x86_64/default/kvm", r.Detail);
            Assert.Contains("e.g. 486, ", r.Detail); // what it does know and can run, as a hint
        }
    }

    [Fact]
    public void A_known_model_the_host_cannot_run_is_refused_when_running_and_warned_when_stopped()
    {
        var unusable = Kvm.CustomModels!.First(m => m.Value == "no").Key;
        var running = Only(NodeChecks.Run(Demand(d => d with { CpuMode = "custom", CpuModel = unusable }), NodeWith("kvm", Kvm)));
        Assert.Equal(CheckOutcome.Refused, running.Outcome);
        Assert.Contains($"CPU model {unusable} is known but cannot run", running.Detail);
        var stopped = Only(NodeChecks.Run(Demand(d => d with { CpuMode = "custom", CpuModel = unusable, Running = false }), NodeWith("kvm", Kvm)));
        Assert.Equal(CheckOutcome.Warned, stopped.Outcome);
        Assert.Contains("the domain is stopped", stopped.Detail);
    }

    [Fact]
    public void A_usable_model_passes()
    {
        var r = Only(NodeChecks.Run(Demand(d => d with { CpuMode = "custom", CpuModel = "qemu64" }), NodeWith("qemu", Tcg)));
        Assert.Equal(("cpu-model", CheckOutcome.Passed), (r.Check, r.Outcome));
    }

    [Fact]
    public void Where_the_driver_gives_no_domain_capabilities_every_check_that_needs_them_says_it_was_skipped_and_why()
    {
        var demand = Demand(d => d with { CpuMode = "custom", CpuModel = "qemu64", Uefi = true, SecureBoot = true, Tpm = true });
        var results = NodeChecks.Run(demand, NodeWith("test", null));
        Assert.Equal(["cpu-model", "secure-boot", "tpm"], results.Select(r => r.Check));
        Assert.All(results, r => Assert.Equal(CheckOutcome.Skipped, r.Outcome));
        Assert.All(results, r => Assert.Contains("does not support virConnectGetDomainCapabilities", r.Detail));
    }

    [Fact]
    public void A_domain_that_asks_for_nothing_special_runs_no_check()
    {
        Assert.Empty(NodeChecks.Run(Demand(), NodeWith("test", null)));
        Assert.Empty(NodeChecks.Run(Demand(), new LiveNode("n", "test:///default", "test", [])));
    }

    [Fact]
    public void Host_passthrough_is_checked_against_the_domain_types_cpu_modes()
    {
        var kvm = Only(NodeChecks.Run(Demand(d => d with { CpuMode = "host-passthrough" }), NodeWith("kvm", Kvm)));
        Assert.Equal(Kvm.HostPassthrough ? CheckOutcome.Passed : CheckOutcome.Refused, kvm.Outcome);
        var tcg = Only(NodeChecks.Run(Demand(d => d with { CpuMode = "host-passthrough" }), NodeWith("qemu", Tcg)));
        Assert.Equal(Tcg.HostPassthrough ? CheckOutcome.Passed : CheckOutcome.Refused, tcg.Outcome);
        // What this machine says: KVM can pass the host CPU through, TCG cannot.
        Assert.True(Kvm.HostPassthrough);
        Assert.False(Tcg.HostPassthrough);
        Assert.Contains("host-passthrough is not supported for x86_64/default/qemu", tcg.Detail);
    }

    [Fact]
    public void Secure_boot_passes_on_q35_with_the_nodes_ovmf_and_is_refused_where_no_loader_is_secure()
    {
        var q35 = Demand(d => d with { Machine = "q35", Uefi = true, SecureBoot = true });
        var ok = Only(NodeChecks.Run(q35, NodeWith("kvm", Kvm, q35: KvmQ35)));
        Assert.Equal(("secure-boot", CheckOutcome.Passed), (ok.Check, ok.Outcome));
        // What this machine says for the default machine (i440fx): OVMF's Secure Boot builds need q35's SMM, so no secure loader.
        Assert.False(Kvm.Firmware!.SecureBoot);
        var i440fx = Only(NodeChecks.Run(q35 with { Machine = null }, NodeWith("kvm", Kvm, q35: KvmQ35)));
        Assert.Equal(CheckOutcome.Refused, i440fx.Outcome);
        Assert.Contains("the node offers no Secure Boot firmware for x86_64/default/kvm", i440fx.Detail);
        // The q35 document as a node without OVMF's Secure Boot builds would give it: the loader's secure enum lacks 'yes'.
        var insecure = NodeHardwareXml.ParseDomain(Data("qemu-system-domcaps-kvm-q35.xml").Replace("<enum name='secure'>\n        <value>yes</value>", "<enum name='secure'>", StringComparison.Ordinal));
        Assert.False(insecure.Firmware!.SecureBoot);
        var refused = Only(NodeChecks.Run(q35 with { Running = false }, NodeWith("kvm", Kvm, q35: insecure)));
        Assert.Equal(CheckOutcome.Refused, refused.Outcome); // not only at start
        Assert.Contains("no Secure Boot firmware for x86_64/q35/kvm", refused.Detail);
        // Plain UEFI still passes there.
        var uefi = Only(NodeChecks.Run(q35 with { SecureBoot = false }, NodeWith("kvm", Kvm, q35: insecure)));
        Assert.Equal(("uefi", CheckOutcome.Passed), (uefi.Check, uefi.Outcome));
    }

    [Fact]
    public void A_tpm_needs_the_emulator_backend()
    {
        Assert.Contains("emulator", Kvm.Tpm!.Backends); // swtpm is installed here
        Assert.Equal(CheckOutcome.Passed, Only(NodeChecks.Run(Demand(d => d with { Tpm = true }), NodeWith("kvm", Kvm))).Outcome);
        var noSwtpm = Kvm with { Tpm = Kvm.Tpm with { Backends = Kvm.Tpm.Backends.Where(b => b != "emulator").ToList() } };
        var r = Only(NodeChecks.Run(Demand(d => d with { Tpm = true, Running = false }), NodeWith("kvm", noSwtpm)));
        Assert.Equal(CheckOutcome.Refused, r.Outcome); // not only at start: refused for a stopped domain too
        Assert.Contains("no TPM emulator backend", r.Detail);
        Assert.Contains("swtpm", r.Detail);
    }

    private static FreePageCounts Free(ulong pageKiB, params ulong[] perCell) =>
        new(perCell.Select((n, cell) => new FreePageCount(cell, pageKiB, n)).ToList());

    [Fact]
    public void Huge_pages_of_a_size_the_node_lacks_are_refused_when_running_and_warned_when_stopped()
    {
        var demand = Demand(d => d with { HugePageKiB = 16384 });
        var running = Only(NodeChecks.Run(demand, NodeWith("test", null, TestHost, Free(2048, 97, 97))));
        Assert.Equal(("hugepages", CheckOutcome.Refused), (running.Check, running.Outcome));
        Assert.Contains("no 16MiB pages (it has 4KiB, 8KiB, 2MiB, 1GiB)", running.Detail);
        var stopped = Only(NodeChecks.Run(demand with { Running = false }, NodeWith("test", null, TestHost, Free(2048, 97, 97))));
        Assert.Equal(CheckOutcome.Warned, stopped.Outcome);
    }

    [Fact]
    public void Huge_pages_are_counted_free_across_cells()
    {
        // 256MiB of 2MiB pages = 128 pages; the test driver reports 97 free on each of its two cells.
        var fits = Only(NodeChecks.Run(Demand(d => d with { HugePageKiB = 2048 }), NodeWith("test", null, TestHost, Free(2048, 97, 97))));
        Assert.Equal(CheckOutcome.Passed, fits.Outcome);
        Assert.Contains("194 free 2MiB pages, 128 needed", fits.Detail);
        var tooFew = Only(NodeChecks.Run(Demand(d => d with { HugePageKiB = 2048, HugePageBytes = 1UL << 30 }), NodeWith("test", null, TestHost, Free(2048, 97, 97))));
        Assert.Equal(CheckOutcome.Refused, tooFew.Outcome);
        Assert.Contains("needs 512 free 2MiB pages for 1GiB, the node has 194 free", tooFew.Detail);
        // A domain already running there holds its pages: they are not counted against it.
        Assert.Equal(CheckOutcome.Passed, Only(NodeChecks.Run(Demand(d => d with { HugePageKiB = 2048, HugePageBytes = 1UL << 30 }),
            NodeWith("test", null, TestHost, Free(2048, 0, 0)), runningHere: true)).Outcome);
        // No free-page answer: skipped, and said.
        var skipped = Only(NodeChecks.Run(Demand(d => d with { HugePageKiB = 2048 }), NodeWith("test", null, TestHost)));
        Assert.Equal(CheckOutcome.Skipped, skipped.Outcome);
        Assert.Contains("virNodeGetFreePages", skipped.Detail);
    }

    [Fact]
    public void More_numa_cells_than_the_host_has_are_refused_only_with_numatune_strict()
    {
        var three = Only(NodeChecks.Run(Demand(d => d with { NumaCells = 3, NumaStrict = true }), NodeWith("test", null, TestHost)));
        Assert.Equal(("numa", CheckOutcome.Refused), (three.Check, three.Outcome));
        Assert.Contains("3 guest NUMA cells with numaTune strict, the node has 2 cells", three.Detail);
        Assert.Equal(CheckOutcome.Passed, Only(NodeChecks.Run(Demand(d => d with { NumaCells = 2, NumaStrict = true }), NodeWith("test", null, TestHost))).Outcome);
        Assert.Empty(NodeChecks.Run(Demand(d => d with { NumaCells = 3 }), NodeWith("test", null, TestHost)));
        var host = NodeChecks.Run(Demand(d => d with { NumaCells = QemuHost.Cells.Count + 1, NumaStrict = true }), NodeWith("kvm", Kvm, QemuHost));
        Assert.Equal(CheckOutcome.Refused, Only(host).Outcome);
    }

    [Fact]
    public void Required_features_are_checked_by_the_nodes_cpu_comparison()
    {
        var demand = Demand(d => d with { CpuMode = "custom", CpuModel = "qemu64", RequiredFeatures = ["avx512f", "sse2"] });
        var key = demand.CompareKey("qemu")!;
        Assert.Equal("avx512f,sse2", key.Features);
        var lacking = new Dictionary<CpuCompareKey, HardwareAnswer<CpuComparison>>
        {
            [key] = HardwareAnswer<CpuComparison>.Of(new CpuComparison(false, "Host CPU does not provide required features: avx512f")),
        };
        var results = NodeChecks.Run(demand, NodeWith("qemu", Tcg, compared: lacking));
        Assert.Equal(["cpu-model", "cpu-features"], results.Select(r => r.Check));
        Assert.Equal(CheckOutcome.Refused, results[1].Outcome);
        Assert.Contains("required features avx512f, sse2", results[1].Detail);
        Assert.Contains("does not provide required features: avx512f", results[1].Detail);
        Assert.Equal(CheckOutcome.Warned, NodeChecks.Run(demand with { Running = false }, NodeWith("qemu", Tcg, compared: lacking))[1].Outcome);
        var unanswered = NodeChecks.Run(demand, NodeWith("qemu", Tcg));
        Assert.Equal(CheckOutcome.Skipped, unanswered[1].Outcome);
    }

    [Fact]
    public void The_query_asks_each_distinct_key_once()
    {
        var a = Specs.Domain("a", d => d with { Cpu = new CpuSpec("custom", "qemu64") });
        var b = Specs.Domain("b", d => d with { Cpu = new CpuSpec("custom", "Nehalem") });
        var c = Specs.Domain("c", d => d with { Machine = "pc", Firmware = Firmware.Uefi, SecureBoot = true });
        var plain = Specs.Domain("plain");
        var q = HardwareQuery.For([a, b, c, plain], "kvm");
        Assert.Equal(["x86_64/pc/kvm", "x86_64/q35/kvm"], q.DomainCaps.Select(k => k.ToString()));
        Assert.Empty(q.CpuComparisons); // no required features yet
        Assert.False(q.HugePages);
        Assert.False(q.ReadsHost); // nothing here needs the host capabilities: no call is made for them
        Assert.Empty(HardwareQuery.For([plain], "kvm").DomainCaps);
    }

    [Fact]
    public void The_demand_of_a_spec_takes_what_the_spec_has()
    {
        var spec = Specs.Domain("d", d => d with
        {
            Cpu = new CpuSpec("custom", "qemu64"), Firmware = Firmware.Uefi, SecureBoot = true, Machine = "pc", DomainType = "qemu",
            State = PowerState.Stopped, MemoryBytes = 512UL << 20,
        });
        var demand = HardwareDemand.Of(spec);
        Assert.Equal(("x86_64", "pc", "qemu", "custom", "qemu64"), (demand.Arch, demand.Machine, demand.DomainType, demand.CpuMode, demand.CpuModel));
        Assert.True(demand.Uefi && demand.SecureBoot);
        Assert.False(demand.Running);
        Assert.Equal(512UL << 20, demand.HugePageBytes);
        Assert.Equal(new DomainCapsKey("x86_64", "pc", "qemu"), demand.CapsKey("kvm"));
        Assert.Equal("kvm", HardwareDemand.Of(Specs.Domain("e")).TypeOn("kvm"));
        Assert.Empty(demand.RequiredFeatures);
        Assert.Null(demand.HugePageKiB);
        Assert.Equal((0, false), (demand.NumaCells, demand.NumaStrict));
        Assert.False(demand.Tpm);
        var withTpm = HardwareDemand.Of(spec with { Tpm = new TpmSpec("crb", "2.0") });
        Assert.True(withTpm.Tpm);
        Assert.True(withTpm.NeedsDomainCaps); // the TPM check reads the domain capabilities' <tpm> backends
    }

    [Fact]
    public void The_demand_takes_required_features_huge_pages_numa_cells_and_a_strict_numatune()
    {
        var numaTune = Core.Fields.DomainPaths.Spec.Field("numaTune");
        var spec = Specs.Domain("d", d => d with
        {
            Cpu = new CpuSpec("custom", "qemu64")
            {
                Features = [new CpuFeature("x2apic", "require"), new CpuFeature("erms", "require"), new CpuFeature("sse4.2", "disable"), new CpuFeature("smep", "force")],
                Numa = [new NumaCell("0", 128UL << 20), new NumaCell("1", 128UL << 20)],
            },
            MemoryBacking = new MemoryBackingSpec(2UL << 20, false, false),
            Declared = d.Declared.With(numaTune.Field("mode"), "strict").With(numaTune.Field("nodeset"), "0"),
        });
        var demand = HardwareDemand.Of(spec);
        Assert.Equal(["erms", "x2apic"], demand.RequiredFeatures); // require only, sorted; force claims it whatever the host has
        Assert.Equal(2048UL, demand.HugePageKiB);
        Assert.Equal((2, true), (demand.NumaCells, demand.NumaStrict));
        Assert.Equal("erms,x2apic", demand.CompareKey("kvm")!.Features);
        var preferred = HardwareDemand.Of(spec with { Declared = spec.Declared.With(numaTune.Field("mode"), "preferred") });
        Assert.False(preferred.NumaStrict);
        var query = HardwareQuery.For([spec], "kvm");
        Assert.True(query.HugePages && query.Host);
        Assert.Single(query.CpuComparisons);
    }
}
