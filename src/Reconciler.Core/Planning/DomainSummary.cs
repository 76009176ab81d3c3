using System.Globalization;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>The one-line description of a domain to be created, shared by the plan's text and Markdown views.</summary>
public static class DomainSummary
{
    /// <summary>The parts, in order: power state, vCPUs, memory, machine, firmware, disks, NICs, autostart.</summary>
    public static IReadOnlyList<string> Parts(DomainSpec d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var parts = new List<string>
        {
            d.State == PowerState.Running ? "running" : "stopped",
            d.Vcpus.ToString(CultureInfo.InvariantCulture) + " vCPU",
            ByteSize.Format(d.MemoryBytes),
            d.Machine,
            d.Firmware == Firmware.Uefi ? (d.SecureBoot ? "uefi+secureboot" : "uefi") : "bios",
        };
        if (d.Disks.Count > 0) parts.Add(Count(d.Disks.Count, "disk"));
        if (d.Interfaces.Count > 0) parts.Add(Count(d.Interfaces.Count, "NIC"));
        if (d.Autostart) parts.Add("autostart");
        return parts;
    }

    /// <summary>The parts joined by commas.</summary>
    public static string Describe(DomainSpec d) => string.Join(", ", Parts(d));

    /// <summary><c>1 disk</c>, <c>2 disks</c>.</summary>
    public static string Count(int n, string noun) =>
        n.ToString(CultureInfo.InvariantCulture) + " " + noun + (n == 1 ? "" : "s");
}
