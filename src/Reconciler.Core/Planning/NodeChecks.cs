using System.Globalization;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>What one check concluded about one domain on one node.</summary>
public enum CheckOutcome
{
    /// <summary>The node can give what the domain asks.</summary>
    Passed,
    /// <summary>Only matters at start and the domain is to stay stopped: the plan warns.</summary>
    Warned,
    /// <summary>The node cannot: the domain is refused on it (or the node is not a placement candidate).</summary>
    Refused,
    /// <summary>The node's driver could not answer: the check did not run, and the plan says so.</summary>
    Skipped,
}

/// <summary>One check's result.</summary>
/// <param name="Check">The check's name: <c>cpu-model</c>, <c>cpu-features</c>, <c>host-passthrough</c>, <c>uefi</c>, <c>secure-boot</c>, <c>tpm</c>, <c>hugepages</c>, <c>numa</c>.</param>
/// <param name="Outcome">What it concluded.</param>
/// <param name="Detail">Why, in words that name the model, size or count involved.</param>
public sealed record CheckResult(string Check, CheckOutcome Outcome, string Detail)
{
    /// <summary><c>cpu-model: …</c>.</summary>
    public override string ToString() => $"{Check}: {Detail}";
}

/// <summary>
/// Checks a domain's <see cref="HardwareDemand"/> against what its node can do
/// (<see cref="LiveNode.Hardware"/>), before anything is applied. Pure: it reads only the demand
/// and the node's immutable capabilities. A check runs only when the demand asks for what it
/// checks; a check whose answer the node did not give is <see cref="CheckOutcome.Skipped"/>.
/// </summary>
/// <remarks>
/// Always refused (libvirt would refuse the definition, or the domain could never start there):
/// a CPU model the node does not know, host-passthrough where the domain type cannot do it, UEFI
/// or Secure Boot without such firmware, a TPM without the emulator backend, more guest NUMA cells
/// than host cells with <c>numaTune: strict</c>. Only at start (refused for a domain whose desired
/// state is running, warned for a stopped one): a known CPU model the host cannot run
/// (<c>usable='no'</c>), required CPU features the host lacks, a huge page size the host lacks,
/// and too few free huge pages.
/// </remarks>
public static partial class NodeChecks
{
    /// <summary>The checks of <paramref name="demand"/> on <paramref name="node"/>, in a fixed order.</summary>
    /// <param name="demand">What the domain asks.</param>
    /// <param name="node">The node it is planned on (or a placement candidate).</param>
    /// <param name="runningHere">The domain already runs on this node: the huge pages it holds are not free and need not be.</param>
    public static IReadOnlyList<CheckResult> Run(HardwareDemand demand, LiveNode node, bool runningHere = false)
    {
        var results = new List<CheckResult>();
        var hw = node.Hardware ?? NodeHardware.NotRead("the node's capabilities were not read");
        var key = demand.CapsKey(node.DomainType);
        HardwareAnswer<DomainCapabilities> caps = demand.NeedsDomainCaps
            ? hw.DomainCaps.GetValueOrDefault(key) ?? HardwareAnswer<DomainCapabilities>.Missing($"domain capabilities for {key} were not read")
            : HardwareAnswer<DomainCapabilities>.Missing("not needed");
        var startOnly = demand.Running ? CheckOutcome.Refused : CheckOutcome.Warned;
        var atStart = demand.Running ? "" : " (the domain is stopped: it would fail when started)";

        if (demand.CpuMode == "custom" && demand.CpuModel is { Length: > 0 } model)
        {
            if (caps.Value?.CustomModels is not { } models)
            {
                results.Add(new("cpu-model", CheckOutcome.Skipped, $"CPU model {model} not checked: {caps.Unavailable ?? $"the domain capabilities for {key} list no custom CPU models"}"));
            }
            else if (!models.TryGetValue(model, out var usable))
            {
                var known = models.Count == 0 ? "it knows no custom models"
                    : $"it knows {models.Count} models, e.g. {string.Join(", ", models.Where(m => m.Value == "yes").Select(m => m.Key).Order(StringComparer.Ordinal).Take(5))}";
                results.Add(new("cpu-model", CheckOutcome.Refused, $"CPU model {model} is not known to the node for {key} ({known})"));
            }
            else if (usable == "no")
            {
                results.Add(new("cpu-model", startOnly, $"CPU model {model} is known but cannot run on the node's CPU for {key} (usable='no'){atStart}"));
            }
            else if (usable == "yes")
            {
                results.Add(new("cpu-model", CheckOutcome.Passed, $"CPU model {model} is usable"));
            }
            else
            {
                results.Add(new("cpu-model", CheckOutcome.Skipped, $"CPU model {model} is known; whether the host can run it the node does not say (usable='{usable}')"));
            }
        }

        if (demand.CompareKey(node.DomainType) is { } compareKey)
        {
            var features = string.Join(", ", demand.RequiredFeatures);
            var comparison = hw.CpuComparisons.GetValueOrDefault(compareKey) ?? HardwareAnswer<CpuComparison>.Missing("the comparison was not made");
            if (comparison.Value is not { } c)
            {
                results.Add(new("cpu-features", CheckOutcome.Skipped, $"required features {features} not checked: {comparison.Unavailable}"));
            }
            else if (!c.Compatible)
            {
                results.Add(new("cpu-features", startOnly,
                    $"the host cannot give CPU {compareKey.Model} with required features {features}{(c.Detail.Length > 0 ? $" ({c.Detail})" : "")}{atStart}"));
            }
            else
            {
                results.Add(new("cpu-features", CheckOutcome.Passed, $"required features {features} available"));
            }
        }

        if (demand.CpuMode == "host-passthrough")
        {
            results.Add(caps.Value is not { } dc
                ? new("host-passthrough", CheckOutcome.Skipped, $"not checked: {caps.Unavailable}")
                : dc.HostPassthrough
                    ? new("host-passthrough", CheckOutcome.Passed, $"supported for {key}")
                    : new("host-passthrough", CheckOutcome.Refused, $"CPU mode host-passthrough is not supported for {key} on the node"));
        }

        if (demand.Uefi)
        {
            var check = demand.SecureBoot ? "secure-boot" : "uefi";
            if (caps.Value?.Firmware is not { } fw)
            {
                results.Add(new(check, CheckOutcome.Skipped, $"firmware not checked: {caps.Unavailable ?? $"the domain capabilities for {key} say nothing about firmware"}"));
            }
            else if (!fw.Efi)
            {
                results.Add(new(check, CheckOutcome.Refused, $"the node offers no UEFI firmware for {key} (install OVMF)"));
            }
            else if (demand.SecureBoot && !fw.SecureBoot)
            {
                results.Add(new(check, CheckOutcome.Refused, $"the node offers no Secure Boot firmware for {key} (no loader with secure='yes'; install OVMF with its Secure Boot builds and firmware descriptors)"));
            }
            else
            {
                results.Add(new(check, CheckOutcome.Passed, demand.SecureBoot ? "Secure Boot firmware present" : "UEFI firmware present"));
            }
        }

        if (demand.Tpm)
        {
            if (caps.Value?.Tpm is not { } tpm)
            {
                results.Add(new("tpm", CheckOutcome.Skipped, $"not checked: {caps.Unavailable ?? $"the domain capabilities for {key} say nothing about TPMs"}"));
            }
            else if (!tpm.Supported || !tpm.Backends.Contains("emulator"))
            {
                results.Add(new("tpm", CheckOutcome.Refused, $"the node has no TPM emulator backend for {key} (backends: {(tpm.Backends.Count == 0 ? "none" : string.Join(", ", tpm.Backends))}; install swtpm)"));
            }
            else
            {
                results.Add(new("tpm", CheckOutcome.Passed, "TPM emulator backend present"));
            }
        }

        if (demand.HugePageKiB is { } pageKiB)
        {
            var size = ByteSize.Format(pageKiB * 1024);
            if (hw.Host.Value is not { } host)
            {
                results.Add(new("hugepages", CheckOutcome.Skipped, $"{size} pages not checked: {hw.Host.Unavailable}"));
            }
            else if (!host.PageSizesKiB.Contains(pageKiB))
            {
                results.Add(new("hugepages", startOnly,
                    $"the node has no {size} pages (it has {string.Join(", ", host.PageSizesKiB.Select(p => ByteSize.Format(p * 1024)))}){atStart}"));
            }
            else if (runningHere)
            {
                results.Add(new("hugepages", CheckOutcome.Passed, $"{size} pages present (the running domain holds its own)"));
            }
            else if (hw.FreePages.Value is not { } free)
            {
                results.Add(new("hugepages", CheckOutcome.Skipped, $"{size} pages exist; free pages not checked: {hw.FreePages.Unavailable}"));
            }
            else
            {
                var pages = free.Counts.Where(f => f.PageKiB == pageKiB).Aggregate(0UL, (sum, f) => sum + f.Free);
                var need = (demand.HugePageBytes + (pageKiB * 1024) - 1) / (pageKiB * 1024);
                results.Add(pages >= need
                    ? new("hugepages", CheckOutcome.Passed, $"{N(pages)} free {size} pages, {N(need)} needed")
                    : new("hugepages", startOnly, $"needs {N(need)} free {size} pages for {ByteSize.Format(demand.HugePageBytes)}, the node has {N(pages)} free{atStart}"));
            }
        }

        if (demand.NumaCells > 0 && demand.NumaStrict)
        {
            if (hw.Host.Value is not { } host)
            {
                results.Add(new("numa", CheckOutcome.Skipped, $"not checked: {hw.Host.Unavailable}"));
            }
            else if (host.Cells.Count == 0)
            {
                results.Add(new("numa", CheckOutcome.Skipped, "not checked: the node does not report its NUMA cells"));
            }
            else if (demand.NumaCells > host.Cells.Count)
            {
                results.Add(new("numa", CheckOutcome.Refused, $"{N(demand.NumaCells)} guest NUMA cells with numaTune strict, the node has {N(host.Cells.Count)} cell{(host.Cells.Count == 1 ? "" : "s")}"));
            }
            else
            {
                results.Add(new("numa", CheckOutcome.Passed, $"{N(demand.NumaCells)} of {N(host.Cells.Count)} host cells"));
            }
        }
        DeviceChecks(demand, node, hw, results);
        return results;
    }

    /// <summary>The checks that refuse, as one line (<c>cpu-model: …; tpm: …</c>), or null when none does.</summary>
    public static string? Refusal(IReadOnlyList<CheckResult> results)
    {
        var refused = results.Where(r => r.Outcome == CheckOutcome.Refused).ToList();
        return refused.Count == 0 ? null : string.Join("; ", refused);
    }

    private static string N(long n) => n.ToString(CultureInfo.InvariantCulture);

    private static string N(ulong n) => n.ToString(CultureInfo.InvariantCulture);

    private static string N(int n) => n.ToString(CultureInfo.InvariantCulture);
}
