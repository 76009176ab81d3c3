using System.Globalization;
using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>
/// What the storage steps — pools (<see cref="PoolSteps"/>), volumes (<see cref="VolumeSteps"/>)
/// and cloud-init seeds (<see cref="SeedSteps"/>) — and volume moves share: the running pool, the
/// ledger edit, the free-space check, who attaches a volume. Each step reads what it needs from the node again, so it acts on the
/// present, not on the plan's snapshot; every destructive step re-checks its guard (ownership,
/// policy, attachment) right before acting.
/// </summary>
/// <remarks>
/// The sandbox (libvirt's test driver) has no storage streams and cannot resize: there, volume
/// content (base images, seeds) is not uploaded and a grow recreates the (empty) volume; sizes,
/// ownership and ordering behave as on a real node.
/// </remarks>
internal static class StorageSteps
{
    /// <summary>Target devs of the disks in a domain XML that use the volume (by pool/volume or by path).</summary>
    internal static IEnumerable<string> Targets(string domainXml, string pool, string volume, string path)
    {
        var doc = XDocument.Parse(domainXml);
        foreach (var disk in doc.Descendants("disk"))
        {
            var source = disk.Element("source");
            var match = ((string?)source?.Attribute("pool") == pool && (string?)source?.Attribute("volume") == volume)
                || (string?)source?.Attribute("file") == path || (string?)source?.Attribute("dev") == path
                || ExternalOverlays.Read(disk)?.Path == path;   // on external-snapshot overlays of the path
            if (match && (string?)disk.Element("target")?.Attribute("dev") is { } dev) yield return dev;
        }
    }

    /// <summary>Domains (persistent or running definition) that use any of the volumes.</summary>
    internal static List<string> Users(NodeSession session, string pool, IReadOnlyList<LiveVolume> volumes)
    {
        var users = new List<string>();
        foreach (var domain in session.Connection.ListAllDomains())
        {
            using (domain)
            {
                try
                {
                    var xmls = new List<string> { domain.GetXmlDesc(domain.IsPersistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None) };
                    if (domain.IsActive) xmls.Add(domain.GetXmlDesc(DomainXmlFlags.None));
                    if (xmls.Any(x => volumes.Any(v => Targets(x, pool, v.Name, v.Path).Any()))) users.Add(domain.Name);
                }
                catch (LibvirtNotFoundException)
                {
                    // Undefined since the listing: it attaches nothing any more.
                }
            }
        }
        return users;
    }

    internal static LibvirtStoragePool ActivePool(NodeSession session, string name)
    {
        var pool = session.Connection.LookupStoragePoolByName(name) ?? throw new ApplyStepException($"storage pool {name} is not on node {session.Target.Name}");
        if (!pool.IsActive)
        {
            pool.Dispose();
            throw new ApplyStepException($"storage pool {name} is not running");
        }
        return pool;
    }

    /// <summary>
    /// Refuses, before anything is written, a volume (or growth) larger than the pool's free space:
    /// libvirt creates volumes sparse, so without this check one that does not fit is made and fails
    /// later, half-written, on the first write that finds the filesystem full. The sandbox is not
    /// checked (the test driver accounts space itself).
    /// </summary>
    internal static void EnsureRoom(NodeSession session, LibvirtStoragePool pool, string what, ulong bytes, string outcome)
    {
        if (session.Target.IsSandbox) return;
        pool.Refresh();
        var free = pool.GetInfo().AvailableBytes;
        if (bytes > free)
        {
            throw new ApplyStepException($"pool {pool.Name} has {Approximate(free)} free; {what} needs {Approximate(bytes)}; {outcome}");
        }
    }

    /// <summary>A size for a message, rounded down to one decimal in the largest fitting binary unit (63.9 MiB).</summary>
    private static string Approximate(ulong bytes)
    {
        foreach (var (suffix, factor) in new[] { ("TiB", 1UL << 40), ("GiB", 1UL << 30), ("MiB", 1UL << 20), ("KiB", 1UL << 10) })
        {
            if (bytes >= factor) return (Math.Floor(bytes * 10.0 / factor) / 10).ToString("0.#", CultureInfo.InvariantCulture) + " " + suffix;
        }
        return bytes.ToString(CultureInfo.InvariantCulture) + " bytes";
    }

    /// <summary>Reads the pool's ledger, changes one record (null removes it), writes it back.</summary>
    internal static void Edit(LedgerStore store, LibvirtStoragePool pool, string volume, Func<VolumeRecord?, VolumeRecord?> change)
    {
        var (ledger, error, _) = store.Read(pool);
        if (error is not null && ledger is null && !error.Contains("inactive", StringComparison.Ordinal))
        {
            throw new ApplyStepException($"the ledger of pool {pool.Name} cannot be read ({error}); nothing is recorded");
        }
        var records = new Dictionary<string, VolumeRecord>(ledger?.Volumes ?? new Dictionary<string, VolumeRecord>(), StringComparer.Ordinal);
        var next = change(records.GetValueOrDefault(volume));
        if (next is null) records.Remove(volume);
        else records[volume] = next;
        store.Write(pool, (ledger ?? StorageLedger.Empty) with { Volumes = records });
    }
}
