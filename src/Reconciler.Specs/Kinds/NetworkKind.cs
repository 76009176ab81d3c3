using Reconciler.Core.Model;
using Reconciler.Core.Fields;
using Reconciler.Specs.Parsing;

namespace Reconciler.Specs.Kinds;

/// <summary>The <c>Network</c> kind: a libvirt virtual network.</summary>
internal sealed class NetworkKind : KindHandler
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

    public static readonly ObjectDef SpecDef = new("NetworkSpec", "A libvirt virtual network.",
    [
        new FieldDef("node", FieldType.String, "The Node the network is on. Optional when the set defines one node or none.")
        {
            Pattern = Patterns.Name, DefaultText = "the only node", Example = "hv1", Libvirt = "which connection the network is defined on",
        },
        new FieldDef("mode", FieldType.Enum,
            "isolated: guests and host only; nat: NAT to the host's uplinks; bridge: an existing host bridge (no ipv4, DHCP or DNS by libvirt). Changing it recreates the network.")
        {
            Allowed = ["isolated", "nat", "bridge"], Default = "nat", Example = "isolated", Libvirt = "<forward mode='nat'/> (none for isolated; mode='bridge')",
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
        new FieldDef("dnsHosts", FieldType.ObjectList, "DNS host entries. Changes apply live.")
        {
            Item = DnsHostDef, DefaultText = "[]", Example = "[{ip: 198.51.100.11, hostname: web-1.lab}]", Libvirt = "<dns><host>",
        },
        new FieldDef("autostart", FieldType.Boolean, "Start the network when the node boots.")
        {
            Default = true, Example = "false", Libvirt = "virNetworkSetAutostart",
        },
    ]);

    public override string Kind => nameof(ResourceKind.Network);

    public override string Description =>
        "A libvirt virtual network. Domains join it with `interfaces: [{network: NAME}]`. DHCP hosts, the DHCP range and DNS hosts change live; " +
        "mode, bridge and the subnet need the network destroyed and defined again, which the plan says, naming the running domains that lose connectivity. " +
        "Ownership is recorded in the network's `<metadata>`.";

    public override ObjectDef Spec => SpecDef;

    public override string Example => """
        apiVersion: reconciler/v1
        kind: Network
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
            _ => NetworkMode.Nat,
        };
        return new NetworkSpec(meta, spec.Get<string>("node"), mode, spec.Get<string>("bridge"), ipv4, dns, spec.Get<bool>("autostart"));
    }
}
