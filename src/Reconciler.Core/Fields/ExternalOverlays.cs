using System.Xml.Linq;
using Reconciler.Core.Model;

namespace Reconciler.Core.Fields;

/// <summary>
/// The files of Reconciler's external snapshots: the overlay snapshot <c>S</c> makes of a disk
/// whose spec path is <c>P</c> is <c>P.S</c>, beside the disk (and <c>S</c> starts with
/// <see cref="SnapshotPrefix"/>), whatever overlays are already above <c>P</c>. So every overlay of
/// a disk names the spec's path, and a definition whose disk source is such an overlay is read back
/// to <c>P</c> by following its <c>&lt;backingStore&gt;</c> chain (libvirt writes the chain in the
/// live and in the persistent definition).
/// </summary>
public static class ExternalOverlays
{
    /// <summary>The name prefix of Reconciler's snapshots (the same as the engine's <c>Snapshots.Prefix</c>).</summary>
    public const string SnapshotPrefix = "reconciler-";

    private const string Marker = "." + SnapshotPrefix;

    /// <summary>The overlay file snapshot <paramref name="snapshot"/> makes for the disk whose spec path is <paramref name="diskPath"/>.</summary>
    public static string PathFor(string diskPath, string snapshot)
    {
        ArgumentException.ThrowIfNullOrEmpty(diskPath);
        if (!snapshot.StartsWith(SnapshotPrefix, StringComparison.Ordinal) || snapshot.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{snapshot}' is not a name of Reconciler's snapshots ({SnapshotPrefix}…, no '/')", nameof(snapshot));
        }
        return diskPath + "." + snapshot;
    }

    /// <summary>The disk path an overlay file name points back to (<c>P.reconciler-…</c> → <c>P</c>), or null when <paramref name="file"/> is not named like one.</summary>
    public static string? BaseOf(string file)
    {
        var at = file.LastIndexOf(Marker, StringComparison.Ordinal);
        return at <= 0 || file[at..].Contains('/', StringComparison.Ordinal) || file[at - 1] == '/' ? null : file[..at];
    }

    /// <summary>
    /// A file disk whose source is one of Reconciler's overlays: the spec's path, its format, and the
    /// overlays above it, found by following the <c>&lt;backingStore&gt;</c> chain to the path the
    /// overlay names, every layer on the way being an overlay of that same path. Null for any other
    /// disk, and when the chain is not in the definition (then the overlay reads as the source, a diff).
    /// </summary>
    public static (string Path, string? Format, DiskOverlayChain Chain)? Read(XElement disk)
    {
        ArgumentNullException.ThrowIfNull(disk);
        if ((string?)disk.Attribute("type") is not ("file" or null)) return null;
        if ((string?)disk.Element("source")?.Attribute("file") is not { } top || BaseOf(top) is not { } path) return null;
        var files = new List<string> { top };
        for (var store = disk.Element("backingStore"); store is not null; store = store.Element("backingStore"))
        {
            var file = (string?)store.Element("source")?.Attribute("file");
            if (file == path) return (path, (string?)store.Element("format")?.Attribute("type"), new DiskOverlayChain(files));
            if (file is null || BaseOf(file) != path) return null;
            files.Add(file);
        }
        return null;
    }

    /// <summary>
    /// Writes <paramref name="chain"/> into a rendered file disk whose source is the spec's path: the
    /// source becomes the newest overlay (qcow2) and a <c>&lt;backingStore&gt;</c> chain leads down to
    /// the spec's path in the rendered format, as libvirt itself writes it after a snapshot.
    /// </summary>
    public static void Write(XElement disk, DiskOverlayChain chain)
    {
        ArgumentNullException.ThrowIfNull(disk);
        ArgumentNullException.ThrowIfNull(chain);
        var source = disk.Element("source");
        var driver = disk.Element("driver");
        if ((string?)disk.Attribute("type") != "file" || (string?)source?.Attribute("file") is not { } path || chain.Files.Count == 0) return;
        var format = (string?)driver?.Attribute("type");
        var bottom = new XElement("backingStore", new XAttribute("type", "file"));
        if (format is not null) bottom.Add(new XElement("format", new XAttribute("type", format)));
        bottom.Add(new XElement("source", new XAttribute("file", path)));
        var store = bottom;
        for (var i = chain.Files.Count - 1; i >= 1; i--)
        {
            store = new XElement("backingStore", new XAttribute("type", "file"),
                new XElement("format", new XAttribute("type", "qcow2")),
                new XElement("source", new XAttribute("file", chain.Files[i])),
                store);
        }
        source!.SetAttributeValue("file", chain.Files[0]);
        XmlOrder.Ensure(disk, "driver").SetAttributeValue("type", "qcow2");
        disk.Element("backingStore")?.Remove();
        source.AddAfterSelf(store);
    }
}
