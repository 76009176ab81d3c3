using System.Diagnostics;
using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>One overlay an external snapshot made.</summary>
/// <param name="Target">The disk's guest device name (<c>vda</c>).</param>
/// <param name="DiskPath">The disk's own path (the spec's), which the overlay's chain leads down to.</param>
/// <param name="File">The overlay file, <c>DiskPath.SNAPSHOT</c> (<see cref="ExternalOverlays.PathFor"/>).</param>
internal sealed record ExternalOverlayFile(string Target, string DiskPath, string File);

/// <summary>An external (disk-only) snapshot: its name and the overlay it made for each file disk.</summary>
/// <param name="Name">The snapshot's name.</param>
/// <param name="Overlays">One per disk the snapshot covers.</param>
internal sealed record ExternalSnapshot(string Name, IReadOnlyList<ExternalOverlayFile> Overlays);

/// <summary>How <see cref="ExternalSnapshots.Prune"/> ended.</summary>
internal enum ExternalPruneStatus
{
    /// <summary>Every overlay was merged into its backing file and deleted, and the snapshot's metadata removed.</summary>
    Merged,

    /// <summary>Nothing was done: the domain is not running (libvirt merges overlays only into a running domain's chain). The snapshot stays.</summary>
    NotRunning,

    /// <summary>Nothing was done: the snapshot is not an external one of this domain (delete it as an internal snapshot).</summary>
    NotExternal,

    /// <summary>
    /// A merge failed or timed out and was cancelled: the disk still runs on its chain as it was
    /// before that merge (usable, nothing lost); overlays merged before it stay merged, and the
    /// snapshot's metadata stays, so a later prune takes up the rest.
    /// </summary>
    CommitFailed,
}

/// <summary>What <see cref="ExternalSnapshots.Prune"/> did.</summary>
/// <param name="Snapshot">The snapshot's name.</param>
/// <param name="Status">How it ended.</param>
/// <param name="Message">One line for the operator; for <see cref="ExternalPruneStatus.CommitFailed"/> it names the disk and says the chain is usable.</param>
/// <param name="Merged">The overlay files merged (and deleted) by this call.</param>
internal sealed record ExternalPruneOutcome(string Snapshot, ExternalPruneStatus Status, string Message, IReadOnlyList<string> Merged);

/// <summary>An external snapshot cannot be taken of this domain (the message says why and what to do).</summary>
/// <param name="message">The reason.</param>
internal sealed class ExternalSnapshotException(string message) : Exception(message);

/// <summary>
/// Reconciler's external snapshots (<c>spec.snapshots.kind: external</c>): disk-only snapshots
/// that put a qcow2 overlay on top of each file disk, so the guest is never paused (beyond the
/// agent's filesystem freeze when quiesce is asked). The overlay of snapshot <c>S</c> for a disk
/// whose spec path is <c>P</c> is <c>P.S</c> beside it (<see cref="ExternalOverlays"/>), so the
/// parser reads the chain back to <c>P</c> and the plan stays empty. The metadata is kept, so
/// libvirt lists them with the internal ones. Pruning a snapshot merges its overlay down into the
/// overlay's backing file with a block commit (the active layer with a pivot) and deletes it on
/// the node, so the chain never grows without bound.
/// </summary>
/// <remarks>
/// Decisions: only file disks get overlays (block, volume and network disks make the snapshot
/// refuse, naming the disk, rather than leave a disk out of it); read-only disks and cdroms are left
/// out. A stopped domain is not merged offline (no <c>qemu-img</c> behind libvirt's back): its
/// prune returns <see cref="ExternalPruneStatus.NotRunning"/> and the snapshot waits for the next
/// pass while it runs. libvirt 9.0 cannot revert to an external snapshot; <c>rollback</c> refuses them.
/// </remarks>
/// <param name="pollInterval">How often a running merge is looked at; default 100 ms.</param>
/// <param name="commitTimeout">How long one disk's merge may take before it is cancelled (the chain stays as it was); default 30 minutes.</param>
internal sealed class ExternalSnapshots(TimeSpan? pollInterval = null, TimeSpan? commitTimeout = null)
{
    private readonly TimeSpan _poll = pollInterval ?? TimeSpan.FromMilliseconds(100);
    private readonly TimeSpan _timeout = commitTimeout ?? TimeSpan.FromMinutes(30);

    /// <summary>
    /// Takes external snapshot <paramref name="name"/> now: one overlay per writable file disk, all
    /// or none (atomic), metadata kept. The guest keeps running.
    /// </summary>
    /// <param name="domain">The domain (running or stopped).</param>
    /// <param name="name">The snapshot's name; starts with <see cref="ExternalOverlays.SnapshotPrefix"/>.</param>
    /// <param name="description">The snapshot's description.</param>
    /// <param name="quiesce">Freeze the guest's filesystems through the guest agent first; libvirt refuses the snapshot (a <see cref="LibvirtException"/>) when the agent does not answer.</param>
    /// <returns>What it made.</returns>
    /// <exception cref="ExternalSnapshotException">A disk cannot have an overlay beside it (not a file), or the domain has no file disk.</exception>
    public ExternalSnapshot Take(LibvirtDomain domain, string name, string description, bool quiesce)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(description);
        var devices = XDocument.Parse(domain.GetXmlDesc()).Root?.Element("devices");
        var disks = new XElement("disks");
        var made = new List<ExternalOverlayFile>();
        foreach (var disk in devices?.Elements("disk") ?? [])
        {
            var target = (string?)disk.Element("target")?.Attribute("dev") ?? throw new ExternalSnapshotException($"domain '{domain.Name}' has a disk without a target");
            var type = (string?)disk.Attribute("type") ?? "file";
            var source = (string?)disk.Element("source")?.Attribute("file");
            if ((string?)disk.Attribute("device") is "cdrom" or "floppy" || disk.Element("readonly") is not null || disk.Element("source") is null)
            {
                disks.Add(new XElement("disk", new XAttribute("name", target), new XAttribute("snapshot", "no")));
                continue;
            }
            if (type != "file" || source is null)
            {
                throw new ExternalSnapshotException(
                    $"domain '{domain.Name}': disk {target} is a {type} disk; external snapshots put an overlay file beside file disks only (use kind: internal, or a path disk)");
            }
            var path = ExternalOverlays.Read(disk)?.Path ?? source;
            var file = ExternalOverlays.PathFor(path, name);
            made.Add(new ExternalOverlayFile(target, path, file));
            disks.Add(new XElement("disk", new XAttribute("name", target), new XAttribute("snapshot", "external"),
                new XElement("source", new XAttribute("file", file))));
        }
        if (made.Count == 0) throw new ExternalSnapshotException($"domain '{domain.Name}' has no writable file disk to put an overlay on");
        var xml = new XElement("domainsnapshot",
            new XElement("name", name),
            new XElement("description", description),
            new XElement("memory", new XAttribute("snapshot", "no")),
            disks);
        var flags = SnapshotCreateFlags.DiskOnly | SnapshotCreateFlags.Atomic | (quiesce ? SnapshotCreateFlags.Quiesce : 0);
        domain.CreateSnapshot(xml.ToString(), flags);
        return new ExternalSnapshot(name, made);
    }

    /// <summary>The snapshot <paramref name="name"/> of <paramref name="domain"/> when it is an external one (it has an overlay disk), else null.</summary>
    /// <exception cref="LibvirtNotFoundException">There is no such snapshot.</exception>
    public static ExternalSnapshot? Describe(LibvirtDomain domain, string name)
    {
        ArgumentNullException.ThrowIfNull(domain);
        var root = XDocument.Parse(domain.GetSnapshotXml(name)).Root!;
        var overlays = root.Element("disks")?.Elements("disk")
            .Where(d => (string?)d.Attribute("snapshot") == "external" && (string?)d.Element("source")?.Attribute("file") is not null)
            .Select(d =>
            {
                var file = (string)d.Element("source")!.Attribute("file")!;
                return new ExternalOverlayFile((string?)d.Attribute("name") ?? "", ExternalOverlays.BaseOf(file) ?? "", file);
            })
            .ToList() ?? [];
        return overlays.Count == 0 ? null : new ExternalSnapshot(name, overlays);
    }

    /// <summary>
    /// Prunes external snapshot <paramref name="name"/>: merges each of its overlays down into the
    /// overlay's backing file (a block commit; the active layer is pivoted back onto its backing
    /// file), has the node delete the overlay, and removes the snapshot's metadata once all are
    /// merged. The guest keeps running throughout. An overlay no longer in the chain (merged by an
    /// earlier, partly failed prune) is skipped. Never throws for a failed merge: the outcome says so.
    /// </summary>
    /// <param name="domain">The running domain.</param>
    /// <param name="name">The snapshot.</param>
    /// <param name="cancel">Cancels a running merge (the chain stays as it was) and throws.</param>
    /// <returns>The outcome.</returns>
    /// <exception cref="LibvirtNotFoundException">There is no such snapshot.</exception>
    public ExternalPruneOutcome Prune(LibvirtDomain domain, string name, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(domain);
        if (Describe(domain, name) is not { } snapshot)
        {
            return new ExternalPruneOutcome(name, ExternalPruneStatus.NotExternal, $"'{name}' is not an external snapshot of '{domain.Name}'", []);
        }
        if (!domain.IsActive)
        {
            return new ExternalPruneOutcome(name, ExternalPruneStatus.NotRunning,
                $"external snapshot '{name}' of '{domain.Name}' is kept: its overlays are merged back only while the domain runs (block commit); it is pruned on a later pass", []);
        }
        var merged = new List<string>();
        foreach (var overlay in snapshot.Overlays)
        {
            var failure = Merge(domain, overlay, cancel);
            if (failure is not null)
            {
                return new ExternalPruneOutcome(name, ExternalPruneStatus.CommitFailed,
                    $"external snapshot '{name}' of '{domain.Name}': merging {overlay.File} into its backing file failed ({failure}); disk {overlay.Target} runs on its chain as before and is usable; the snapshot is kept (its point-in-time image may be partly merged already) and its prune is retried on a later pass",
                    merged);
            }
            merged.Add(overlay.File);
        }
        domain.DeleteSnapshot(name, SnapshotDeleteFlags.MetadataOnly);
        return new ExternalPruneOutcome(name, ExternalPruneStatus.Merged,
            $"external snapshot '{name}' of '{domain.Name}' merged back ({merged.Count} overlay(s)) and removed", merged);
    }

    /// <summary>The files of the chain of disk <paramref name="target"/> in the running definition, the active one first.</summary>
    internal static List<string> Chain(LibvirtDomain domain, string target)
    {
        var disk = XDocument.Parse(domain.GetXmlDesc()).Root?.Element("devices")?.Elements("disk")
            .FirstOrDefault(d => (string?)d.Element("target")?.Attribute("dev") == target);
        var files = new List<string>();
        if ((string?)disk?.Element("source")?.Attribute("file") is { } top) files.Add(top);
        for (var store = disk?.Element("backingStore"); store is not null; store = store.Element("backingStore"))
        {
            if ((string?)store.Element("source")?.Attribute("file") is { } file) files.Add(file);
        }
        return files;
    }

    /// <summary>Merges one overlay; null when it is merged (or was already), else why not. The chain is as before on failure.</summary>
    private string? Merge(LibvirtDomain domain, ExternalOverlayFile overlay, CancellationToken cancel)
    {
        var chain = Chain(domain, overlay.Target);
        var at = chain.IndexOf(overlay.File);
        if (at < 0) return null;
        if (at + 1 >= chain.Count) return "it has no backing file in the chain";
        var active = at == 0;
        try
        {
            domain.BlockCommit(overlay.Target, chain[at + 1], overlay.File, BlockCommitFlags.Delete | (active ? BlockCommitFlags.Active : 0));
        }
        catch (LibvirtException e)
        {
            return e.Message;
        }
        var elapsed = Stopwatch.StartNew();
        while (domain.GetBlockJobInfo(overlay.Target) is { } job)
        {
            if (cancel.IsCancellationRequested || elapsed.Elapsed > _timeout)
            {
                Cancel(domain, overlay.Target);
                cancel.ThrowIfCancellationRequested();
                return $"it did not finish within {_timeout.TotalMinutes:0.#} minutes and was cancelled";
            }
            if (active && job.End > 0 && job.Current == job.End)
            {
                try
                {
                    domain.AbortBlockJob(overlay.Target, BlockJobAbortFlags.Pivot);
                }
                catch (LibvirtOperationInvalidException)
                {
                    // Not ready yet in libvirt's eyes (QEMU's ready event still on its way): look again.
                }
            }
            cancel.WaitHandle.WaitOne(_poll);
        }
        return Chain(domain, overlay.Target).Contains(overlay.File)
            ? "the block job ended without merging it (libvirtd's log has QEMU's reason)"
            : null;
    }

    private static void Cancel(LibvirtDomain domain, string target)
    {
        try
        {
            domain.AbortBlockJob(target, BlockJobAbortFlags.None);
        }
        catch (LibvirtException)
        {
            // The job ended on its own meanwhile; the chain is read afterwards either way.
        }
    }
}
