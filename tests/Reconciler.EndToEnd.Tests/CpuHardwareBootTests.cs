using System.Globalization;
using System.Text.Json;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// The CPU and memory fields on a real guest: the tiny guest (Debian kernel, busybox initramfs)
/// boots under TCG on qemu:///system with a custom CPU model, features, a topology, vCPU and
/// emulator pinning, and (in its own test) huge pages; the kernel's own bring-up line on the
/// serial console says what it got. A pinning change then applies to the running guest without a
/// restart. Everything is named rc-cpuhw-* and removed afterwards.
/// </summary>
public sealed class CpuHardwareBootTests : IDisposable
{
    private const string P = "rc-cpuhw-";
    private const string HugePages = "/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory("rc-cpuhw-").FullName;

    public CpuHardwareBootTests() => RealLibvirt.Cleanup(P);

    public void Dispose()
    {
        RealLibvirt.Cleanup(P);
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    /// <summary>
    /// The tiny guest's boot patches without the kernel's <c>quiet</c>, so that it prints its CPU
    /// bring-up (<c>smp: Brought up 1 node, 2 CPUs</c>). (The boot and console fields of the same
    /// issue replace these patches once they are merged.)
    /// </summary>
    private static string BootPatches(string consoleLog) => TinyGuest.XmlPatches(consoleLog, "    ")
        .Replace("console=ttyS0 quiet", "console=ttyS0", StringComparison.Ordinal);

    private void WriteGuest(string name, string consoleLog, string hardware) => _dir.Write("guest.yaml", $"""
        {RealLibvirt.NodeSpec(domainType: "qemu")}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {name}{"}"}
        spec:
          state: running
          vcpus: 2
          memory: 128MiB
          machine: pc
          graphics: {"{"}type: none{"}"}
        {hardware}
          xml:
        {BootPatches(consoleLog)}

        """);

    /// <summary>A model with SSSE3 and SSE4.2 (Westmere): the guest's static busybox takes glibc code paths that need both.</summary>
    private static string Cpu(string vcpus, string emulator) => $$"""
          cpu:
            mode: custom
            model: Westmere
            fallback: forbid
            features:
              - {name: lahf_lm}
              - {name: x2apic, policy: disable}
              - {name: pdpe1gb, policy: optional}
            topology: {sockets: 1, cores: 2, threads: 1}
            pinning: {vcpus: [{{vcpus}}], emulator: "{{emulator}}"}
        """;

    [Fact]
    public async Task A_custom_cpu_guest_boots_with_its_topology_and_takes_a_pinning_change_live()
    {
        var name = P + "pin";
        var consoleLog = Path.Combine(_work, "pin.log");
        WriteGuest(name, consoleLog, Cpu("\"0\", \"1\"", "0-1"));

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(150));
        Assert.True(ready, $"the guest did not print TINY-GUEST-READY; console:\n{log}");
        // The kernel's own count of the vCPUs it brought up, and the topology it saw.
        Assert.Contains("smp: Brought up 1 node, 2 CPUs", log, StringComparison.Ordinal);
        Assert.Equal("0-1", VcpuPin(name, 0) + "-" + VcpuPin(name, 1));

        // Applied as written and read back: a running guest with libvirt's resolved CPU is no change.
        var unchanged = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(unchanged.ExitCode == 0, unchanged.ToString());

        var id = DomainId(name);
        WriteGuest(name, consoleLog, Cpu("\"1\", \"0\"", "1"));
        var plan = await Cli.RunAsync("plan", _dir.Path, "--output", "json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        var fields = JsonDocument.Parse(plan.Out).RootElement.GetProperty("changes").EnumerateArray()
            .SelectMany(c => c.GetProperty("fields").EnumerateArray())
            .Select(f => (Path: f.GetProperty("path").GetString(), Disruption: f.GetProperty("disruption").GetString())).ToList();
        Assert.Equal([("spec.cpu.pinning.vcpus", "live"), ("spec.cpu.pinning.emulator", "live")], fields);

        apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(id, DomainId(name));
        Assert.Equal(("1", "0"), (VcpuPin(name, 0), VcpuPin(name, 1)));
        using (var conn = RealLibvirt.Connect())
        using (var domain = conn.LookupDomainByName(name)!)
        {
            var hostCpus = (int)conn.GetNodeInfo().Cpus;
            var live = domain.GetVcpuPinInfo(hostCpus, Libvirt.DomainModificationImpact.Live);
            Assert.Equal([[1], [0]], live.Select(s => s.Order().ToArray()));
            Assert.Equal([1], domain.GetEmulatorPinInfo(hostCpus, Libvirt.DomainModificationImpact.Live).Order());
            Assert.Equal([[1], [0]], domain.GetVcpuPinInfo(hostCpus, Libvirt.DomainModificationImpact.Config).Select(s => s.Order().ToArray()));
        }
        var after = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(after.ExitCode == 0, after.ToString());
        Assert.DoesNotContain("restart", after.All(), StringComparison.OrdinalIgnoreCase);

        // A vCPU the spec no longer pins runs on every host CPU again, still without a restart.
        WriteGuest(name, consoleLog, Cpu("\"1\"", "1"));
        apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Equal(id, DomainId(name));
        using (var conn = RealLibvirt.Connect())
        {
            var every = conn.GetNodeInfo().Cpus == 1 ? "0" : $"0-{conn.GetNodeInfo().Cpus - 1}";
            Assert.Equal(("1", every), (VcpuPin(name, 0), VcpuPin(name, 1)));
        }
        var unpinned = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(unpinned.ExitCode == 0, unpinned.ToString());
    }

    [Fact]
    public async Task A_guest_backed_by_2MiB_huge_pages_boots_from_pages_reserved_for_it()
    {
        var old = int.Parse(File.ReadAllText(HugePages).Trim(), CultureInfo.InvariantCulture);
        try
        {
            // 128 MiB of guest memory is 64 pages; a few more for rounding.
            File.WriteAllText(HugePages, (old + 70).ToString(CultureInfo.InvariantCulture));
            var reserved = int.Parse(File.ReadAllText(HugePages).Trim(), CultureInfo.InvariantCulture);
            Assert.True(reserved >= old + 64, $"the kernel reserved only {reserved - old} of 70 huge pages");
            var freeBefore = FreeHugePages();

            var name = P + "huge";
            var consoleLog = Path.Combine(_work, "huge.log");
            WriteGuest(name, consoleLog, """
                  cpu:
                    topology: {sockets: 2, cores: 1, threads: 1}
                    numa:
                      - {cpus: "0", memory: 64MiB}
                      - {cpus: "1", memory: 64MiB}
                  memoryBacking: {hugepages: {size: 2MiB}}
                """);
            var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
            Assert.True(apply.ExitCode == 0, apply.ToString());
            var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(150));
            Assert.True(ready, $"the guest did not print TINY-GUEST-READY; console:\n{log}");
            Assert.Contains("smp: Brought up 2 nodes, 2 CPUs", log, StringComparison.Ordinal);
            Assert.True(FreeHugePages() <= freeBefore - 64, $"the guest took {freeBefore - FreeHugePages()} huge pages, not its 64");

            var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
            Assert.True(plan.ExitCode == 0, plan.ToString());
        }
        finally
        {
            RealLibvirt.Cleanup(P);
            File.WriteAllText(HugePages, old.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static int FreeHugePages() =>
        int.Parse(File.ReadAllText("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages").Trim(), CultureInfo.InvariantCulture);

    private static string DomainId(string name)
    {
        var (code, stdout, stderr) = Programs.Run("virsh", "-c", RealLibvirt.Uri, "domid", name);
        Assert.True(code == 0, stderr);
        return stdout.Trim();
    }

    /// <summary>The running vCPU's affinity as <c>virsh vcpupin NAME VCPU --live</c> prints it.</summary>
    private static string VcpuPin(string name, int vcpu)
    {
        var (code, stdout, stderr) = Programs.Run("virsh", "-c", RealLibvirt.Uri, "vcpupin", name, vcpu.ToString(CultureInfo.InvariantCulture), "--live");
        Assert.True(code == 0, stderr);
        var line = stdout.Split('\n').Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .FirstOrDefault(p => p.Length == 2 && p[0] == vcpu.ToString(CultureInfo.InvariantCulture));
        Assert.True(line is not null, $"virsh vcpupin printed no row for vCPU {vcpu}:\n{stdout}");
        return line[1];
    }
}
