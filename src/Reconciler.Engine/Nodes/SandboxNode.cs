using System.Text.Json;
using System.Xml.Linq;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// The embedded default node: libvirt's in-process test driver, loaded from a node file under
/// <c>.reconcile/</c> and written back after every apply, so <c>plan → apply → plan</c> works
/// for a new user with no daemon at all. The test driver does not keep autostart in its node
/// file, so a small JSON file beside it does.
/// </summary>
internal static class SandboxNode
{
    private static readonly XNamespace TestNs = "http://libvirt.org/schemas/domain/test/1.0";

    /// <summary>The target for a sandbox kept in <paramref name="directory"/>; creates an empty node file if none exists yet.</summary>
    public static NodeTarget Target(string directory) =>
        new(NodeResolver.SandboxNodeName, "test://" + NodeFile(directory), "test", directory);

    public static string NodeFile(string directory) => Path.Combine(directory, "sandbox-node.xml");

    private static string AutostartFile(string directory) => Path.Combine(directory, "sandbox-autostart.json");

    /// <summary>Makes sure the node file exists (an empty node with 2 CPUs and 8 GiB).</summary>
    public static void EnsureExists(string directory)
    {
        var file = NodeFile(directory);
        if (File.Exists(file)) return;
        Directory.CreateDirectory(directory);
        var node = new XElement("node",
            new XElement("cpu",
                new XElement("mhz", 2000), new XElement("model", "x86_64"), new XElement("nodes", 1),
                new XElement("sockets", 1), new XElement("cores", 2), new XElement("threads", 1), new XElement("active", 2)),
            new XElement("memory", 8 * 1024 * 1024),
            // What a fresh libvirt host usually has, so specs written for one also plan here.
            new XElement("network",
                new XElement("name", "default"),
                new XElement("bridge", new XAttribute("name", "virbr0")),
                new XElement("forward", new XAttribute("mode", "nat")),
                new XElement("ip", new XAttribute("address", "192.168.122.1"), new XAttribute("netmask", "255.255.255.0"),
                    new XElement("dhcp", new XElement("range", new XAttribute("start", "192.168.122.2"), new XAttribute("end", "192.168.122.254"))))),
            new XElement("pool", new XAttribute("type", "dir"),
                new XElement("name", "default"),
                new XElement("target", new XElement("path", "/var/lib/libvirt/images"))));
        WriteAtomically(file, new XDocument(node).ToString());
        File.WriteAllText(Path.Combine(directory, ".gitignore"), "*\n");
    }

    /// <summary>Re-applies autostart flags that the node file cannot hold.</summary>
    public static void RestoreAutostart(string directory, LibvirtConnection connection)
    {
        SandboxStorage.RestoreAutostart(directory, connection);
        var file = AutostartFile(directory);
        if (!File.Exists(file)) return;
        var names = JsonSerializer.Deserialize(File.ReadAllText(file), SandboxJson.Default.StringArray) ?? [];
        foreach (var name in names)
        {
            using var domain = connection.LookupDomainByName(name);
            if (domain is not null) domain.Autostart = true;
        }
    }

    /// <summary>Writes the connection's whole state back to the node file (atomically).</summary>
    public static void Save(string directory, LibvirtConnection connection)
    {
        var node = XElement.Parse(File.ReadAllText(NodeFile(directory)));
        node.Elements("domain").Remove();
        var autostart = new List<string>();
        foreach (var domain in connection.ListAllDomains())
        {
            using (domain)
            {
                if (!domain.IsPersistent) continue;
                var xml = XElement.Parse(domain.GetXmlDesc(DomainXmlFlags.Inactive | DomainXmlFlags.Secure));
                xml.Add(new XAttribute(XNamespace.Xmlns + "test", TestNs.NamespaceName));
                var state = domain.IsActive ? 1 : 5; // VIR_DOMAIN_RUNNING : VIR_DOMAIN_SHUTOFF
                xml.Add(new XElement(TestNs + "runstate", state));
                node.Add(xml);
                if (domain.Autostart) autostart.Add(domain.Name);
            }
        }
        SandboxStorage.Save(directory, node, connection);
        WriteAtomically(NodeFile(directory), new XDocument(node).ToString());
        WriteAtomically(AutostartFile(directory), JsonSerializer.Serialize(autostart, SandboxJson.Default.ListString));
    }

    private static void WriteAtomically(string path, string text)
    {
        var temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
