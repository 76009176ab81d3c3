using System.Security.Cryptography;
using System.Text;

namespace Reconciler.EndToEnd.Tests;

/// <summary>
/// A real guest reads the cloud-init seed Reconciler wrote: the tiny guest (Debian kernel, busybox
/// initramfs) boots under TCG on qemu:///system, finds the seed as busybox does
/// (<c>findfs LABEL=cidata</c>, the probe that missed the unpadded 54 KiB seeds), and prints the
/// sha256 of its user-data on the serial console. Everything is named e2e-seed-* and removed afterwards.
/// </summary>
public sealed class SeedBootTests : IDisposable
{
    private const string P = "e2e-seed-";
    private readonly SpecDir _dir = new();
    private readonly string _work = Directory.CreateTempSubdirectory("e2e-seed-").FullName;

    public SeedBootTests() => Cleanup();

    public void Dispose()
    {
        Cleanup();
        _dir.Dispose();
        try { Directory.Delete(_work, recursive: true); } catch (IOException) { }
    }

    private static void Cleanup()
    {
        RealLibvirt.Cleanup(P);
        RealLibvirt.CleanupPools(P);
    }

    [Fact]
    public async Task A_busybox_guest_finds_the_seed_and_reads_the_specs_user_data()
    {
        var consoleLog = Path.Combine(_work, "console.log");
        var pool = Path.Combine(_work, "pool");
        // A fresh nonce: the line the guest prints can only come from this run's seed.
        var userData = $"#cloud-config\nhostname: {P}tg\n# run {Guid.NewGuid():N}\n";
        var want = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userData)));
        var escaped = userData.Replace("\n", "\\n", StringComparison.Ordinal);
        // TCG (domainType qemu): it boots everywhere, also where /dev/kvm cannot run a kernel (kvm_pvm).
        _dir.Write("all.yaml", $"""
            apiVersion: reconciler/v1
            kind: Node
            metadata: {"{"}name: local{"}"}
            spec: {"{"}uri: "{RealLibvirt.Uri}", domainType: qemu{"}"}
            ---
            apiVersion: reconciler/v1
            kind: StoragePool
            metadata: {"{"}name: {P}pool{"}"}
            spec: {"{"}path: {pool}{"}"}
            ---
            apiVersion: reconciler/v1
            kind: Domain
            metadata: {"{"}name: {P}tg{"}"}
            spec:
              state: running
              vcpus: 1
              memory: 128MiB
              machine: pc
              graphics: {"{"}type: none{"}"}
              cloudInit:
                pool: {P}pool
                userData: "{escaped}"
            {TinyGuest.SpecFields(consoleLog, "  ")}

            """);

        var apply = await Cli.RunAsync("apply", _dir.Path, "-y");
        Assert.True(apply.ExitCode == 0, apply.ToString());
        Assert.Contains($"seed for {P}tg written", apply.Out);
        var seed = new FileInfo(Path.Combine(pool, $"{P}tg-cidata.iso"));
        Assert.True(seed.Exists && seed.Length >= 69_632, $"seed of {(seed.Exists ? seed.Length : 0)} bytes: busybox's volume probe reads 69,632");

        // Generous: TCG on a small shared machine; the guest usually prints READY 6-10 s after start.
        var (ready, log) = await TinyGuest.WaitForAsync(consoleLog, "TINY-GUEST-READY", TimeSpan.FromSeconds(120));
        Assert.True(ready, $"the tiny guest did not print TINY-GUEST-READY; console:\n{log}");
        Assert.True(log.Contains($"TINY-GUEST-USERDATA sha256={want}", StringComparison.Ordinal),
            $"the guest did not read the spec's user-data (sha256 {want}) from the seed; console:\n{log}");

        var plan = await Cli.RunAsync("plan", _dir.Path, "--detailed-exitcode");
        Assert.True(plan.ExitCode == 0, plan.ToString());
    }
}
