using System.Text.Json;
using System.Xml.Linq;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// The sandbox's pools (with their volumes) and networks: written into its node file, which
/// libvirt's test driver loads again next time, and their autostart flags in a side file (the test
/// driver's node file cannot hold them), as <see cref="SandboxNode"/> does for domains.
/// </summary>
internal static class SandboxStorage
{
    /// <summary>The side file's content: names of the autostarted pools and networks.</summary>
    internal sealed record Autostart(string[] Pools, string[] Networks);

    private static string AutostartFile(string directory) => Path.Combine(directory, "sandbox-storage-autostart.json");

    /// <summary>Replaces the node file's pools and networks with the connection's.</summary>
    public static void Save(string directory, XElement node, LibvirtConnection connection)
    {
        node.Elements("network").Remove();
        node.Elements("pool").Remove();
        var pools = new List<string>();
        var networks = new List<string>();
        foreach (var network in connection.ListAllNetworks())
        {
            using (network)
            {
                if (!network.IsPersistent) continue;
                node.Add(XElement.Parse(StorageReader.NetworkXmlText(network)));
                if (network.Autostart) networks.Add(network.Name);
            }
        }
        foreach (var pool in connection.ListAllStoragePools())
        {
            using (pool)
            {
                if (!pool.IsPersistent) continue;
                var element = XElement.Parse(StorageReader.PoolXml(pool));
                if (pool.IsActive)
                {
                    foreach (var volume in pool.ListAllVolumes())
                    {
                        using (volume) element.Add(XElement.Parse(volume.GetXmlDesc()));
                    }
                }
                node.Add(element);
                if (pool.Autostart) pools.Add(pool.Name);
            }
        }
        File.WriteAllText(AutostartFile(directory), JsonSerializer.Serialize(new Autostart([.. pools], [.. networks]), SandboxJson.Default.Autostart));
    }

    /// <summary>Sets the autostart flags the node file cannot hold.</summary>
    public static void RestoreAutostart(string directory, LibvirtConnection connection)
    {
        var file = AutostartFile(directory);
        if (!File.Exists(file)) return;
        var flags = JsonSerializer.Deserialize(File.ReadAllText(file), SandboxJson.Default.Autostart);
        foreach (var name in flags?.Pools ?? [])
        {
            using var pool = connection.LookupStoragePoolByName(name);
            if (pool is not null) pool.Autostart = true;
        }
        foreach (var name in flags?.Networks ?? [])
        {
            using var network = connection.LookupNetworkByName(name);
            if (network is not null) network.Autostart = true;
        }
    }
}
