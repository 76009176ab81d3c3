namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// spec.boot, spec.console and spec.tpm on qemu:///system with real guests (TCG, domainType qemu):
/// the tiny guest boots by direct kernel boot and prints its marker into the console log, stops
/// gracefully (its own ACPI power-off, seen on its console), and a UEFI + Secure Boot + TPM 2.0
/// guest keeps its swtpm state across a stop/start, a replace and a prune. Everything is named
/// rc-boot-* and removed afterwards (TPM state directories included).
/// </summary>
public sealed class BootTpmTests : IDisposable
{
    private const string P = "rc-boot-";
    private const string SwtpmDirectory = "/var/lib/libvirt/swtpm";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory("rc-boot-").FullName;
    private readonly List<string> _uuids = [];

    public BootTpmTests() => RealLibvirt.Cleanup(P);

    public void Dispose()
    {
        RealLibvirt.Cleanup(P);
        foreach (var uuid in _uuids)
        {
            try { Directory.Delete(Path.Combine(SwtpmDirectory, uuid), recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static string Spec(string name, string state, string fields) => $"""
        {RealLibvirt.NodeSpec(domainType: "qemu")}
        ---
        apiVersion: reconciler/v1
        kind: Domain
        metadata: {"{"}name: {name}{"}"}
        spec:
          state: {state}
          vcpus: 1
          graphics: {"{"}type: none{"}"}
        {fields}

        """;

    [Fact]
    public async Task The_tiny_guest_boots_from_spec_boot_logs_to_spec_console_and_stops_gracefully_on_state_stopped()
    {
        var name = P + "tg";
        var consoleLog = Path.Combine(_work, "console.log");
        var fields = "  memory: 128MiB\n  machine: pc\n" + TinyGuest.SpecFields(consoleLog, "  ");
        _dir.Write("all.yaml", Spec(name, "running", fields));

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        // Generous: TCG on a small shared machine; the guest usually prints READY 6-10 s after start.
        var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(180));
        Assert.True(ready, $"the tiny guest did not print TINY-GUEST-READY into spec.console.log; console:\n{log}");

        // libvirt wrote <boot dev='hd'/>, an isa-serial target, the pty path and an alias: none is a difference.
        var xml = Programs.Run("virsh", "-c", RealLibvirt.Uri, "dumpxml", name, "--inactive");
        Assert.Contains("<boot dev='hd'/>", xml.Out, StringComparison.Ordinal);
        Assert.Contains($"<kernel>{TinyGuest.Kernel}</kernel>", xml.Out, StringComparison.Ordinal);
        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.DoesNotContain("Restart pending", plan.Out, StringComparison.Ordinal); // the running instance reads back the same

        _dir.Write("all.yaml", Spec(name, "stopped", fields));
        var stop = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "120");
        Assert.True(stop.ExitCode == 0, stop.ToString());
        Assert.DoesNotContain("stopping it hard", stop.All(), StringComparison.Ordinal);
        var (poweredOff, after) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-POWEROFF", TimeSpan.FromSeconds(5));
        Assert.True(poweredOff, $"the guest's own ACPI power-off was not seen on its console:\n{after}");
        var state = Programs.Run("virsh", "-c", RealLibvirt.Uri, "domstate", name, "--reason");
        Assert.Contains("shut off (shutdown)", state.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_uefi_secure_boot_tpm_guest_keeps_its_tpm_state_across_stop_start_replace_and_prune()
    {
        var name = P + "tpm";
        const string Trusted = "  memory: 256MiB\n  machine: q35\n  firmware: uefi\n  secureBoot: true\n  tpm: {model: crb, version: \"2.0\"}";
        const string Tcg = "\n  domainType: qemu";
        _dir.Write("all.yaml", Spec(name, "running", Trusted + Tcg));
        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains("running", Programs.Run("virsh", "-c", RealLibvirt.Uri, "domstate", name).Out, StringComparison.Ordinal);
        var live = Programs.Run("virsh", "-c", RealLibvirt.Uri, "dumpxml", name).Out;
        Assert.Contains("<tpm model='tpm-crb'>", live, StringComparison.Ordinal);
        Assert.Contains("secure='yes'", live, StringComparison.Ordinal);

        var uuid = Programs.Run("virsh", "-c", RealLibvirt.Uri, "domuuid", name).Out.Trim();
        _uuids.Add(uuid);
        var state = Path.Combine(SwtpmDirectory, uuid);
        var permall = Path.Combine(state, "tpm2", "tpm2-00.permall");
        Assert.True(File.Exists(permall), $"swtpm made no TPM 2.0 state in {state}");
        // A file of our own beside swtpm's: it survives only if libvirt never removes the directory.
        var marker = Path.Combine(state, "rc-boot-marker");
        File.WriteAllText(marker, uuid);
        var same = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(same.ExitCode == 0 && !same.Out.Contains("Restart pending", StringComparison.Ordinal), $"a TPM guest shows a difference right after apply:\n{same}");

        // Stop and start.
        _dir.Write("all.yaml", Spec(name, "stopped", Trusted + Tcg));
        Assert.Equal(0, (await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "10")).ExitCode);
        _dir.Write("all.yaml", Spec(name, "running", Trusted + Tcg));
        Assert.Equal(0, (await Cli.RunAsync("apply", _dir.Path, "-y")).ExitCode);
        Assert.True(File.Exists(marker) && File.Exists(permall), "the TPM state did not survive a stop and start");

        // A replace (the domain type), stopped so that it needs no start under kvm (this machine's kvm_pvm has no SMM), then back (a replace again) and started.
        _dir.Write("all.yaml", Spec(name, "stopped", Trusted + "\n  domainType: kvm"));
        var replacePlan = await Cli.RunAsync("plan", _dir.Path);
        Assert.Matches(@"spec\.domainType: qemu → kvm\s+\(replace\)", replacePlan.Out);
        Assert.Contains($"TPM state kept in {state}/", replacePlan.Out, StringComparison.Ordinal);
        var replace = await Cli.RunAsync("apply", _dir.Path, "-y", "--max-disruption", "replace", "--shutdown-timeout", "10");
        Assert.True(replace.ExitCode == 0, replace.ToString());
        Assert.Contains("type='kvm'", Programs.Run("virsh", "-c", RealLibvirt.Uri, "dumpxml", name, "--inactive").Out, StringComparison.Ordinal);
        Assert.True(File.Exists(marker) && File.Exists(permall), "the TPM state did not survive a replace");
        _dir.Write("all.yaml", Spec(name, "running", Trusted + Tcg));
        var back = await Cli.RunAsync("apply", _dir.Path, "-y", "--max-disruption", "replace");
        Assert.True(back.ExitCode == 0, back.ToString());
        Assert.Equal(uuid, Programs.Run("virsh", "-c", RealLibvirt.Uri, "domuuid", name).Out.Trim());
        Assert.True(File.Exists(marker) && File.Exists(permall), "the TPM state did not survive the replace back and a start");

        // A prune undefines the domain: the plan says where the state stays, and it stays.
        _dir.Write("all.yaml", Spec(P + "other", "stopped", "  memory: 64MiB"));
        var prunePlan = await Cli.RunAsync("plan", _dir.Path, "--output", "json");
        Assert.Contains($"TPM state kept in {state}/; NVRAM kept in /var/lib/libvirt/qemu/nvram/{name}_VARS.fd", prunePlan.Out, StringComparison.Ordinal);
        var prune = await Cli.RunAsync("apply", _dir.Path, "-y", "--shutdown-timeout", "10");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.False(Programs.Run("virsh", "-c", RealLibvirt.Uri, "dominfo", name).Code == 0, $"{name} is still defined after the prune");
        Assert.True(File.Exists(marker) && File.Exists(permall), "the prune deleted the TPM state");
        Assert.True(File.Exists($"/var/lib/libvirt/qemu/nvram/{name}_VARS.fd"), "the prune deleted the NVRAM file");
        File.Delete($"/var/lib/libvirt/qemu/nvram/{name}_VARS.fd");
    }
}
