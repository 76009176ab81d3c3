using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>
/// Resolves <c>spec.hostdevs</c> selectors (<c>{class: gpu, vendor: "10de"}</c>) to a free matching
/// PCI device of the domain's node: the device the domain's own definition already has, when it
/// still matches (a choice is kept), else the lowest free address. Free: no other domain of the node
/// holds it, and no item resolved earlier in this plan took it. Deterministic: domains are resolved
/// in the order the planner visits them, devices by address.
/// </summary>
public sealed class HostdevSelection
{
    private readonly Dictionary<string, HashSet<string>> _taken = new(StringComparer.Ordinal);

    /// <summary>Whether a node's PCI device matches a selector.</summary>
    public static bool Matches(HostdevSelector select, HostPciDevice device) =>
        HostdevClasses.Matches(select.Class, device.ClassCode)
        && (select.Vendor is null || select.Vendor == device.Vendor)
        && (select.Product is null || select.Product == device.Product);

    /// <summary>
    /// <paramref name="spec"/> with each selector given the address it gets on <paramref name="node"/>
    /// (left without one when none is free: the node checks then refuse it, naming the selector).
    /// A spec without selectors is returned as it is.
    /// </summary>
    public DomainSpec Resolve(DomainSpec spec, LiveNode node)
    {
        if (!spec.Hostdevs.Any(h => h.Select is not null)) return spec;
        if (node.Hardware?.Devices.Value is not { } devices) return spec;
        if (!_taken.TryGetValue(node.Node, out var taken)) _taken[node.Node] = taken = new HashSet<string>(StringComparer.Ordinal);
        var holders = HostdevHolders.Of(node, spec.Name);
        var own = node.Domains.FirstOrDefault(d => d.Name == spec.Name)?.Config?.Hostdevs ?? [];
        var named = spec.Hostdevs.Where(h => h.Select is null && h.Pci is not null).Select(h => h.Pci!).ToHashSet(StringComparer.Ordinal);
        var result = new List<HostdevSpec>(spec.Hostdevs.Count);
        foreach (var h in spec.Hostdevs)
        {
            if (h.Select is not { } select)
            {
                result.Add(h);
                continue;
            }
            bool Free(HostPciDevice d) => Matches(select, d) && !taken.Contains(d.Address) && !named.Contains(d.Address) && !holders.Holds("pci " + d.Address);
            var kept = own.Select(o => o.Pci).OfType<string>().Select(devices.PciAt).OfType<HostPciDevice>().FirstOrDefault(Free);
            var chosen = kept ?? devices.Pci.FirstOrDefault(Free);
            if (chosen is null)
            {
                result.Add(h with { Pci = null });
                continue;
            }
            taken.Add(chosen.Address);
            result.Add(h with { Pci = chosen.Address });
        }
        return spec with { Hostdevs = result };
    }

    /// <summary>The choices as a suffix of the placement line (<c>; hostdevs: class gpu → 0000:03:00.0</c>), or empty.</summary>
    public static string ChoicesText(DomainSpec spec) => Choices(spec) is { Count: > 0 } c ? "; hostdevs: " + string.Join(", ", c) : "";

    /// <summary>The choices made for <paramref name="spec"/>, for the plan: <c>class gpu vendor 10de → 0000:03:00.0</c>; empty when it has no selectors.</summary>
    public static IReadOnlyList<string> Choices(DomainSpec spec) =>
        spec.Hostdevs.Where(h => h.Select is not null).Select(h => $"{h.Select} → {h.Pci ?? "none free"}").ToList();
}
