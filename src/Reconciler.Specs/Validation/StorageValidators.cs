using FluentValidation;
using Reconciler.Core.Model;
using Reconciler.Core.Fields;
using Reconciler.Specs.Kinds;
using static Reconciler.Specs.DiagnosticCodes;

namespace Reconciler.Specs.Validation;

/// <summary>Semantic rules of a <see cref="StoragePoolSpec"/>: name, node, an absolute normalised path.</summary>
public sealed class StoragePoolSpecValidator : AbstractValidator<StoragePoolSpec>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="nodeNames">The Nodes defined in the same set.</param>
    public StoragePoolSpecValidator(IReadOnlyCollection<string>? nodeNames = null)
    {
        RuleFor(p => p).Custom((p, ctx) =>
        {
            Failures.CheckMeta(p.Meta, ctx);
            if (!Regexes.Token.IsMatch(p.Name))
            {
                Failures.Add(ctx, InvalidName, "metadata.name", $"'{Failures.Printable(p.Name)}' is not a valid pool name", "letters, digits and _ . - only (no '+')");
            }
            StorageRules.CheckNode(p.Node, nodeNames ?? [], ctx);
            var written = p.Meta.Origin.Fields;
            var type = PoolTypes.Xml(p.Type);
            if (p.Type is StoragePoolType.Dir or StoragePoolType.Netfs)
            {
                if (!written.ContainsKey("spec.path") && p.Path.Length == 0)
                {
                    Failures.Add(ctx, MissingField, "spec.path", $"a {type} pool needs path: the directory on the node", "e.g. path: /var/lib/libvirt/pools/lab", "spec.type");
                }
                else
                {
                    PoolRules.CheckPath(p.Path, "spec.path", "a pool path is an absolute directory on the node, e.g. /var/lib/libvirt/pools/lab", ctx);
                }
            }
            else if (written.ContainsKey("spec.path"))
            {
                Failures.Add(ctx, ConflictingFields, "spec.path", $"a {type} pool has no path of its own" + (p.Type == StoragePoolType.Logical ? " (libvirt uses /dev/VOLUMEGROUP)" : ""), "remove path", "spec.type");
            }
            foreach (var (field, only) in new[] { ("devices", StoragePoolType.Logical), ("volumeGroup", StoragePoolType.Logical), ("build", StoragePoolType.Logical),
                ("netfs", StoragePoolType.Netfs), ("rbd", StoragePoolType.Rbd), ("iscsi", StoragePoolType.Iscsi) })
            {
                if (p.Type != only && written.ContainsKey("spec." + field))
                {
                    Failures.Add(ctx, ConflictingFields, "spec." + field, $"{field} is for {PoolTypes.Xml(only)} pools, not {type}", $"remove {field}, or set type: {PoolTypes.Xml(only)}", "spec.type");
                }
            }
            switch (p.Type)
            {
                case StoragePoolType.Logical:
                {
                    var devices = p.Source?.Devices ?? [];
                    if (devices.Count == 0)
                    {
                        Failures.Add(ctx, MissingField, "spec.devices", "a logical pool needs the block devices of its volume group", "e.g. devices: [/dev/sdb]", "spec.type");
                    }
                    var seen = new HashSet<string>(StringComparer.Ordinal);
                    for (var i = 0; i < devices.Count; i++)
                    {
                        var at = $"spec.devices[{i}]";
                        if (!PoolRules.CheckPath(devices[i], at, "a device is an absolute path on the node, e.g. /dev/sdb or /dev/disk/by-id/…", ctx)) continue;
                        if (!devices[i].StartsWith("/dev/", StringComparison.Ordinal))
                        {
                            Failures.Add(ctx, InvalidPath, at, $"'{Failures.Printable(devices[i])}' is not under /dev", "a physical volume is a block device, e.g. /dev/sdb");
                        }
                        else if (!seen.Add(devices[i]))
                        {
                            Failures.Add(ctx, DuplicateDisk, at, $"{devices[i]} is listed twice", "list each device once");
                        }
                    }
                    if (p.Source?.Name is { } vg && !System.Text.RegularExpressions.Regex.IsMatch(vg, StoragePatterns.VolumeGroup))
                    {
                        Failures.Add(ctx, InvalidName, written.ContainsKey("spec.volumeGroup") ? "spec.volumeGroup" : "metadata.name",
                            $"'{Failures.Printable(vg)}' is not an LVM volume group name", "letters, digits and + _ . - (not starting with '-'), or set volumeGroup:");
                    }
                    break;
                }
                case StoragePoolType.Netfs:
                    if (p.Source is not { } n)
                    {
                        Failures.Add(ctx, MissingField, "spec.netfs", "a netfs pool needs netfs: {host, export}", "e.g. netfs: {host: nfs1.lab, export: /exports/vms}", "spec.type");
                        break;
                    }
                    PoolRules.CheckHost(n.Host ?? "", "spec.netfs.host", port: false, ctx);
                    PoolRules.CheckPath(n.Export ?? "", "spec.netfs.export", "the export is an absolute directory on the server, e.g. /exports/vms", ctx);
                    break;
                case StoragePoolType.Rbd:
                    if (p.Source is not { } r)
                    {
                        Failures.Add(ctx, MissingField, "spec.rbd", "an rbd pool needs rbd: {hosts, pool}", "e.g. rbd: {hosts: [\"ceph-mon1:6789\"], pool: rbd}", "spec.type");
                        break;
                    }
                    if (r.MonitorHosts.Count == 0) Failures.Add(ctx, MissingField, "spec.rbd.hosts", "an rbd pool needs at least one Ceph monitor", "e.g. hosts: [\"ceph-mon1:6789\"]");
                    for (var i = 0; i < r.MonitorHosts.Count; i++) PoolRules.CheckHost(r.MonitorHosts[i], $"spec.rbd.hosts[{i}]", port: true, ctx);
                    if (r.Name is null || !System.Text.RegularExpressions.Regex.IsMatch(r.Name, StoragePatterns.CephName))
                    {
                        Failures.Add(ctx, InvalidValue, "spec.rbd.pool", $"'{Failures.Printable(r.Name ?? "")}' is not a Ceph pool name", "letters, digits and _ . -");
                    }
                    if (r.Auth is { } auth)
                    {
                        if (!System.Text.RegularExpressions.Regex.IsMatch(auth.Username, StoragePatterns.CephUser))
                        {
                            Failures.Add(ctx, InvalidValue, "spec.rbd.auth.username", $"'{Failures.Printable(auth.Username)}' is not a Ceph user name", "e.g. libvirt (without client.)");
                        }
                        if (!System.Text.RegularExpressions.Regex.IsMatch(auth.SecretUuid, StoragePatterns.Uuid))
                        {
                            Failures.Add(ctx, InvalidValue, "spec.rbd.auth.secretUuid", $"'{Failures.Printable(auth.SecretUuid)}' is not a UUID", "the UUID of a libvirt secret (virsh secret-list), e.g. 11111111-2222-3333-4444-555555555555");
                        }
                    }
                    break;
                case StoragePoolType.Iscsi:
                    if (p.Source is not { } t)
                    {
                        Failures.Add(ctx, MissingField, "spec.iscsi", "an iscsi pool needs iscsi: {host, iqn}", "e.g. iscsi: {host: san1.lab, iqn: iqn.2004-04.com.example:storage.lun1}", "spec.type");
                        break;
                    }
                    PoolRules.CheckHost(t.Host ?? "", "spec.iscsi.host", port: true, ctx);
                    if (t.Iqn is null || !System.Text.RegularExpressions.Regex.IsMatch(t.Iqn, StoragePatterns.Iqn))
                    {
                        Failures.Add(ctx, InvalidValue, "spec.iscsi.iqn", $"'{Failures.Printable(t.Iqn ?? "")}' is not an iSCSI name", "iqn.YYYY-MM.reversed.domain:name (or eui./naa.), e.g. iqn.2004-04.com.example:storage.lun1");
                    }
                    break;
            }
        });
    }
}

/// <summary>Semantic rules of a <see cref="VolumeSpec"/>: name, pool, size range, base image.</summary>
public sealed class VolumeSpecValidator : AbstractValidator<VolumeSpec>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="nodeNames">The Nodes defined in the same set.</param>
    public VolumeSpecValidator(IReadOnlyCollection<string>? nodeNames = null)
    {
        RuleFor(v => v).Custom((v, ctx) =>
        {
            Failures.CheckMeta(v.Meta, ctx);
            if (!Regexes.Token.IsMatch(v.Name))
            {
                Failures.Add(ctx, InvalidName, "metadata.name", $"'{Failures.Printable(v.Name)}' is not a valid volume name", "letters, digits and _ . - only (no '+'), up to 64");
            }
            if (v.Name == StorageLedger.VolumeName || v.Name.StartsWith("base-", StringComparison.Ordinal) && v.Name.Length > 21 && v.Name[5..21].All(char.IsAsciiHexDigitLower))
            {
                Failures.Add(ctx, InvalidName, "metadata.name", $"the volume name '{v.Name}' is reserved by Reconciler (ledger, base images)", "choose another name");
            }
            if (v.Node is not null) StorageRules.CheckNode(v.Node, nodeNames ?? [], ctx);
            if (!Regexes.Token.IsMatch(v.Pool))
            {
                Failures.Add(ctx, InvalidValue, "spec.pool", $"'{Failures.Printable(v.Pool)}' is not a pool name", "letters, digits and _ . - only");
            }
            if (v.SizeBytes < StoragePatterns.MinVolume || v.SizeBytes > StoragePatterns.MaxVolume)
            {
                Failures.Add(ctx, OutOfRange, "spec.size", $"a volume size must be between 1MiB and 64TiB, got {ByteSize.Format(v.SizeBytes)}", "e.g. size: 20GiB");
            }
            if (v.BaseImage is { } b)
            {
                if (b.Mode == BaseImageMode.Backing && v.Format != VolumeFormat.Qcow2)
                {
                    Failures.Add(ctx, ConflictingFields, "spec.baseImage.mode", "a backing file needs a qcow2 volume", "set format: qcow2, or mode: copy", "spec.format");
                }
                if (b.Sha256 is { } sha && (sha.Length != 64 || !sha.All(char.IsAsciiHexDigit)))
                {
                    Failures.Add(ctx, InvalidValue, "spec.baseImage.sha256", $"'{Failures.Printable(sha)}' is not a SHA-256 (64 hex digits)", "e.g. the output of sha256sum IMAGE");
                }
                if (b.IsUrl)
                {
                    if (!Uri.TryCreate(b.Source, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || string.IsNullOrEmpty(uri.Host))
                    {
                        Failures.Add(ctx, InvalidValue, "spec.baseImage.source", $"'{Failures.Printable(b.Source)}' is not an http(s) URL", "e.g. https://example.org/images/base.qcow2");
                    }
                }
                else if (!File.Exists(b.LocalPath))
                {
                    Failures.Add(ctx, InvalidPath, "spec.baseImage.source", $"the base image '{Failures.Printable(b.Source)}' does not exist" + (b.LocalPath != b.Source ? $" ({b.LocalPath})" : ""),
                        "a path is read where Reconciler runs, relative to this spec file's directory (or absolute); or give an http(s) URL");
                }
            }
        });
    }
}

/// <summary>
/// Semantic rules of a <see cref="NetworkSpec"/>: name, mode against bridge and ipv4, the subnet,
/// the DHCP range inside it, and static hosts (unique MACs, addresses and names, inside the subnet).
/// </summary>
public sealed class NetworkSpecValidator : AbstractValidator<NetworkSpec>
{
    /// <summary>Creates the validator.</summary>
    /// <param name="nodeNames">The Nodes defined in the same set.</param>
    public NetworkSpecValidator(IReadOnlyCollection<string>? nodeNames = null)
    {
        RuleFor(n => n).Custom((n, ctx) =>
        {
            Failures.CheckMeta(n.Meta, ctx);
            if (!Regexes.Token.IsMatch(n.Name))
            {
                Failures.Add(ctx, InvalidName, "metadata.name", $"'{Failures.Printable(n.Name)}' is not a valid network name", "letters, digits and _ . - only (no '+')");
            }
            StorageRules.CheckNode(n.Node, nodeNames ?? [], ctx);
            if (n.Bridge is not null && !Regexes.Bridge.IsMatch(n.Bridge))
            {
                Failures.Add(ctx, InvalidValue, "spec.bridge", $"'{Failures.Printable(n.Bridge)}' is not a bridge name", "an interface name of up to 15 letters, digits and _ . : -");
            }
            if (n.Mode == NetworkMode.Bridge)
            {
                if (n.Bridge is null) Failures.Add(ctx, MissingField, "spec.bridge", "mode bridge needs the host bridge to use", "add bridge: br0", "spec.mode");
                if (n.Ipv4 is not null) Failures.Add(ctx, ConflictingFields, "spec.ipv4", "a bridge-mode network has no ipv4: the host bridge's own network serves addresses", "remove ipv4, or use mode nat/isolated", "spec.mode");
                if (n.DnsHosts.Count > 0) Failures.Add(ctx, ConflictingFields, "spec.dnsHosts", "a bridge-mode network has no DNS of its own", "remove dnsHosts", "spec.mode");
            }
            else if (n.Mode is NetworkMode.Hostdev or NetworkMode.Direct)
            {
                NetworkRules.CheckPassThrough(n, ctx);
            }
            else if (n.Ipv4 is null && (n.Mode == NetworkMode.Nat || n.Ipv6 is null))
            {
                Failures.Add(ctx, MissingField, "spec.ipv4", $"a {n.Mode.ToString().ToLowerInvariant()} network needs ipv4" + (n.Mode == NetworkMode.Nat ? "" : " or ipv6"), "add ipv4: {address: 198.51.100.1/24, dhcp: {start: 198.51.100.100, end: 198.51.100.199}}", "spec.mode");
            }
            NetworkRules.CheckModeFields(n, ctx);
            if (n.Ipv6 is { } ip6) NetworkRules.CheckIpv6(ip6, ctx);
            if (n.Ipv4 is { } ip) CheckIpv4(ip, ctx);
            var dnsSeen = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
            for (var i = 0; i < n.DnsHosts.Count; i++)
            {
                var h = n.DnsHosts[i];
                var p = $"spec.dnsHosts[{i}]";
                if (!Ipv4.TryParse(h.Ip, out var addr))
                {
                    Failures.Add(ctx, InvalidAddress, p + ".ip", $"'{Failures.Printable(h.Ip)}' is not an IPv4 address", "e.g. 198.51.100.11");
                }
                else if (n.Ipv4 is { } net && Ipv4.TryParse(net.Address, out var a) && net.Prefix is >= 8 and <= 30 && !Ipv4.Contains(a, net.Prefix, addr))
                {
                    // Allowed by dnsmasq, but almost always a typo.
                    Failures.Add(ctx, OverlappingNetwork, p + ".ip", $"{h.Ip} is outside the network's subnet {net.Address}/{net.Prefix}", "DNS entries name addresses on this network");
                }
                if (!StorageRules.IsHostname(h.Hostname))
                {
                    Failures.Add(ctx, InvalidValue, p + ".hostname", $"'{Failures.Printable(h.Hostname)}' is not a host name", "letters, digits and '-', dot-separated");
                }
                else if (dnsSeen.TryGetValue($"{h.Ip}|{h.Hostname}", out var first))
                {
                    Failures.Add(ctx, DuplicateHost, p, $"dnsHosts[{first}] already maps {h.Hostname} to {h.Ip}", "remove the repeated entry");
                }
                else
                {
                    dnsSeen[$"{h.Ip}|{h.Hostname}"] = i;
                }
            }
        });
    }

    private static void CheckIpv4(NetworkIpv4 ip, ValidationContext<NetworkSpec> ctx)
    {
        if (!Ipv4.TryParse(ip.Address, out var address) || ip.Prefix < 0)
        {
            Failures.Add(ctx, InvalidAddress, "spec.ipv4.address", $"'{Failures.Printable(ip.Address)}{(ip.Prefix >= 0 ? "/" + ip.Prefix : "")}' is not an IPv4 address with a prefix", "e.g. 198.51.100.1/24");
            return;
        }
        if (ip.Prefix is < 8 or > 30)
        {
            Failures.Add(ctx, OutOfRange, "spec.ipv4.address", $"the prefix must be between 8 and 30, got /{ip.Prefix}", "e.g. /24");
            return;
        }
        var mask = Ipv4.Mask(ip.Prefix);
        if ((address & ~mask) == 0 || (address | mask) == uint.MaxValue)
        {
            Failures.Add(ctx, InvalidAddress, "spec.ipv4.address", $"{ip.Address} is the network or broadcast address of /{ip.Prefix}", $"use a host address, e.g. {Ipv4.Format((address & mask) + 1)}/{ip.Prefix}");
            return;
        }
        bool Inside(uint a) => Ipv4.Contains(address, ip.Prefix, a) && (a & ~mask) != 0 && (a | mask) != uint.MaxValue;
        uint start = 0, end = 0;
        if ((ip.DhcpStart is null) != (ip.DhcpEnd is null))
        {
            Failures.Add(ctx, MissingField, ip.DhcpStart is null ? "spec.ipv4.dhcp.start" : "spec.ipv4.dhcp.end", "a DHCP range needs both start and end", "add the missing one");
        }
        else if (ip.DhcpStart is not null)
        {
            var ok = true;
            foreach (var (name, text) in new[] { ("start", ip.DhcpStart), ("end", ip.DhcpEnd!) })
            {
                if (!Ipv4.TryParse(text, out var a))
                {
                    Failures.Add(ctx, InvalidAddress, $"spec.ipv4.dhcp.{name}", $"'{Failures.Printable(text)}' is not an IPv4 address", "e.g. 198.51.100.100");
                    ok = false;
                }
                else if (!Inside(a))
                {
                    Failures.Add(ctx, OverlappingNetwork, $"spec.ipv4.dhcp.{name}", $"{text} is not a host address of the subnet {ip.Address}/{ip.Prefix}", "the DHCP range lies inside the network's subnet");
                    ok = false;
                }
            }
            if (ok)
            {
                Ipv4.TryParse(ip.DhcpStart, out start);
                Ipv4.TryParse(ip.DhcpEnd, out end);
                if (start > end)
                {
                    Failures.Add(ctx, InvalidValue, "spec.ipv4.dhcp.end", $"the DHCP range ends ({ip.DhcpEnd}) before it starts ({ip.DhcpStart})", "swap start and end");
                }
                else if (address >= start && address <= end)
                {
                    Failures.Add(ctx, OverlappingNetwork, "spec.ipv4.dhcp.start", $"the DHCP range {ip.DhcpStart}-{ip.DhcpEnd} contains the network's own address {ip.Address}", "start the range after it");
                }
            }
        }
        var macs = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var ips = new Dictionary<uint, int>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < ip.Hosts.Count; i++)
        {
            var h = ip.Hosts[i];
            var p = $"spec.ipv4.dhcp.hosts[{i}]";
            if (!Regexes.Mac.IsMatch(h.Mac))
            {
                Failures.Add(ctx, InvalidMac, p + ".mac", $"'{Failures.Printable(h.Mac)}' is not a MAC address", "six hex pairs separated by ':', quoted in YAML");
            }
            else if ((Convert.ToInt32(h.Mac[..2], 16) & 1) == 1)
            {
                Failures.Add(ctx, InvalidMac, p + ".mac", $"'{h.Mac}' is a multicast address", "the first byte must be even, e.g. 52:54:00:…");
            }
            else if (macs.TryGetValue(h.Mac, out var first))
            {
                Failures.Add(ctx, DuplicateHost, p + ".mac", $"hosts[{first}] already has MAC {h.Mac}", "each MAC gets one static lease per network");
            }
            else
            {
                macs[h.Mac] = i;
            }
            if (!Ipv4.TryParse(h.Ip, out var a))
            {
                Failures.Add(ctx, InvalidAddress, p + ".ip", $"'{Failures.Printable(h.Ip)}' is not an IPv4 address", "e.g. 198.51.100.11");
            }
            else if (!Inside(a) || a == address)
            {
                Failures.Add(ctx, OverlappingNetwork, p + ".ip", a == address ? $"{h.Ip} is the network's own address" : $"{h.Ip} is not a host address of the subnet {ip.Address}/{ip.Prefix}",
                    "static leases are host addresses inside the subnet");
            }
            else if (ips.TryGetValue(a, out var first))
            {
                Failures.Add(ctx, DuplicateHost, p + ".ip", $"hosts[{first}] already has address {h.Ip}", "each static lease needs its own address");
            }
            else
            {
                ips[a] = i;
            }
            if (h.Name is not null)
            {
                if (!StorageRules.IsHostname(h.Name))
                {
                    Failures.Add(ctx, InvalidValue, p + ".name", $"'{Failures.Printable(h.Name)}' is not a host name", "letters, digits and '-'");
                }
                else if (names.TryGetValue(h.Name, out var first))
                {
                    Failures.Add(ctx, DuplicateHost, p + ".name", $"hosts[{first}] already has name {h.Name}", "host names are unique in a network");
                }
                else
                {
                    names[h.Name] = i;
                }
            }
        }
    }
}

internal static class NetworkRules
{
    private static readonly string[] PassThroughOnly = ["spec.pf", "spec.dev", "spec.directMode"];

    /// <summary>hostdev and direct networks: their device, and none of the fields of a network libvirt builds a bridge for.</summary>
    public static void CheckPassThrough(NetworkSpec n, ValidationContext<NetworkSpec> ctx)
    {
        var (field, what) = n.Mode == NetworkMode.Hostdev ? ("spec.pf", "the SR-IOV physical function, e.g. pf: eth0") : ("spec.dev", "the host interface of the macvtap connections, e.g. dev: eth0");
        if (string.IsNullOrEmpty(n.ForwardDev))
        {
            Failures.Add(ctx, MissingField, field, $"a {n.Mode.ToString().ToLowerInvariant()} network needs {field[5..]}", "add " + what, "spec.mode");
        }
        else if (!Regexes.Bridge.IsMatch(n.ForwardDev))
        {
            Failures.Add(ctx, InvalidValue, field, $"'{Failures.Printable(n.ForwardDev)}' is not a host interface name", "up to 15 letters, digits and _ . : -");
        }
        foreach (var (path, given) in new[] { ("spec.bridge", n.Bridge is not null), ("spec.ipv4", n.Ipv4 is not null), ("spec.ipv6", n.Ipv6 is not null),
            ("spec.dnsHosts", n.DnsHosts.Count > 0), ("spec.dnsForwarders", n.Forwarders.Count > 0), ("spec.domain", n.Domain is not null), ("spec.mtu", n.Mtu is not null) })
        {
            if (given)
            {
                Failures.Add(ctx, ConflictingFields, path, $"a {n.Mode.ToString().ToLowerInvariant()} network hands guests a host device: libvirt builds no bridge, addresses or DNS for it, so {path[5..]} does not apply",
                    $"remove {path[5..]}, or use mode nat/route/isolated", "spec.mode");
            }
        }
    }

    /// <summary>pf, dev and directMode belong to their modes; a bridge-mode network takes no IPv6, DNS, domain or MTU of libvirt's.</summary>
    public static void CheckModeFields(NetworkSpec n, ValidationContext<NetworkSpec> ctx)
    {
        var written = n.Meta.Origin.Fields;
        foreach (var path in PassThroughOnly)
        {
            var owner = path == "spec.pf" ? NetworkMode.Hostdev : NetworkMode.Direct;
            if (n.Mode != owner && written.ContainsKey(path))
            {
                Failures.Add(ctx, ConflictingFields, path, $"{path[5..]} is for mode {owner.ToString().ToLowerInvariant()}, not {n.Mode.ToString().ToLowerInvariant()}", $"remove {path[5..]}, or set mode: {owner.ToString().ToLowerInvariant()}", "spec.mode");
            }
        }
        if (n.Mode == NetworkMode.Bridge)
        {
            foreach (var (path, given) in new[] { ("spec.ipv6", n.Ipv6 is not null), ("spec.dnsForwarders", n.Forwarders.Count > 0), ("spec.domain", n.Domain is not null), ("spec.mtu", n.Mtu is not null) })
            {
                if (given) Failures.Add(ctx, ConflictingFields, path, $"a bridge-mode network uses the host bridge as it is: {path[5..]} does not apply", $"remove {path[5..]}, or use mode nat/route/isolated", "spec.mode");
            }
        }
        if (n.Domain is not null && !StorageRules.IsHostname(n.Domain))
        {
            Failures.Add(ctx, InvalidValue, "spec.domain", $"'{Failures.Printable(n.Domain)}' is not a DNS domain", "letters, digits and '-', dot-separated, e.g. lab.example");
        }
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < n.Forwarders.Count; i++)
        {
            var f = n.Forwarders[i];
            if (!System.Net.IPAddress.TryParse(f, out var a) || (a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !Ipv4.TryParse(f, out _)))
            {
                Failures.Add(ctx, InvalidAddress, $"spec.dnsForwarders[{i}]", $"'{Failures.Printable(f)}' is not an IPv4 or IPv6 address", "e.g. 192.0.2.53 or \"2001:db8::53\" (a name server's address, not its name)");
            }
            else if (!seen.Add(a.ToString()))
            {
                Failures.Add(ctx, DuplicateHost, $"spec.dnsForwarders[{i}]", $"{f} is listed twice", "list each forwarder once");
            }
        }
    }

    /// <summary>An IPv6 host address (not multicast or link-local), and a DHCPv6 range inside its subnet that does not hold it.</summary>
    public static void CheckIpv6(NetworkIpv6 ip, ValidationContext<NetworkSpec> ctx)
    {
        if (!TryV6(ip.Address, out var address))
        {
            Failures.Add(ctx, InvalidAddress, "spec.ipv6.address", $"'{Failures.Printable(ip.Address)}' is not an IPv6 address", "e.g. \"2001:db8:ca2:2::1\" (quoted), with prefix: 64");
            return;
        }
        if (address.IsIPv6Multicast || address.IsIPv6LinkLocal || System.Net.IPAddress.IPv6Loopback.Equals(address) || System.Net.IPAddress.IPv6Any.Equals(address))
        {
            Failures.Add(ctx, InvalidAddress, "spec.ipv6.address", $"{ip.Address} is not a usable host address (multicast, link-local, loopback or unspecified)", "use a global or unique-local address, e.g. fd00:1::1");
            return;
        }
        if ((ip.DhcpStart is null) != (ip.DhcpEnd is null)) return; // the field table requires both
        if (ip.DhcpStart is null) return;
        var network = Prefix(address, ip.Prefix);
        var ok = true;
        foreach (var (name, text) in new[] { ("start", ip.DhcpStart), ("end", ip.DhcpEnd!) })
        {
            if (!TryV6(text, out var a))
            {
                Failures.Add(ctx, InvalidAddress, $"spec.ipv6.dhcp.{name}", $"'{Failures.Printable(text)}' is not an IPv6 address", "e.g. \"2001:db8:ca2:2::100\"");
                ok = false;
            }
            else if (Prefix(a, ip.Prefix) != network)
            {
                Failures.Add(ctx, OverlappingNetwork, $"spec.ipv6.dhcp.{name}", $"{text} is outside the subnet {ip.Address}/{ip.Prefix}", "the DHCPv6 range lies inside the network's subnet");
                ok = false;
            }
        }
        if (!ok) return;
        TryV6(ip.DhcpStart, out var s);
        TryV6(ip.DhcpEnd, out var e);
        var (start, end, self) = (Value(s), Value(e), Value(address));
        if (start > end)
        {
            Failures.Add(ctx, InvalidValue, "spec.ipv6.dhcp.end", $"the DHCPv6 range ends ({ip.DhcpEnd}) before it starts ({ip.DhcpStart})", "swap start and end");
        }
        else if (self >= start && self <= end)
        {
            Failures.Add(ctx, OverlappingNetwork, "spec.ipv6.dhcp.start", $"the DHCPv6 range {ip.DhcpStart}-{ip.DhcpEnd} contains the network's own address {ip.Address}", "start the range after it");
        }
    }

    private static bool TryV6(string? text, out System.Net.IPAddress address) =>
        System.Net.IPAddress.TryParse(text ?? "", out address!) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && address.ScopeId == 0 && (text ?? "").Contains(':', StringComparison.Ordinal);

    private static UInt128 Value(System.Net.IPAddress a) => System.Buffers.Binary.BinaryPrimitives.ReadUInt128BigEndian(a.GetAddressBytes());

    private static UInt128 Prefix(System.Net.IPAddress a, int prefix) => prefix <= 0 ? 0 : Value(a) >> (128 - Math.Min(prefix, 128)) << (128 - Math.Min(prefix, 128));
}

internal static class PoolRules
{
    /// <summary>An absolute, normalised path that is not the root; false (with a failure) otherwise.</summary>
    public static bool CheckPath<T>(string path, string at, string hint, ValidationContext<T> ctx)
    {
        if (!path.StartsWith('/'))
        {
            Failures.Add(ctx, InvalidPath, at, $"'{Failures.Printable(path)}' is not an absolute path", hint);
            return false;
        }
        if (path.Split('/').Any(s => s is "." or "..") || path.Contains("//", StringComparison.Ordinal) || path.Any(char.IsControl))
        {
            Failures.Add(ctx, InvalidPath, at, $"'{Failures.Printable(path)}' is not a normalised path", "write it without '.', '..' or '//' segments");
            return false;
        }
        if (path.TrimEnd('/').Length == 0)
        {
            Failures.Add(ctx, InvalidPath, at, "the root directory cannot be used here", hint);
            return false;
        }
        return true;
    }

    /// <summary>A host name or IP address, with an optional :port (1-65535) where <paramref name="port"/> allows it.</summary>
    public static void CheckHost<T>(string text, string at, bool port, ValidationContext<T> ctx)
    {
        var (host, p) = port ? PoolSource.SplitHostPort(text) : (text, null);
        var hostOk = StorageRules.IsHostname(host) || Ipv4.TryParse(host, out _) || System.Net.IPAddress.TryParse(host, out var ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        if (!hostOk)
        {
            Failures.Add(ctx, InvalidAddress, at, $"'{Failures.Printable(text)}' is not a host name or address" + (port ? " (with an optional :port)" : ""), port ? "e.g. ceph-mon1:6789, 192.0.2.10 or [2001:db8::1]:3260" : "e.g. nfs1.lab or 192.0.2.10");
        }
        else if (p is not null && (!int.TryParse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n is < 1 or > 65535))
        {
            Failures.Add(ctx, OutOfRange, at, $"port '{Failures.Printable(p)}' is not between 1 and 65535", "e.g. :6789");
        }
    }
}

internal static class StorageRules
{
    public static bool IsHostname(string text) =>
        text.Length is > 0 and <= 253 && System.Text.RegularExpressions.Regex.IsMatch(text, StoragePatterns.Hostname);

    public static void CheckNode<T>(string? node, IReadOnlyCollection<string> nodes, ValidationContext<T> ctx)
    {
        if (node is not null && !Regexes.Name.IsMatch(node))
        {
            Failures.Add(ctx, InvalidName, "spec.node", $"'{Failures.Printable(node)}' is not a valid node name", Patterns.NameHint);
            return;
        }
        if (nodes.Count == 0) return;
        if (node is null)
        {
            if (nodes.Count > 1)
            {
                Failures.Add(ctx, NodeRequired, "spec.node", $"the set defines {nodes.Count} nodes, so spec.node is required",
                    "add node: with one of " + string.Join(", ", nodes.Order(StringComparer.Ordinal)));
            }
            return;
        }
        if (!nodes.Contains(node))
        {
            Failures.Add(ctx, UnknownNode, "spec.node", $"no Node named '{Failures.Printable(node)}' is defined",
                "defined nodes: " + string.Join(", ", nodes.Order(StringComparer.Ordinal)));
        }
    }
}
