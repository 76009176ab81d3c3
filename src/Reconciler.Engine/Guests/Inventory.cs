using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Reconciler.Engine.Guests;

/// <summary>One inventory host: a declared domain and what its guest read gave.</summary>
/// <param name="Name">The host (domain) name.</param>
/// <param name="AnsibleHost">The address to reach it at (<see cref="GuestStatus.Primary"/>), or null when none is known.</param>
/// <param name="Node">The node it runs on, or null.</param>
/// <param name="Vcpus">vCPUs (the spec's).</param>
/// <param name="MemoryMiB">Memory in MiB (the spec's).</param>
/// <param name="Addresses">Every address known, in order of trust.</param>
/// <param name="Groups">The groups from its labels (<c>tier=web</c> → <c>tier_web</c>), sorted.</param>
public sealed record InventoryHost(string Name, string? AnsibleHost, string? Node, int Vcpus, ulong MemoryMiB,
    IReadOnlyList<string> Addresses, IReadOnlyList<string> Groups);

/// <summary>
/// An Ansible inventory of the declared domains: hosts by name, <c>ansible_host</c> = the first
/// address, groups from labels, host vars node, vcpus, memory (MiB) and addresses. Stable order:
/// hosts and groups sorted by name (ordinal), so the same estate gives the same bytes.
/// </summary>
public static class Inventory
{
    /// <summary>The hosts of <paramref name="specs"/> with what <paramref name="statuses"/> says about them.</summary>
    public static IReadOnlyList<InventoryHost> Hosts(IEnumerable<DomainSpec> specs, IEnumerable<GuestStatus> statuses)
    {
        var byName = statuses.ToDictionary(s => s.Name, StringComparer.Ordinal);
        return [.. specs.OrderBy(d => d.Name, StringComparer.Ordinal).Select(d =>
        {
            var status = byName.GetValueOrDefault(d.Name);
            return new InventoryHost(d.Name, status?.Primary?.Address, status?.Node ?? d.Node, d.Vcpus, d.MemoryBytes / (1024 * 1024),
                status?.Addresses.Select(a => a.Address).Distinct(StringComparer.Ordinal).ToList() ?? [],
                d.Meta.Labels.Select(l => GroupName(l.Key, l.Value)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList());
        })];
    }

    /// <summary><c>tier=web</c> → <c>tier_web</c>: every character Ansible does not allow in a group name becomes <c>_</c>.</summary>
    public static string GroupName(string key, string value)
    {
        var text = new StringBuilder(key.Length + value.Length + 1);
        foreach (var c in key + "_" + value) text.Append(char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_');
        if (char.IsAsciiDigit(text[0])) text.Insert(0, '_');
        return text.ToString();
    }

    private static SortedDictionary<string, List<string>> Groups(IReadOnlyList<InventoryHost> hosts)
    {
        var groups = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var h in hosts)
        {
            foreach (var g in h.Groups)
            {
                if (!groups.TryGetValue(g, out var members)) groups[g] = members = [];
                members.Add(h.Name);
            }
        }
        return groups;
    }

    /// <summary>The YAML inventory (<c>all: {hosts: …, children: …}</c>).</summary>
    public static string Yaml(IReadOnlyList<InventoryHost> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var w = new StringBuilder();
        w.Append("# Ansible inventory written by `reconcile inventory`.\n");
        w.Append("all:\n");
        w.Append(hosts.Count == 0 ? "  hosts: {}\n" : "  hosts:\n");
        foreach (var h in hosts)
        {
            w.Append("    ").Append(h.Name).Append(":\n");
            if (h.AnsibleHost is { } address) w.Append("      ansible_host: ").Append(Quote(address)).Append('\n');
            w.Append("      node: ").Append(h.Node is null ? "null" : Quote(h.Node)).Append('\n');
            w.Append("      vcpus: ").Append(h.Vcpus.ToString(CultureInfo.InvariantCulture)).Append('\n');
            w.Append("      memory: ").Append(h.MemoryMiB.ToString(CultureInfo.InvariantCulture)).Append('\n');
            w.Append("      addresses: [").Append(string.Join(", ", h.Addresses.Select(Quote))).Append("]\n");
        }
        var groups = Groups(hosts);
        if (groups.Count > 0)
        {
            w.Append("  children:\n");
            foreach (var (group, members) in groups)
            {
                w.Append("    ").Append(group).Append(":\n      hosts:\n");
                foreach (var m in members) w.Append("        ").Append(m).Append(": {}\n");
            }
        }
        return w.ToString();
    }

    /// <summary>The INI inventory: every host with its vars under <c>[all]</c>, then one section per group.</summary>
    public static string Ini(IReadOnlyList<InventoryHost> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var w = new StringBuilder();
        w.Append("# Ansible inventory written by `reconcile inventory --output ini`.\n[all]\n");
        foreach (var h in hosts)
        {
            w.Append(h.Name);
            if (h.AnsibleHost is { } address) w.Append(" ansible_host=").Append(address);
            if (h.Node is { } node) w.Append(" node=").Append(node);
            w.Append(" vcpus=").Append(h.Vcpus.ToString(CultureInfo.InvariantCulture));
            w.Append(" memory=").Append(h.MemoryMiB.ToString(CultureInfo.InvariantCulture));
            w.Append(" addresses='").Append(JsonSerializer.Serialize(h.Addresses)).Append("'\n");
        }
        foreach (var (group, members) in Groups(hosts))
        {
            w.Append('\n').Append('[').Append(group).Append("]\n");
            foreach (var m in members) w.Append(m).Append('\n');
        }
        return w.ToString();
    }

    /// <summary>The JSON an inventory script prints for <c>--list</c>: groups, and host vars under <c>_meta.hostvars</c>.</summary>
    public static string Json(IReadOnlyList<InventoryHost> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        var groups = Groups(hosts);
        var root = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["_meta"] = new { hostvars = hosts.ToDictionary(h => h.Name, Vars, StringComparer.Ordinal) },
            ["all"] = new { hosts = hosts.Select(h => h.Name).ToList(), children = groups.Keys.ToList() },
        };
        foreach (var (group, members) in groups) root[group] = new { hosts = members };
        return JsonSerializer.Serialize(root, new JsonSerializerOptions { WriteIndented = true }) + "\n";
    }

    private static SortedDictionary<string, object?> Vars(InventoryHost h)
    {
        var vars = new SortedDictionary<string, object?>(StringComparer.Ordinal)
        {
            ["node"] = h.Node, ["vcpus"] = h.Vcpus, ["memory"] = h.MemoryMiB, ["addresses"] = h.Addresses,
        };
        if (h.AnsibleHost is { } address) vars["ansible_host"] = address;
        return vars;
    }

    /// <summary>A JSON string is a YAML double-quoted scalar.</summary>
    private static string Quote(string text) => JsonSerializer.Serialize(text);
}
