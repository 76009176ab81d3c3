using System.Runtime.InteropServices;
using Reconciler.Libvirt;

namespace Reconciler.Benchmarks;

/// <summary>The machine the figures came from.</summary>
internal sealed record MachineInfo(string Cpu, int Cores, long MemoryMiB, string Os, string Kernel, string Runtime,
    string? Libvirt, string? Hypervisor, string Kvm, double LoadAverage)
{
    public static MachineInfo Read(string? realUri)
    {
        string? libvirt = null, hypervisor = null;
        try
        {
            using var c = LibvirtConnection.Open(realUri ?? "test:///default", readOnly: true);
            libvirt = "libvirt " + c.LibVersion;
            hypervisor = realUri is null ? null : c.Uri;
        }
        catch (LibvirtException)
        {
        }
        var kvm = File.Exists("/proc/modules") && File.ReadLines("/proc/modules").Any(l => l.StartsWith("kvm_pvm ", StringComparison.Ordinal))
            ? "kvm_pvm (software KVM)"
            : File.Exists("/dev/kvm") ? "/dev/kvm" : "none";
        return new MachineInfo(
            Cpu: Grep("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString(),
            Cores: Environment.ProcessorCount,
            MemoryMiB: long.TryParse(Grep("/proc/meminfo", "MemTotal")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0], out var kb) ? kb / 1024 : 0,
            Os: File.Exists("/etc/os-release")
                ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? RuntimeInformation.OSDescription
                : RuntimeInformation.OSDescription,
            Kernel: File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "",
            Runtime: RuntimeInformation.FrameworkDescription,
            Libvirt: libvirt,
            Hypervisor: hypervisor,
            Kvm: kvm,
            LoadAverage: LoadAverageNow());
    }

    public static double LoadAverageNow() =>
        File.Exists("/proc/loadavg") && double.TryParse(File.ReadAllText("/proc/loadavg").Split(' ')[0],
            System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var l) ? l : 0;

    public override string ToString() =>
        $"{Cpu}, {Cores} cores, {MemoryMiB / 1024.0:0} GiB, {Os}, kernel {Kernel}, {Runtime}, {Libvirt ?? "libvirt ?"}, KVM: {Kvm}";

    private static string? Grep(string file, string key) =>
        File.Exists(file)
            ? File.ReadLines(file).FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))?.Split(':', 2)[1].Trim()
            : null;
}
