using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out the plan's network steps: create, update (live where libvirt allows it, else
/// destroy and define again), adopt, start, and destroy (only a network this source owns that no
/// domain uses). Each step reads the network from the node again, so it acts on the present, not
/// on the plan's snapshot. Ownership is the network's <c>&lt;metadata&gt;</c>.
/// </summary>
internal static class NetworkSteps
{
    /// <summary>Executes one network change.</summary>
    /// <exception cref="ApplyStepException">A guard refused the step.</exception>
    public static void Execute(NodeSession session, Plan plan, NetworkChange change, TextWriter progress)
    {
        var conn = session.Connection;
        switch (change.Action)
        {
            case ChangeAction.Create:
            {
                var spec = SpecOf(change);
                using var network = conn.DefineNetwork(NetworkXml.Render(spec, NetworkOwner(spec, plan)), validate: true);
                network.Create();
                network.Autostart = spec.Autostart;
                break;
            }
            case ChangeAction.Update:
            {
                var spec = SpecOf(change);
                using var network = conn.LookupNetworkByName(change.Name) ?? throw new ApplyStepException($"network {change.Name} is not on node {session.Target.Name}");
                var parsed = NetworkXml.Parse(StorageReader.NetworkXmlText(network));
                if (!change.Adopt && parsed.Owner?.Source != plan.Source) throw new ApplyStepException($"network {change.Name} is not managed by {plan.Source} any more; it is left alone");
                var owner = NetworkOwner(spec, plan);
                if (change.Recreate)
                {
                    Recreate(session, network, spec, owner, parsed, progress);
                    return;
                }
                if (network.IsActive) UpdateLive(network, spec, parsed.Spec, progress);
                // The persistent definition (with the new owner revision) is written whole; the running one was updated above.
                using (conn.DefineNetwork(NetworkXml.Render(spec, owner, network.Uuid, parsed.Bridge, parsed.Mac), validate: true)) { }
                if (!network.IsActive) network.Create();
                if (network.Autostart != spec.Autostart) network.Autostart = spec.Autostart;
                break;
            }
            case ChangeAction.Destroy:
            {
                using var network = conn.LookupNetworkByName(change.Name) ?? throw new ApplyStepException($"network {change.Name} is already gone");
                var parsed = NetworkXml.Parse(StorageReader.NetworkXmlText(network));
                if (parsed.Owner?.Source != plan.Source) throw new ApplyStepException($"network {change.Name} is not managed by {plan.Source} any more; it is kept");
                var users = NetworkUsers(session, change.Name);
                if (users.Count > 0) throw new ApplyStepException($"network {change.Name} is used by domain(s) {string.Join(", ", users)}; it is kept");
                if (network.IsActive) network.Destroy();
                network.Undefine();
                break;
            }
        }
    }

    /// <summary>Applies DHCP host, DHCP range and DNS host changes to the running network (virNetworkUpdate, live only).</summary>
    private static void UpdateLive(LibvirtNetwork network, NetworkSpec desired, NetworkSpec live, TextWriter progress)
    {
        const NetworkUpdateFlags flags = NetworkUpdateFlags.Live;
        var want = desired.Ipv4?.Hosts.ToDictionary(h => h.Mac, StringComparer.Ordinal) ?? [];
        var have = live.Ipv4?.Hosts.ToDictionary(h => h.Mac, StringComparer.Ordinal) ?? [];
        foreach (var (mac, host) in have)
        {
            if (want.TryGetValue(mac, out var w) && w == host) continue;
            network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpHost, -1, NetworkXml.Text(NetworkXml.HostElement(host)), flags);
            progress.WriteLine($"    DHCP host {mac} removed live");
        }
        foreach (var (mac, host) in want)
        {
            if (have.TryGetValue(mac, out var h) && h == host) continue;
            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpHost, -1, NetworkXml.Text(NetworkXml.HostElement(host)), flags);
            progress.WriteLine($"    DHCP host {mac} → {host.Ip} added live");
        }
        var oldRange = live.Ipv4 is { DhcpStart: { } s, DhcpEnd: { } e } ? (s, e) : ((string, string)?)null;
        var newRange = desired.Ipv4 is { DhcpStart: { } s2, DhcpEnd: { } e2 } ? (s2, e2) : ((string, string)?)null;
        if (oldRange != newRange)
        {
            if (newRange is { } n) network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.IpDhcpRange, -1, NetworkXml.Text(NetworkXml.RangeElement(n.Item1, n.Item2)), flags);
            if (oldRange is { } o) network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.IpDhcpRange, -1, NetworkXml.Text(NetworkXml.RangeElement(o.Item1, o.Item2)), flags);
            progress.WriteLine("    DHCP range changed live");
        }
        var wantDns = desired.DnsHosts.GroupBy(h => h.Ip).ToDictionary(g => g.Key, g => g.Select(h => h.Hostname).Order(StringComparer.Ordinal).ToList());
        var haveDns = live.DnsHosts.GroupBy(h => h.Ip).ToList();
        foreach (var group in haveDns)
        {
            if (wantDns.TryGetValue(group.Key, out var names) && names.SequenceEqual(group.Select(h => h.Hostname).Order(StringComparer.Ordinal))) continue;
            network.Update(NetworkUpdateCommand.Delete, NetworkUpdateSection.DnsHost, -1, NetworkXml.Text(NetworkXml.DnsHostElement(group)), flags);
        }
        foreach (var group in desired.DnsHosts.GroupBy(h => h.Ip))
        {
            var old = haveDns.FirstOrDefault(g => g.Key == group.Key);
            if (old is not null && old.Select(h => h.Hostname).Order(StringComparer.Ordinal).SequenceEqual(group.Select(h => h.Hostname).Order(StringComparer.Ordinal))) continue;
            network.Update(NetworkUpdateCommand.AddLast, NetworkUpdateSection.DnsHost, -1, NetworkXml.Text(NetworkXml.DnsHostElement(group)), flags);
            progress.WriteLine($"    DNS host {group.Key} set live");
        }
    }

    /// <summary>Destroys and defines the network again (same UUID).</summary>
    private static void Recreate(NodeSession session, LibvirtNetwork network, NetworkSpec spec, OwnerRecord owner, NetworkXml.Parsed parsed, TextWriter progress)
    {
        var uuid = network.Uuid;
        var wasActive = network.IsActive;
        if (wasActive) network.Destroy();
        var keepBridge = spec.Bridge is null && parsed.Spec.Mode != NetworkMode.Bridge && spec.Mode != NetworkMode.Bridge ? parsed.Bridge : null;
        using var defined = session.Connection.DefineNetwork(NetworkXml.Render(spec, owner, uuid, keepBridge, spec.Mode == parsed.Spec.Mode ? parsed.Mac : null), validate: true);
        defined.Create();
        if (defined.Autostart != spec.Autostart) defined.Autostart = spec.Autostart;
        if (!wasActive) return;
        // libvirt does not plug the taps of running guests into a recreated network, and unplugging and
        // plugging the NIC needs the guest's cooperation (a duplicate NIC otherwise): say who is cut off.
        var cut = NetworkUsers(session, spec.Name, runningOnly: true);
        if (cut.Count > 0) progress.WriteLine($"    running domain(s) {string.Join(", ", cut)} stay disconnected until they are stopped and started");
    }

    private static NetworkSpec SpecOf(NetworkChange change) =>
        change.Spec ?? throw new ApplyStepException($"network {change.Name}: the plan has no spec to create or update it from");

    private static List<string> NetworkUsers(NodeSession session, string network, bool runningOnly = false)
    {
        var users = new List<string>();
        foreach (var domain in session.Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    if (runningOnly && !domain.IsActive) continue;
                    var xml = XDocument.Parse(domain.GetXmlDesc(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None));
                    if (xml.Descendants("interface").Any(n => (string?)n.Element("source")?.Attribute("network") == network)) users.Add(domain.Name);
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined since the listing.
                }
            }
        }
        return users;
    }

    private static OwnerRecord NetworkOwner(NetworkSpec spec, Plan plan)
    {
        var text = string.Join("\n", NetworkFields.Flatten(spec).Select(f => $"{f.Path}={f.Value}"));
        var hash = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)))[..16];
        return new OwnerRecord(spec.Name, hash, plan.Source, plan.Revision, false);
    }
}
