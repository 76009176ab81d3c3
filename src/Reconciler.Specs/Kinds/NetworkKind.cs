namespace Reconciler.Specs.Kinds;

/// <summary>The <c>Network</c> kind: a libvirt virtual network.</summary>
internal sealed class NetworkKind() : KindHandler(nameof(ResourceKind.Network), SpecDef)
{
    public static readonly ObjectDef DhcpHost = new("DhcpHost", "A static DHCP lease: this MAC always gets this address.",
    [
        new FieldDef("mac", FieldType.String, "Client MAC address (quote it in YAML).")
        {
            Required = true, Pattern = Patterns.Mac, Example = "\"52:54:00:00:00:11\"", Libvirt = "<host mac='…'/>",
        },
        new FieldDef("ip", FieldType.String, "The address, inside the network's subnet.")
        {
            Required = true, Pattern = StoragePatterns.Ipv4, Example = "198.51.100.11", Libvirt = "<host ip='…'/>",
        },
        new FieldDef("name", FieldType.String, "Host name handed to the client (and resolvable on the network).")
        {
            Pattern = StoragePatterns.Hostname, Example = "web-1", Libvirt = "<host name='…'/>",
        },
    ]);

    public static readonly ObjectDef Dhcp = new("Dhcp", "DHCP on the network. Changes apply live (virNetworkUpdate) without restarting it.",
    [
        new FieldDef("start", FieldType.String, "First address of the dynamic range (with end).")
        {
            Pattern = StoragePatterns.Ipv4, Example = "198.51.100.100", Libvirt = "<range start='…'/>",
        },
        new FieldDef("end", FieldType.String, "Last address of the dynamic range (with start).")
        {
            Pattern = StoragePatterns.Ipv4, Example = "198.51.100.199", Libvirt = "<range end='…'/>",
        },
        new FieldDef("hosts", FieldType.ObjectList, "Static leases; MACs, addresses and names are unique in a network.")
        {
            Item = DhcpHost, DefaultText = "[]", Example = "[{mac: \"52:54:00:00:00:11\", ip: 198.51.100.11, name: web-1}]", Libvirt = "<dhcp><host …/></dhcp>",
        },
    ]);

    public static readonly ObjectDef Ipv4Def = new("Ipv4", "The network's IPv4 subnet.",
    [
        new FieldDef("address", FieldType.String, "The host's address on the network and the prefix length (8 to 30), CIDR style. Changing it recreates the network.")
        {
            Required = true, Pattern = StoragePatterns.Cidr, Example = "198.51.100.1/24", Libvirt = "<ip address='198.51.100.1' prefix='24'>",
        },
        new FieldDef("dhcp", FieldType.Object, "DHCP range and static leases.")
        {
            Item = Dhcp, DefaultText = "no DHCP", Example = "{start: 198.51.100.100, end: 198.51.100.199}", Libvirt = "<dhcp>",
        },
    ]);

    public static readonly ObjectDef DnsHostDef = new("DnsHost", "A DNS entry served by the network's DNS (dnsmasq).",
    [
        new FieldDef("ip", FieldType.String, "The address.")
        {
            Required = true, Pattern = StoragePatterns.Ipv4, Example = "198.51.100.11", Libvirt = "<dns><host ip='…'>",
        },
        new FieldDef("hostname", FieldType.String, "A name that resolves to it; entries with the same ip are grouped.")
        {
            Required = true, Pattern = StoragePatterns.Hostname, Example = "web-1.lab", Libvirt = "<hostname>…</hostname>",
        },
    ]);

    public static readonly ObjectDef Dhcp6 = new("Dhcp6", "The DHCPv6 range (stateful addresses; without it guests configure themselves from router advertisements).",
    [
        new FieldDef("start", FieldType.String, "First address of the range.")
        {
            Required = true, Pattern = StoragePatterns.Ipv6, Example = "\"2001:db8:ca2:2::100\"", Libvirt = "<ip family='ipv6'><dhcp><range start='…'/>",
        },
        new FieldDef("end", FieldType.String, "Last address of the range.")
        {
            Required = true, Pattern = StoragePatterns.Ipv6, Example = "\"2001:db8:ca2:2::1ff\"", Libvirt = "<ip family='ipv6'><dhcp><range end='…'/>",
        },
    ]);

    public static readonly ObjectDef Ipv6Def = new("Ipv6", "The network's IPv6 subnet. Changing it recreates the network.",
    [
        new FieldDef("address", FieldType.String, "The host's IPv6 address on the network (quote it in YAML).")
        {
            Required = true, Pattern = StoragePatterns.Ipv6, Example = "\"2001:db8:ca2:2::1\"", Libvirt = "<ip family='ipv6' address='…'>",
        },
        new FieldDef("prefix", FieldType.Integer, "Prefix length; DHCPv6 and router advertisements want 64.")
        {
            Default = 64, Minimum = 8, Maximum = 126, Example = "64", Libvirt = "<ip family='ipv6' prefix='…'>",
        },
        new FieldDef("dhcp", FieldType.Object, "A DHCPv6 range inside the subnet.")
        {
            Item = Dhcp6, DefaultText = "none", Example = "{start: \"2001:db8:ca2:2::100\", end: \"2001:db8:ca2:2::1ff\"}", Libvirt = "<ip family='ipv6'><dhcp>",
        },
    ]);

    public static readonly ObjectDef SpecDef = new("NetworkSpec", "A libvirt virtual network.",
    [
        new FieldDef("node", FieldType.String, "The Node the network is on. Optional when the set defines one node or none.")
        {
            Pattern = Patterns.Name, DefaultText = "the only node", Example = "hv1", Libvirt = "which connection the network is defined on",
        },
        new FieldDef("mode", FieldType.Enum,
            "isolated: guests and host only; nat: NAT to the host's uplinks; route: routed without NAT; open: routed, and libvirt adds no firewall rules; " +
            "bridge: an existing host bridge (no ipv4, DHCP or DNS by libvirt); hostdev: a pool of the SR-IOV virtual functions of pf (guests get a VF each); " +
            "direct: a pool of macvtap connections on dev. Changing it recreates the network.")
        {
            Allowed = ["isolated", "nat", "route", "open", "bridge", "hostdev", "direct"], Default = "nat", Example = "isolated",
            Libvirt = "<forward mode='nat|route|open|bridge'/> (none for isolated); hostdev: <forward mode='hostdev' managed='yes'><pf dev/>; direct: <forward mode='DIRECTMODE'><interface dev/>",
        },
        new FieldDef("pf", FieldType.String, "hostdev mode (required there): the SR-IOV physical function's host interface. Changing it recreates the network.")
        {
            Pattern = Patterns.Bridge, DefaultText = "none", Example = "eth0", Libvirt = "<forward mode='hostdev'><pf dev='…'/>",
        },
        new FieldDef("dev", FieldType.String, "direct mode (required there): the host interface the macvtap connections sit on. Changing it recreates the network.")
        {
            Pattern = Patterns.Bridge, DefaultText = "none", Example = "eth0", Libvirt = "<forward><interface dev='…'/>",
        },
        new FieldDef("directMode", FieldType.Enum, "direct mode: the macvtap mode (bridge: guests reach each other and the outside; vepa: through the external switch; private: isolated from each other; passthrough: one guest owns dev).")
        {
            Allowed = ["bridge", "vepa", "private", "passthrough"], DefaultText = "bridge", Example = "vepa", Libvirt = "<forward mode='…'>",
        },
        new FieldDef("bridge", FieldType.String,
            "bridge mode: the host bridge to use (required). Other modes: the bridge libvirt creates (unset: libvirt picks virbrN). Changing it recreates the network.")
        {
            Pattern = Patterns.Bridge, DefaultText = "chosen by libvirt", Example = "virbr-lab", Libvirt = "<bridge name='…'/>",
        },
        new FieldDef("ipv4", FieldType.Object, "Subnet, DHCP range and static leases; required for isolated and nat.")
        {
            Item = Ipv4Def, DefaultText = "none", Example = "{address: 198.51.100.1/24, dhcp: {start: 198.51.100.100, end: 198.51.100.199}}", Libvirt = "<ip>",
        },
        new FieldDef("ipv6", FieldType.Object, "IPv6 subnet and optional DHCPv6 range (isolated, nat, route, open).")
        {
            Item = Ipv6Def, DefaultText = "none", Example = "{address: \"2001:db8:ca2:2::1\", prefix: 64}", Libvirt = "<ip family='ipv6'>",
        },
        new FieldDef("mtu", FieldType.Integer, "MTU of the bridge libvirt creates (not for bridge, hostdev and direct modes). Changing it recreates the network.")
        {
            Minimum = 68, Maximum = 65535, DefaultText = "libvirt's (1500)", Example = "9000", Libvirt = "<mtu size='…'/>",
        },
        new FieldDef("domain", FieldType.String, "DNS domain of the network: guests' DHCP names resolve as NAME.DOMAIN. Changing it recreates the network.")
        {
            Pattern = StoragePatterns.Hostname, DefaultText = "none", Example = "lab.example", Libvirt = "<domain name='…'/>",
        },
        new FieldDef("dnsForwarders", FieldType.StringList, "Upstream DNS servers (IPv4 or IPv6 addresses) the network's DNS asks instead of the host's resolvers. Changing them recreates the network.")
        {
            Pattern = StoragePatterns.IpAddress, DefaultText = "the host's resolvers", Example = "[192.0.2.53, \"2001:db8::53\"]", Libvirt = "<dns><forwarder addr='…'/>",
        },
        new FieldDef("dnsHosts", FieldType.ObjectList, "DNS host entries. Changes apply live.")
        {
            Item = DnsHostDef, DefaultText = "[]", Example = "[{ip: 198.51.100.11, hostname: web-1.lab}]", Libvirt = "<dns><host>",
        },
        new FieldDef("autostart", FieldType.Boolean, "Start the network when the node boots.")
        {
            Default = true, Example = "false", Libvirt = "virNetworkSetAutostart",
        },
    ]);

    public override string Description =>
        "A libvirt virtual network. Domains join it with `interfaces: [{network: NAME}]`. DHCP hosts, the DHCP range and DNS hosts change live; " +
        "mode, bridge and the subnet need the network destroyed and defined again, which the plan says, naming the running domains that lose connectivity. " +
        "Ownership is recorded in the network's `<metadata>`.";

    protected override string ExampleBody => """
        metadata:
          name: lab
        spec:
          node: hv1
          mode: nat
          bridge: virbr-lab
          ipv4:
            address: 198.51.100.1/24
            dhcp:
              start: 198.51.100.100
              end: 198.51.100.199
              hosts:
                - {mac: "52:54:00:00:00:11", ip: 198.51.100.11, name: web-1}
          dnsHosts:
            - {ip: 198.51.100.11, hostname: web-1.lab}
          autostart: true
        """;

    public override object Build(ResourceMeta meta, ParsedObject spec, DocumentContext context)
    {
        NetworkIpv4? ipv4 = null;
        if (spec.Get<ParsedObject>("ipv4") is { } ip)
        {
            var text = ip.Get<string>("address") ?? "";
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            var prefix = slash > 0 && int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var p) ? p : -1;
            var dhcp = ip.Get<ParsedObject>("dhcp");
            var hosts = (dhcp?.Get<List<ParsedObject>>("hosts") ?? [])
                .Select(h => new Core.Model.DhcpHost(h.Get<string>("mac")?.ToLowerInvariant() ?? "", h.Get<string>("ip") ?? "", h.Get<string>("name")))
                .ToList();
            ipv4 = new NetworkIpv4(slash > 0 ? text[..slash] : text, prefix, dhcp?.Get<string>("start"), dhcp?.Get<string>("end"), hosts);
        }
        var dns = (spec.Get<List<ParsedObject>>("dnsHosts") ?? []).Select(h => new DnsHost(h.Get<string>("ip") ?? "", h.Get<string>("hostname") ?? "")).ToList();
        var mode = spec.Get<string>("mode") switch
        {
            "isolated" => NetworkMode.Isolated,
            "bridge" => NetworkMode.Bridge,
            "route" => NetworkMode.Route,
            "open" => NetworkMode.Open,
            "hostdev" => NetworkMode.Hostdev,
            "direct" => NetworkMode.Direct,
            _ => NetworkMode.Nat,
        };
        NetworkIpv6? ipv6 = null;
        if (spec.Get<ParsedObject>("ipv6") is { } v6)
        {
            var dhcp6 = v6.Get<ParsedObject>("dhcp");
            ipv6 = new NetworkIpv6(Ipv6Text(v6.Get<string>("address")) ?? "", v6.Get<int>("prefix"), Ipv6Text(dhcp6?.Get<string>("start")), Ipv6Text(dhcp6?.Get<string>("end")));
        }
        var forwardDev = mode switch
        {
            NetworkMode.Hostdev => spec.Get<string>("pf"),
            NetworkMode.Direct => spec.Get<string>("dev"),
            _ => null,
        };
        var forwarders = (spec.Get<List<string>>("dnsForwarders") ?? []).Select(f => Ipv6Text(f) ?? "").ToList();
        return new NetworkSpec(meta, spec.Get<string>("node"), mode, spec.Get<string>("bridge"), ipv4, dns, spec.Get<bool>("autostart"),
            ipv6, forwardDev, mode == NetworkMode.Direct ? spec.Get<string>("directMode") ?? "bridge" : null,
            spec.Has("mtu") ? spec.Get<int>("mtu") : null, spec.Get<string>("domain"), forwarders.Count > 0 ? forwarders : null);
    }

    /// <summary>An IPv6 address in the form libvirt writes it back (lower case, zeros compressed); anything else as written.</summary>
    private static string? Ipv6Text(string? text) =>
        text is not null && text.Contains(':', StringComparison.Ordinal) && System.Net.IPAddress.TryParse(text, out var a)
        && a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 && a.ScopeId == 0 ? a.ToString() : text;
}
