using System.Globalization;
using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Snapshots Reconciler takes before a restart or replace change of a domain whose spec asks for
/// them (<c>snapshotBeforeUpdate: true</c>). They are named <c>reconciler-YYYYMMDDTHHMMSSZ</c>,
/// described with the revision being applied, pruned to the spec's <c>snapshotsToKeep</c>, and
/// restored by <c>reconcile rollback NAME</c>. Snapshots anyone else made are never touched.
/// </summary>
public static class Snapshots
{
    /// <summary>The name prefix of Reconciler's snapshots.</summary>
    public const string Prefix = "reconciler-";

    /// <summary>Takes a snapshot now; returns its name.</summary>
    public static string Take(LibvirtDomain domain, string revision, DateTimeOffset now)
    {
        var name = Prefix + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var xml = new XElement("domainsnapshot",
            new XElement("name", name),
            new XElement("description", $"taken by Reconciler before applying revision {revision}"));
        domain.CreateSnapshot(xml.ToString(), SnapshotCreateFlags.None);
        return name;
    }

    /// <summary>Reconciler's snapshots of <paramref name="domain"/>, oldest first.</summary>
    public static IReadOnlyList<string> List(LibvirtDomain domain) =>
        domain.ListSnapshotNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Deletes Reconciler's oldest snapshots beyond <paramref name="keep"/>.</summary>
    public static void Prune(LibvirtDomain domain, int keep)
    {
        var ours = List(domain);
        foreach (var name in ours.Take(Math.Max(0, ours.Count - keep)))
        {
            domain.DeleteSnapshot(name, SnapshotDeleteFlags.None);
        }
    }
}
