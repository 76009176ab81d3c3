using FluentValidation;

namespace Reconciler.Specs.Validation;

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
            StorageRules.CheckMetaAndName(n.Meta, "network", ctx);
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
            if (Failures.CheckMac(ctx, p + ".mac", h.Mac, "six hex pairs separated by ':', quoted in YAML", "the first byte must be even, e.g. 52:54:00:…"))
            {
                if (macs.TryGetValue(h.Mac, out var first))
                {
                    Failures.Add(ctx, DuplicateHost, p + ".mac", $"hosts[{first}] already has MAC {h.Mac}", "each MAC gets one static lease per network");
                }
                else
                {
                    macs[h.Mac] = i;
                }
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
