namespace Reconciler.Engine.Output;

/// <summary>One-line descriptions of pools, volumes, seeds and networks to be created, for the human plan.</summary>
internal static class StorageText
{
    /// <summary>The line for a pool, volume, seed or network change with a spec; null for other changes.</summary>
    public static string? Describe(ResourceChange change)
    {
        if (change is PoolChange { Spec: { } p })
        {
            var what = p.Type switch
            {
                StoragePoolType.Logical => $"logical, volume group {p.Source?.Name} on {string.Join(", ", p.Source?.Devices ?? [])}" + (p.Build ? " (built: vgcreate)" : ""),
                StoragePoolType.Netfs => $"netfs {p.Source?.Host}:{p.Source?.Export} on {p.Path}",
                StoragePoolType.Rbd => $"rbd pool {p.Source?.Name} on {string.Join(", ", p.Source?.MonitorHosts ?? [])}",
                StoragePoolType.Iscsi => $"iscsi {p.Source?.Iqn} at {p.Source?.Host}",
                _ => $"dir {p.Path}",
            };
            return what + (p.Autostart ? ", autostart" : "");
        }
        if (change is SeedChange { CloudInit: { } ci } seed) return $"cloud-init seed of {seed.Domain} in pool {seed.Pool}, instance-id {ci.InstanceId}";
        if (change is VolumeChange { Spec: { } v })
        {
            var text = $"{ByteSize.Format(v.SizeBytes)} {v.Format.ToString().ToLowerInvariant()} in pool {v.Pool}, deletionPolicy {v.DeletionPolicy}";
            if (v.BaseImage is { } b) text += $", {(b.Mode == BaseImageMode.Backing ? "backed by" : "copied from")} {b.Source}" + (b.Sha256 is null ? "" : " (sha256 checked)");
            return text;
        }
        if (change is NetworkChange { Spec: { } n })
        {
            var text = n.Mode.ToString().ToLowerInvariant();
            if (n.Bridge is not null) text += $", bridge {n.Bridge}";
            if (n.Ipv4 is { } ip)
            {
                text += $", {ip.Address}/{ip.Prefix}";
                if (ip.DhcpStart is not null) text += $", DHCP {ip.DhcpStart}-{ip.DhcpEnd}";
                if (ip.Hosts.Count > 0) text += $", {ip.Hosts.Count} static lease(s)";
            }
            if (n.ForwardDev is not null) text += n.Mode == NetworkMode.Hostdev ? $", VFs of {n.ForwardDev}" : $", macvtap {n.DirectMode} on {n.ForwardDev}";
            if (n.Ipv6 is { } v6) text += $", {v6.Address}/{v6.Prefix}" + (v6.DhcpStart is null ? "" : $", DHCPv6 {v6.DhcpStart}-{v6.DhcpEnd}");
            if (n.Mtu is { } mtu) text += $", mtu {mtu}";
            if (n.Domain is not null) text += $", domain {n.Domain}";
            if (n.Forwarders.Count > 0) text += $", DNS via {string.Join(" ", n.Forwarders)}";
            if (n.DnsHosts.Count > 0) text += $", {n.DnsHosts.Count} DNS host(s)";
            return text + (n.Autostart ? ", autostart" : "");
        }
        return null;
    }
}
