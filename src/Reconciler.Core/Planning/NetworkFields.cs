using Reconciler.Core.Fields;
using Reconciler.Core.Model;

namespace Reconciler.Core.Planning;

/// <summary>One owned field of a network and what changing it costs.</summary>
/// <param name="Path">Manifest path; list items are keyed (<c>spec.ipv4.dhcp.hosts[52:54:00:00:00:01]</c>).</param>
/// <param name="Value">Canonical value; null means "not specified" (libvirt's choice is kept).</param>
/// <param name="Live">True when it can change on the running network (<c>virNetworkUpdate</c>); false when the network must be recreated.</param>
public sealed record NetworkField(string Path, string? Value, bool Live);

/// <summary>
/// The one place that says which fields of a <see cref="NetworkSpec"/> are owned and how they compare:
/// mode, bridge, the IPv4 address/prefix, pf/dev/directMode, mtu, domain, DNS forwarders and the
/// IPv6 subnet and range need a new network; the DHCP range, static DHCP hosts
/// and DNS hosts change live.
/// </summary>
public static class NetworkFields
{
    /// <summary>The owned fields in a stable order.</summary>
    public static IReadOnlyList<NetworkField> Flatten(NetworkSpec spec)
    {
        var f = new List<NetworkField>
        {
            new(NetworkPaths.Mode.Text, spec.Mode.ToString().ToLowerInvariant(), false),
            new(NetworkPaths.Bridge.Text, spec.Bridge, false),
            new(NetworkPaths.Ipv4Address.Text, spec.Ipv4 is { } ip ? $"{ip.Address}/{ip.Prefix}" : "", false),
            new("spec.pf", spec.Mode == NetworkMode.Hostdev ? spec.ForwardDev ?? "" : "", false),
            new("spec.dev", spec.Mode == NetworkMode.Direct ? spec.ForwardDev ?? "" : "", false),
            new("spec.directMode", spec.Mode == NetworkMode.Direct ? spec.DirectMode ?? "bridge" : "", false),
            new("spec.mtu", spec.Mtu is { } mtu ? mtu.ToString(System.Globalization.CultureInfo.InvariantCulture) : "", false),
            new("spec.domain", spec.Domain ?? "", false),
            new("spec.dnsForwarders", string.Join(",", spec.Forwarders), false),
            new("spec.ipv6.address", spec.Ipv6 is { } v6 ? $"{v6.Address}/{v6.Prefix}" : "", false),
            new("spec.ipv6.dhcp.range", spec.Ipv6 is { DhcpStart: { } s6 } r6 ? $"{s6}-{r6.DhcpEnd}" : "", false),
        };
        if (spec.Ipv4 is { } v4)
        {
            f.Add(new("spec.ipv4.dhcp.range", v4.DhcpStart is null ? "" : $"{v4.DhcpStart}-{v4.DhcpEnd}", true));
            foreach (var host in v4.Hosts.OrderBy(h => h.Mac, StringComparer.Ordinal))
            {
                f.Add(new($"spec.ipv4.dhcp.hosts[{host.Mac}]", host.Name is null ? host.Ip : $"{host.Ip} {host.Name}", true));
            }
        }
        foreach (var group in spec.DnsHosts.GroupBy(h => h.Ip).OrderBy(g => Ipv4.TryParse(g.Key, out var a) ? a : 0))
        {
            f.Add(new($"spec.dnsHosts[{group.Key}]", string.Join(",", group.Select(h => h.Hostname).Order(StringComparer.Ordinal)), true));
        }
        return f;
    }

    /// <summary>Whether changing <paramref name="path"/> needs a new network (a field that cannot change live).</summary>
    public static bool NeedsRecreate(FieldPath path) => path == NetworkPaths.Mode || path == NetworkPaths.Bridge || path == NetworkPaths.Ipv4Address
        || path.Text is "spec.pf" or "spec.dev" or "spec.directMode" or "spec.mtu" or "spec.domain" or "spec.dnsForwarders" or "spec.ipv6.address" or "spec.ipv6.dhcp.range";

    /// <summary>Owned fields whose values differ (desired null = not owned; items only on the live side are removals).</summary>
    public static IReadOnlyList<(NetworkField Field, string? Before)> Diff(NetworkSpec desired, NetworkSpec live)
    {
        var have = Flatten(live).ToDictionary(x => x.Path, x => x.Value, StringComparer.Ordinal);
        var diffs = new List<(NetworkField, string?)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var field in Flatten(desired))
        {
            seen.Add(field.Path);
            if (field.Value is null) continue;
            have.TryGetValue(field.Path, out var before);
            if (!string.Equals(before ?? "", field.Value, StringComparison.Ordinal)) diffs.Add((field, before));
        }
        foreach (var field in Flatten(live))
        {
            if (seen.Contains(field.Path) || field.Value is null || !field.Live || !field.Path.EndsWith(']')) continue;
            diffs.Add((field with { Value = null }, field.Value));
        }
        return diffs;
    }
}
