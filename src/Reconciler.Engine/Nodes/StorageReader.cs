using System.Security.Cryptography;
using System.Text;

namespace Reconciler.Engine.Nodes;

/// <summary>Reads a node's storage pools (with volumes and ledgers) and networks into the model.</summary>
internal static class StorageReader
{
    /// <summary>Every pool on the node.</summary>
    public static IReadOnlyList<LivePool> ReadPools(NodeSession session)
    {
        var store = LedgerStore.For(session.Target);
        var result = new List<LivePool>();
        foreach (var pool in session.Connection.ListAllStoragePools())
        {
            using (pool)
            {
                // A pool stopped or started by someone else while we read it ("not active" from the
                // volume listing or the ledger) is read again in its new state; only a third change in
                // a row makes the node unreadable.
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        result.Add(ReadPool(pool, store));
                        break;
                    }
                    catch (LibvirtNotFoundException)
                    {
                        // Undefined while we read: not there any more.
                        break;
                    }
                    catch (LibvirtOperationInvalidException) when (attempt < 3)
                    {
                    }
                }
            }
        }
        return result;
    }

    /// <summary>One pool by name, or null.</summary>
    public static LivePool? ReadPool(NodeSession session, string name)
    {
        using var pool = session.Connection.LookupStoragePoolByName(name);
        return pool is null ? null : ReadPool(pool, LedgerStore.For(session.Target));
    }

    private static LivePool ReadPool(LibvirtStoragePool pool, LedgerStore store)
    {
        var persistent = pool.IsPersistent;
        var active = pool.IsActive;
        var xml = PoolXml(pool);
        var (type, path) = StorageXml.ParsePool(xml);
        var volumes = new List<LiveVolume>();
        if (active)
        {
            try
            {
                pool.Refresh(); // volumes added or grown outside libvirt
            }
            catch (LibvirtException)
            {
                // Some drivers cannot refresh; the listing is then what libvirt last saw.
            }
            foreach (var volume in pool.ListAllVolumes())
            {
                using (volume)
                {
                    if (volume.Name == StorageLedger.VolumeName) continue;
                    var (capacity, format, backing, _) = StorageXml.ParseVolume(volume.GetXmlDesc());
                    volumes.Add(new LiveVolume(volume.Name, volume.Path, capacity, format, backing));
                }
            }
        }
        var (ledger, error, text) = store.Read(pool);
        var autostart = persistent && pool.Autostart;
        var fingerprint = Digest($"{active}|{autostart}|{xml}|{text}");
        return new LivePool(pool.Name, pool.Uuid, active, autostart, persistent, type, path, volumes, ledger, error, fingerprint, StorageXml.ParsePoolSource(xml));
    }

    /// <summary>Every network on the node.</summary>
    public static IReadOnlyList<LiveNetwork> ReadNetworks(LibvirtConnection connection)
    {
        var result = new List<LiveNetwork>();
        foreach (var network in connection.ListAllNetworks())
        {
            using (network)
            {
                try
                {
                    result.Add(ReadNetwork(network));
                }
                catch (LibvirtNotFoundException)
                {
                }
            }
        }
        return result;
    }

    /// <summary>One network by name, or null.</summary>
    public static LiveNetwork? ReadNetwork(LibvirtConnection connection, string name)
    {
        using var network = connection.LookupNetworkByName(name);
        return network is null ? null : ReadNetwork(network);
    }

    private static LiveNetwork ReadNetwork(LibvirtNetwork network)
    {
        var persistent = network.IsPersistent;
        var active = network.IsActive;
        var autostart = persistent && network.Autostart;
        var xml = NetworkXmlText(network);
        NetworkXml.Parsed? parsed = null;
        try
        {
            parsed = NetworkXml.Parse(xml);
        }
        catch (RenderException)
        {
        }
        return new LiveNetwork(network.Name, network.Uuid, active, autostart, persistent, parsed?.Owner, parsed?.Spec,
            Digest($"{active}|{autostart}|{xml}"));
    }

    /// <summary>The pool's persistent definition; see <see cref="PersistentXml"/>.</summary>
    public static string PoolXml(LibvirtStoragePool pool) => PersistentXml(pool, pool.GetXmlDesc);

    /// <summary>The network's persistent definition; see <see cref="PersistentXml"/>.</summary>
    public static string NetworkXmlText(LibvirtNetwork network) => PersistentXml(network, network.GetXmlDesc);

    /// <summary>
    /// The persistent definition (<paramref name="xml"/> with inactive true); the live one for a
    /// transient object, or where the driver cannot give it (libvirt's test driver).
    /// </summary>
    private static string PersistentXml(LibvirtPersistentObject o, Func<bool, string> xml)
    {
        if (!o.IsPersistent) return xml(false);
        try
        {
            return xml(true);
        }
        catch (LibvirtException)
        {
            return xml(false);
        }
    }

    private static string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..24];
}
