namespace Reconciler.Rendering;

/// <summary>
/// Network XML both ways: renders a <see cref="NetworkSpec"/> (with Reconciler's owner record in
/// <c>&lt;metadata&gt;</c>, like domains) and reads live network XML back into the model, keeping
/// only the owned fields (mode, bridge, the first IPv4 subnet, its DHCP range and hosts, DNS hosts).
/// Also renders the single elements <c>virNetworkUpdate</c> takes.
/// </summary>
public static class NetworkXml
{
    /// <summary>The full network definition.</summary>
    /// <param name="spec">The desired network.</param>
    /// <param name="owner">Our owner record.</param>
    /// <param name="uuid">The live network's UUID when redefining it, else null.</param>
    /// <param name="liveBridge">The bridge libvirt picked, kept when the spec leaves it open.</param>
    /// <param name="liveMac">The bridge MAC libvirt picked, kept when redefining.</param>
    public static string Render(NetworkSpec spec, OwnerRecord owner, string? uuid = null, string? liveBridge = null, string? liveMac = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(owner);
        var network = new XElement("network", new XElement("name", spec.Name));
        if (uuid is not null) network.Add(new XElement("uuid", uuid));
        network.Add(new XElement("metadata", new XElement(OwnerMetadata.Owner,
            new XAttribute(XNamespace.Xmlns + OwnerRecord.Prefix, OwnerRecord.Namespace),
            new XAttribute(OwnerMetadata.NameAttr, owner.SpecName),
            new XAttribute(OwnerMetadata.SpecHashAttr, owner.SpecHash),
            new XAttribute(OwnerMetadata.SourceAttr, owner.Source),
            new XAttribute(OwnerMetadata.RevisionAttr, owner.Revision))));
        switch (spec.Mode)
        {
            case NetworkMode.Nat: network.Add(new XElement("forward", new XAttribute("mode", "nat"))); break;
            case NetworkMode.Bridge: network.Add(new XElement("forward", new XAttribute("mode", "bridge"))); break;
            case NetworkMode.Route: network.Add(new XElement("forward", new XAttribute("mode", "route"))); break;
            case NetworkMode.Open: network.Add(new XElement("forward", new XAttribute("mode", "open"))); break;
            case NetworkMode.Hostdev:
                network.Add(new XElement("forward", new XAttribute("mode", "hostdev"), new XAttribute("managed", "yes"),
                    new XElement("pf", new XAttribute("dev", spec.ForwardDev ?? ""))));
                break;
            case NetworkMode.Direct:
                network.Add(new XElement("forward", new XAttribute("mode", spec.DirectMode ?? "bridge"),
                    new XElement("interface", new XAttribute("dev", spec.ForwardDev ?? ""))));
                break;
        }
        var bridge = spec.Mode is NetworkMode.Hostdev or NetworkMode.Direct ? null : spec.Bridge ?? (spec.Mode == NetworkMode.Bridge ? null : liveBridge);
        if (bridge is not null)
        {
            network.Add(spec.Mode == NetworkMode.Bridge
                ? new XElement("bridge", new XAttribute("name", bridge))
                : new XElement("bridge", new XAttribute("name", bridge), new XAttribute("stp", "on"), new XAttribute("delay", "0")));
        }
        if (spec.Mtu is { } mtu) network.Add(new XElement("mtu", new XAttribute("size", mtu.ToString(CultureInfo.InvariantCulture))));
        if (liveMac is not null && !spec.IsPassThrough) network.Add(new XElement("mac", new XAttribute("address", liveMac)));
        if (spec.Domain is not null) network.Add(new XElement("domain", new XAttribute("name", spec.Domain)));
        if (spec.DnsHosts.Count > 0 || spec.Forwarders.Count > 0)
        {
            network.Add(new XElement("dns", spec.Forwarders.Select(f => new XElement("forwarder", new XAttribute("addr", f))),
                spec.DnsHosts.GroupBy(h => h.Ip).Select(DnsHostElement)));
        }
        if (spec.Ipv4 is { } ip)
        {
            var element = new XElement("ip", new XAttribute("address", ip.Address), new XAttribute("prefix", ip.Prefix.ToString(CultureInfo.InvariantCulture)));
            if (ip.DhcpStart is not null || ip.Hosts.Count > 0)
            {
                var dhcp = new XElement("dhcp");
                if (ip.DhcpStart is not null) dhcp.Add(RangeElement(ip.DhcpStart, ip.DhcpEnd!));
                foreach (var host in ip.Hosts) dhcp.Add(HostElement(host));
                element.Add(dhcp);
            }
            network.Add(element);
        }
        if (spec.Ipv6 is { } v6)
        {
            var element = new XElement("ip", new XAttribute("family", "ipv6"), new XAttribute("address", v6.Address), new XAttribute("prefix", v6.Prefix.ToString(CultureInfo.InvariantCulture)));
            if (v6.DhcpStart is not null) element.Add(new XElement("dhcp", RangeElement(v6.DhcpStart, v6.DhcpEnd!)));
            network.Add(element);
        }
        return DomainRenderer.ToXmlText(new XDocument(network));
    }

    /// <summary><c>&lt;host mac ip name/&gt;</c> for <c>VIR_NETWORK_SECTION_IP_DHCP_HOST</c>.</summary>
    public static XElement HostElement(DhcpHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        return new XElement("host", new XAttribute("mac", host.Mac), host.Name is null ? null : new XAttribute("name", host.Name), new XAttribute("ip", host.Ip));
    }

    /// <summary><c>&lt;range start end/&gt;</c> for <c>VIR_NETWORK_SECTION_IP_DHCP_RANGE</c>.</summary>
    public static XElement RangeElement(string start, string end) => new("range", new XAttribute("start", start), new XAttribute("end", end));

    /// <summary><c>&lt;host ip&gt;&lt;hostname/&gt;…&lt;/host&gt;</c> for <c>VIR_NETWORK_SECTION_DNS_HOST</c>.</summary>
    public static XElement DnsHostElement(IGrouping<string, DnsHost> hosts)
    {
        ArgumentNullException.ThrowIfNull(hosts);
        return new XElement("host", new XAttribute("ip", hosts.Key), hosts.Select(h => new XElement("hostname", h.Hostname)));
    }

    /// <summary>One element as text (what <c>virNetworkUpdate</c> takes).</summary>
    public static string Text(XElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        return element.ToString(SaveOptions.DisableFormatting);
    }

    /// <summary>A network definition read back: the owned fields, our owner record, and what libvirt chose.</summary>
    /// <param name="Spec">Owned fields in the model (node null, autostart false).</param>
    /// <param name="Owner">Our owner record, or null.</param>
    /// <param name="Bridge">The bridge device name.</param>
    /// <param name="Mac">The bridge MAC.</param>
    public sealed record Parsed(NetworkSpec Spec, OwnerRecord? Owner, string? Bridge, string? Mac);

    /// <summary>Parses network XML.</summary>
    /// <exception cref="RenderException">The XML is malformed or not a network.</exception>
    public static Parsed Parse(string xml)
    {
        ArgumentNullException.ThrowIfNull(xml);
        XElement root;
        try
        {
            using var reader = XmlReader.Create(new StringReader(xml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            root = XDocument.Load(reader).Root ?? throw new RenderException("empty network XML");
        }
        catch (XmlException e)
        {
            throw new RenderException($"network XML is malformed: {e.Message}", e);
        }
        if (root.Name != "network") throw new RenderException($"expected <network>, found <{root.Name.LocalName}>");
        var name = root.Element("name")?.Value.Trim() ?? throw new RenderException("network XML has no <name>");
        var owner = root.Element("metadata")?.Element(OwnerMetadata.Owner) is { } o
            ? new OwnerRecord((string?)o.Attribute(OwnerMetadata.NameAttr) ?? "", (string?)o.Attribute(OwnerMetadata.SpecHashAttr) ?? "",
                (string?)o.Attribute(OwnerMetadata.SourceAttr) ?? "", (string?)o.Attribute(OwnerMetadata.RevisionAttr) ?? "", false)
            : null;
        var forwardElement = root.Element("forward");
        var forward = (string?)forwardElement?.Attribute("mode");
        // forward mode='bridge' names a host bridge with <bridge name>, and a macvtap pool without one.
        var macvtap = forward is "vepa" or "private" or "passthrough" || (forward == "bridge" && root.Element("bridge") is null);
        var mode = forward switch
        {
            null => forwardElement is null ? NetworkMode.Isolated : NetworkMode.Nat, // <forward/> alone means nat
            "nat" => NetworkMode.Nat,
            "route" => NetworkMode.Route,
            "open" => NetworkMode.Open,
            "hostdev" => NetworkMode.Hostdev,
            _ when macvtap => NetworkMode.Direct,
            "bridge" => NetworkMode.Bridge,
            _ => NetworkMode.Isolated,
        };
        var forwardDev = mode switch
        {
            NetworkMode.Hostdev => (string?)forwardElement?.Element("pf")?.Attribute("dev"),
            NetworkMode.Direct => (string?)forwardElement?.Element("interface")?.Attribute("dev") ?? (string?)forwardElement?.Attribute("dev"),
            _ => null,
        };
        var mtu = (string?)root.Element("mtu")?.Attribute("size") is { } m6 && int.TryParse(m6, NumberStyles.None, CultureInfo.InvariantCulture, out var mtuValue) ? mtuValue : (int?)null;
        NetworkIpv6? ipv6 = null;
        if (root.Elements("ip").FirstOrDefault(e => (string?)e.Attribute("family") == "ipv6") is { } ip6 && (string?)ip6.Attribute("address") is { } address6)
        {
            var prefix6 = (string?)ip6.Attribute("prefix") is { } p6 && int.TryParse(p6, NumberStyles.None, CultureInfo.InvariantCulture, out var n6) ? n6 : 64;
            var range6 = ip6.Element("dhcp")?.Element("range");
            ipv6 = new NetworkIpv6(address6, prefix6, (string?)range6?.Attribute("start"), (string?)range6?.Attribute("end"));
        }
        var forwarders = root.Element("dns")?.Elements("forwarder").Select(f => (string?)f.Attribute("addr")).OfType<string>().ToList() ?? [];
        var bridge = (string?)root.Element("bridge")?.Attribute("name");
        var mac = (string?)root.Element("mac")?.Attribute("address");
        NetworkIpv4? ipv4 = null;
        var ip = root.Elements("ip").FirstOrDefault(e => (string?)e.Attribute("family") is null or "ipv4");
        if (ip is not null && (string?)ip.Attribute("address") is { } address)
        {
            var prefix = (string?)ip.Attribute("prefix") is { } p && int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n
                : (string?)ip.Attribute("netmask") is { } m && Ipv4.TryParse(m, out var mask) ? Ipv4.PrefixOf(mask) : 24;
            var dhcp = ip.Element("dhcp");
            var range = dhcp?.Element("range");
            var hosts = dhcp?.Elements("host")
                .Select(h => new DhcpHost(((string?)h.Attribute("mac") ?? "").ToLowerInvariant(), (string?)h.Attribute("ip") ?? "", (string?)h.Attribute("name")))
                .Where(h => h.Mac.Length > 0)
                .ToList() ?? [];
            ipv4 = new NetworkIpv4(address, prefix, (string?)range?.Attribute("start"), (string?)range?.Attribute("end"), hosts);
        }
        var dns = root.Element("dns")?.Elements("host")
            .SelectMany(h => h.Elements("hostname").Select(n => new DnsHost((string?)h.Attribute("ip") ?? "", n.Value.Trim())))
            .ToList() ?? [];
        var spec = new NetworkSpec(new ResourceMeta(name, new Dictionary<string, string>(), SpecOrigin.InMemory("live:" + name)), null, mode,
            bridge, ipv4, dns, false, ipv6, forwardDev, mode == NetworkMode.Direct ? forward ?? "bridge" : null, mtu,
            (string?)root.Element("domain")?.Attribute("name"), forwarders);
        return new Parsed(spec, owner, bridge, mac);
    }
}
