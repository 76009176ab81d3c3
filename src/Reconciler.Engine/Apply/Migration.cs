using System.Xml.Linq;

namespace Reconciler.Engine.Apply;

/// <summary>
/// Carries out a <see cref="DomainMigrate"/>: a running domain is live-migrated (persistent
/// on the target, undefined on the source); a stopped one is defined on the target from its
/// source definition (same UUID, same owner metadata) and then undefined on the source. A failed
/// live migration leaves the domain running on the source, and the step's error says so.
/// Owned volumes that move with the domain (<see cref="DomainMigrate.Volumes"/>) are created empty
/// on the target first (recorded as incomplete in the target pool's ledger), filled by the
/// migration (copied storage) or, for a stopped domain, by a download from the source and an upload
/// to the target, then recorded as complete; only after the domain runs (or is defined) on the
/// target is the source copy released (Retain) or deleted (Delete). When the move fails, the
/// volumes created for it on the target are deleted again (they are ours and hold no other data).
/// </summary>
internal static partial class Migration
{
    private const MigrateFlags Base = MigrateFlags.Live | MigrateFlags.PersistDest | MigrateFlags.UndefineSource;

    /// <summary>Moves <paramref name="change"/>'s domain from its source node to <paramref name="target"/>.</summary>
    public static void Execute(IReadOnlyDictionary<string, NodeSession> sessions, NodeSession target, Plan plan, DomainMigrate change, TextWriter progress)
    {
        var from = change.FromNode;
        if (!sessions.TryGetValue(from, out var source))
        {
            throw new ApplyStepException($"source node '{change.FromNode}' of {change.Name} is not connected; nothing was moved");
        }
        using var domain = source.Connection.LookupDomainByName(change.Name)
            ?? throw new ApplyStepException($"domain {change.Name} is no longer on node {from}");
        var active = domain.IsActive;
        ClearSnapshots(domain, change, progress);
        if (change.Volumes.Count > 0) CreateTargets(source, target, plan, change, progress);
        try
        {
            if (active)
            {
                Live(domain, source, target, change, progress);
            }
            else
            {
                Cold(domain, source, target, change, progress);
            }
        }
        catch (ApplyStepException e) when (change.Volumes.Count > 0)
        {
            if (!OnTarget(target, change.Name)) throw new ApplyStepException(e.Message + RemoveTargets(target, change));
            // The domain is (also) on the target and uses the copies there: they are complete, the source copies stay as they are.
            CompleteTargets(target, change);
            throw new ApplyStepException(e.Message + $"; its volume(s) on {change.Node} hold the copied data and are kept; the source copies are untouched");
        }
        if (change.Volumes.Count > 0) FinishVolumes(source, target, change, progress);
        if (change.SourceSeedPool is { } seedPool) DeleteSourceSeed(source, plan, change, seedPool, progress);
        using var moved = target.Connection.LookupDomainByName(change.Name)
            ?? throw new ApplyStepException($"domain {change.Name} is not on node {target.Target.Name} after the move");
        if (moved.Autostart != change.Desired.Autostart) moved.Autostart = change.Desired.Autostart;
    }

    private static void Live(LibvirtDomain domain, NodeSession source, NodeSession target, DomainMigrate change, TextWriter progress)
    {
        var destUri = target.Target.Uri;
        var migrateUri = IsLocal(source.Target.Uri) && IsLocal(destUri) ? "tcp://127.0.0.1" : null;
        var policy = change.Desired.Migration ?? MigrationPolicy.Default;
        // Copied storage: libvirt creates each disk image on the target (in the pool holding its
        // path) and mirrors it over NBD before the guest switches over; shared storage moves only
        // memory and device state, and libvirt refuses disks that are not on a shared filesystem.
        var copy = policy.Storage == MigrationStorage.Copy || change.Volumes.Count > 0;
        var flags = Flags(policy, copy);
        var storage = copy ? "copying the disks" : "shared storage";
        // Moving volumes: the target runs (and keeps) the definition with their disks in the target pools.
        string? destXml = null, persistXml = null;
        if (change.Volumes.Count > 0 || change.SourceSeedPool is not null)
        {
            destXml = Repoint(domain.GetXmlDesc(DomainXmlFlags.Secure | DomainXmlFlags.Migratable), change);
            persistXml = Repoint(domain.GetXmlDesc(DomainXmlFlags.Secure | DomainXmlFlags.Inactive | DomainXmlFlags.Migratable), change);
        }
        var limit = policy.Timeout?.For(change.Desired.MemoryBytes);
        var applied = $"flags {FlagsText(flags)}" + (policy.BandwidthMiBps is { } bw ? $", bandwidth {bw} MiB/s" : "")
            + (policy.Timeout is { } t && limit is { } l ? $", timeout {Seconds(l)} ({ByteSize.Format(change.Desired.MemoryBytes)} × {MigrationTimeout.FormatDuration(t.PerGiB)}/GiB) → {t.Action.ToString().ToLowerInvariant()}" : "");
        Action migrate;
        if (HasHost(destUri) && !IsLocalhostName(destUri))
        {
            progress.WriteLine($"    live migration, peer-to-peer to {destUri}, {storage}; {applied}");
            migrate = () => domain.Migrate(destUri, flags | MigrateFlags.PeerToPeer, migrateUri: migrateUri, destXml: destXml, persistXml: persistXml, bandwidthMiBps: policy.BandwidthMiBps);
        }
        else
        {
            // A socket URI (qemu:///system) means something else to the source daemon (its own
            // socket), and libvirt refuses peer-to-peer to a host named localhost ("Attempt to
            // migrate guest to the same host"), so the client drives both sides over the
            // connections it already holds.
            progress.WriteLine($"    live migration to {destUri} (driven by this client: the target has no address the source daemon can dial), {storage}; {applied}");
            migrate = () => domain.MigrateTo(target.Connection, flags, migrateUri, destXml, persistXml, policy.BandwidthMiBps);
        }
        TimedOut? timedOut;
        try
        {
            timedOut = Watch(domain, migrate, policy, limit, progress);
        }
        catch (LibvirtException e)
        {
            var hint = !copy && e.Message.Contains("shared storage", StringComparison.OrdinalIgnoreCase)
                ? "; its disks are not on storage both nodes share: set spec.migration.storage: copy to copy them" : "";
            throw new ApplyStepException(
                $"live migration from {change.FromNode} to {change.Node} failed: {e.Message}; the domain is {SourceState(source, change.Name)} on node {change.FromNode}{hint}");
        }
        if (timedOut is { Failure: { } failure })
        {
            var state = SourceState(source, change.Name);
            var what = timedOut.Action == MigrationTimeoutAction.Abort
                ? $"timed out after {Seconds(timedOut.After)} (limit {Seconds(limit!.Value)}) and was aborted (spec.migration.timeout.action: abort)"
                : $"timed out after {Seconds(timedOut.After)} (limit {Seconds(limit!.Value)}), then failed after the timeout action {timedOut.Action.ToString().ToLowerInvariant()}";
            throw new ApplyStepException($"live migration from {change.FromNode} to {change.Node} {what}: {failure.Message}; the domain is {state} on node {change.FromNode}");
        }
        if (timedOut is { Failure: null } done)
        {
            progress.WriteLine($"    the migration outlasted its timeout ({Seconds(limit!.Value)}) and completed after the timeout action {done.Action.ToString().ToLowerInvariant()} ({Seconds(done.After)} in all)");
            if (done.Action == MigrationTimeoutAction.Pause) ResumeOnTarget(target, change, progress);
        }
    }

    private static void Cold(LibvirtDomain domain, NodeSession source, NodeSession target, DomainMigrate change, TextWriter progress)
    {
        var xml = domain.GetXmlDesc(DomainXmlFlags.Inactive | DomainXmlFlags.Secure);
        foreach (var move in change.Volumes) CopyContent(source, target, move, progress);
        if (change.Volumes.Count > 0 || change.SourceSeedPool is not null) xml = Repoint(xml, change);
        try
        {
            using (target.Connection.DefineDomain(xml, validate: false))
            {
            }
        }
        catch (LibvirtException e)
        {
            throw new ApplyStepException($"{change.Name} could not be defined on {change.Node}: {e.Message}; it is still defined (stopped) on {change.FromNode}");
        }
        try
        {
            domain.Undefine(LibvirtDomain.Keep);
        }
        catch (LibvirtException e)
        {
            throw new ApplyStepException(
                $"{change.Name} was defined on {change.Node} but could not be undefined on {change.FromNode}: {e.Message}; the next plan shows it on both nodes");
        }
    }

    /// <summary>
    /// libvirt refuses to migrate (and to undefine) a domain with snapshots: Reconciler's own are
    /// deleted when the spec allows it (<c>spec.migration.snapshots: delete</c>); any other
    /// snapshot, or one of ours the spec does not let go, fails the step before anything moves.
    /// Checked again here because snapshots may have been made since the plan.
    /// </summary>
    private static void ClearSnapshots(LibvirtDomain domain, DomainMigrate change, TextWriter progress)
    {
        var snapshots = domain.ListSnapshotNames();
        if (snapshots.Count == 0) return;
        var theirs = snapshots.Where(n => !MigrationPolicy.IsOwnSnapshot(n)).ToList();
        if (theirs.Count > 0)
        {
            throw new ApplyStepException($"{change.Name} has snapshot(s) Reconciler did not make: {string.Join(", ", theirs)}; libvirt cannot migrate it and Reconciler never deletes them; nothing was moved");
        }
        if ((change.Desired.Migration ?? MigrationPolicy.Default).Snapshots != MigrationSnapshots.Delete)
        {
            throw new ApplyStepException($"{change.Name} has Reconciler's snapshot(s) {string.Join(", ", snapshots)}, which libvirt cannot migrate; set spec.migration.snapshots: delete to let them go; nothing was moved");
        }
        foreach (var name in snapshots)
        {
            try
            {
                domain.DeleteSnapshot(name, SnapshotDeleteFlags.None);
            }
            catch (LibvirtException e)
            {
                throw new ApplyStepException($"Reconciler's snapshot {name} of {change.Name} could not be deleted: {e.Message}; nothing was moved");
            }
            progress.WriteLine($"    snapshot {name}: deleted before the move (spec.migration.snapshots: delete)");
        }
    }

    // ---- volumes that move with the domain ----

    /// <summary>Creates each moving volume empty on the target (same format and capacity), recorded as incomplete.</summary>
    private static void CreateTargets(NodeSession source, NodeSession target, Plan plan, DomainMigrate change, TextWriter progress)
    {
        var sourceStore = LedgerStore.For(source.Target);
        var targetStore = LedgerStore.For(target.Target);
        foreach (var move in change.Volumes)
        {
            string? baseImage;
            using (var from = StorageSteps.ActivePool(source, move.FromPool))
            {
                var (ledger, error, _) = sourceStore.Read(from);
                if (ledger?.Volumes.GetValueOrDefault(move.Name) is not { Role: VolumeRole.Volume, Released: false } record || record.Source != plan.Source)
                {
                    throw new ApplyStepException($"volume {move.Name} in pool {move.FromPool} on {change.FromNode} is not a volume of {plan.Source} any more{(error is null ? "" : $" ({error})")}; nothing was moved"
                        + RemoveTargets(target, change));
                }
                baseImage = record.BaseImage;
            }
            using var pool = StorageSteps.ActivePool(target, move.ToPool);
            using (var existing = pool.LookupVolumeByName(move.Name))
            {
                if (existing is not null)
                {
                    throw new ApplyStepException($"pool {move.ToPool} on {change.Node} already has a volume {move.Name}; it is not overwritten and nothing was moved" + RemoveTargets(target, change));
                }
            }
            // Incomplete until the data is there: an interrupted move leaves a record the next plan recognises as half-written.
            StorageSteps.Edit(targetStore, pool, move.Name, _ => new VolumeRecord(VolumeRole.Volume, move.Spec.Name, plan.Source, plan.Revision, move.SourcePolicy, Complete: false, BaseImage: baseImage));
            try
            {
                pool.CreateVolume(StorageXml.Volume(move.Name, move.CapacityBytes, move.Format)).Dispose();
            }
            catch (LibvirtException e)
            {
                throw new ApplyStepException($"volume {move.Name} could not be created in pool {move.ToPool} on {change.Node}: {e.Message}; nothing was moved" + RemoveTargets(target, change));
            }
            progress.WriteLine($"    volume {move.Name}: created in pool {move.ToPool} on {change.Node} ({move.Format}, {ByteSize.Format(move.CapacityBytes)}) for the move");
        }
    }

    /// <summary>A stopped domain's volume: downloaded from the source into a temporary file, uploaded into the target volume.</summary>
    private static void CopyContent(NodeSession source, NodeSession target, VolumeMove move, TextWriter progress)
    {
        var temp = Path.Combine(Path.GetTempPath(), $"reconciler-move-{Guid.NewGuid():N}");
        try
        {
            using var from = StorageSteps.ActivePool(source, move.FromPool);
            using var volume = from.LookupVolumeByName(move.Name) ?? throw new ApplyStepException($"volume {move.Name} is no longer in pool {move.FromPool}; nothing was moved");
            ulong length;
            using (var file = File.Create(temp)) length = volume.Download(file);
            using var to = StorageSteps.ActivePool(target, move.ToPool);
            using var copy = to.LookupVolumeByName(move.Name) ?? throw new ApplyStepException($"volume {move.Name} vanished from pool {move.ToPool}; nothing was moved");
            using (var file = File.OpenRead(temp)) copy.Upload(file, 0, length);
            to.Refresh();
            progress.WriteLine($"    volume {move.Name}: {ByteSize.Format(length)} copied from pool {move.FromPool} to pool {move.ToPool}");
        }
        catch (Exception e) when (e is LibvirtException or IOException)
        {
            throw new ApplyStepException($"volume {move.Name} could not be copied: {e.Message}; the domain is still defined (stopped) on the source");
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The domain XML with every disk of a moving volume (and the cloud-init seed) pointing at its pool on the target.</summary>
    internal static string Repoint(string xml, DomainMigrate change)
    {
        var doc = XDocument.Parse(xml);
        var seed = change.Desired.CloudInit is { Pool: { } seedPool } ci ? (ci.SeedVolume, seedPool) : default;
        foreach (var source in doc.Descendants("disk").Where(d => (string?)d.Attribute("type") == "volume").Select(d => d.Element("source")))
        {
            if (source is null) continue;
            var (pool, volume) = ((string?)source.Attribute("pool"), (string?)source.Attribute("volume"));
            if (change.Volumes.FirstOrDefault(m => m.Name == volume && m.FromPool == pool) is { } move) source.SetAttributeValue("pool", move.ToPool);
            else if (seed.SeedVolume is not null && volume == seed.SeedVolume) source.SetAttributeValue("pool", seed.seedPool);
        }
        return doc.ToString(SaveOptions.DisableFormatting);
    }

    private static bool OnTarget(NodeSession target, string name)
    {
        try
        {
            using var there = target.Connection.LookupDomainByName(name);
            return there is not null;
        }
        catch (LibvirtException)
        {
            return true; // cannot tell: keep the target volumes rather than delete data a domain may use
        }
    }

    /// <summary>Deletes the volumes created for a failed move (and their ledger records); the text says what happened to them.</summary>
    private static string RemoveTargets(NodeSession target, DomainMigrate change)
    {
        var store = LedgerStore.For(target.Target);
        var removed = new List<string>();
        var left = new List<string>();
        foreach (var move in change.Volumes)
        {
            try
            {
                using var pool = StorageSteps.ActivePool(target, move.ToPool);
                var (ledger, _, _) = store.Read(pool);
                // Only a volume this move created (recorded incomplete) is removed.
                if (ledger?.Volumes.GetValueOrDefault(move.Name) is not { Complete: false }) continue;
                using (var volume = pool.LookupVolumeByName(move.Name)) volume?.Delete();
                StorageSteps.Edit(store, pool, move.Name, _ => null);
                removed.Add($"{move.ToPool}/{move.Name}");
            }
            catch (Exception e) when (e is LibvirtException or ApplyStepException)
            {
                left.Add($"{move.ToPool}/{move.Name} ({e.Message})");
            }
        }
        var text = removed.Count > 0 ? $"; the volume(s) created for it on {change.Node} were deleted again ({string.Join(", ", removed)})" : "";
        if (left.Count > 0) text += $"; could not delete {string.Join(", ", left)} on {change.Node}: the next plan shows them as half-written";
        return text;
    }

    /// <summary>After a successful move: the domain's cloud-init seed on the source (generated, ours, attached to nothing) is deleted.</summary>
    private static void DeleteSourceSeed(NodeSession source, Plan plan, DomainMigrate change, string poolName, TextWriter progress)
    {
        var name = change.Desired.CloudInit?.SeedVolume ?? CloudInitSpec.SeedVolumeName(change.Name);
        try
        {
            var store = LedgerStore.For(source.Target);
            using var pool = StorageSteps.ActivePool(source, poolName);
            var (ledger, _, _) = store.Read(pool);
            if (ledger?.Volumes.GetValueOrDefault(name) is not { Role: VolumeRole.Seed } record || record.Source != plan.Source) return;
            using (var volume = pool.LookupVolumeByName(name))
            {
                if (volume is not null)
                {
                    var users = StorageSteps.Users(source, pool.Name, [new LiveVolume(name, volume.Path, 0, null, null)]);
                    if (users.Count > 0) throw new ApplyStepException($"it is attached to {string.Join(", ", users)}");
                    volume.Delete();
                }
            }
            StorageSteps.Edit(store, pool, name, _ => null);
            progress.WriteLine($"    cloud-init seed {name}: deleted from pool {poolName} on {change.FromNode}");
        }
        catch (Exception e) when (e is LibvirtException or ApplyStepException)
        {
            throw new ApplyStepException($"{change.Name} now runs from {change.Node}, but its old cloud-init seed {poolName}/{name} on {change.FromNode} was not deleted: {e.Message}; the next plan deletes it");
        }
    }

    private static void CompleteTargets(NodeSession target, DomainMigrate change)
    {
        var store = LedgerStore.For(target.Target);
        foreach (var move in change.Volumes)
        {
            using var pool = StorageSteps.ActivePool(target, move.ToPool);
            StorageSteps.Edit(store, pool, move.Name, r => r is null ? null : r with { Complete = true });
        }
    }

    /// <summary>After a successful move: the target copies are complete; the source copies are released (Retain) or deleted (Delete).</summary>
    private static void FinishVolumes(NodeSession source, NodeSession target, DomainMigrate change, TextWriter progress)
    {
        var sourceStore = LedgerStore.For(source.Target);
        var problems = new List<string>();
        CompleteTargets(target, change);
        foreach (var move in change.Volumes)
        {
            try
            {
                using var from = StorageSteps.ActivePool(source, move.FromPool);
                if (move.SourcePolicy == DeletionPolicy.Delete)
                {
                    using var volume = from.LookupVolumeByName(move.Name);
                    if (volume is not null)
                    {
                        var users = StorageSteps.Users(source, from.Name, [new LiveVolume(move.Name, volume.Path, 0, null, null)]);
                        if (users.Count > 0)
                        {
                            problems.Add($"the source copy {move.FromPool}/{move.Name} is still attached to {string.Join(", ", users)} on {change.FromNode} and was not deleted");
                            continue;
                        }
                        volume.Delete();
                    }
                    StorageSteps.Edit(sourceStore, from, move.Name, _ => null);
                    progress.WriteLine($"    volume {move.Name}: the source copy in pool {move.FromPool} on {change.FromNode} was deleted (deletionPolicy Delete)");
                }
                else
                {
                    StorageSteps.Edit(sourceStore, from, move.Name, r => r is null ? null : r with { Released = true });
                    progress.WriteLine($"    volume {move.Name}: the source copy in pool {move.FromPool} on {change.FromNode} is kept with its data and no longer managed (deletionPolicy Retain)");
                }
            }
            catch (Exception e) when (e is LibvirtException or ApplyStepException)
            {
                problems.Add($"the source copy {move.FromPool}/{move.Name} on {change.FromNode}: {e.Message}");
            }
        }
        if (problems.Count > 0)
        {
            throw new ApplyStepException($"{change.Name} now runs from {change.Node} with its volumes there, but " + string.Join("; ", problems) + "; the next plan shows what is left");
        }
    }

    /// <summary>True when the URI names a network host (so another daemon can dial it).</summary>
    internal static bool HasHost(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && !string.IsNullOrEmpty(u.Host);

    /// <summary>True when the URI's host is localhost (or localhost.*): libvirt refuses it as a peer-to-peer destination.</summary>
    internal static bool IsLocalhostName(string uri) =>
        System.Uri.TryCreate(uri, UriKind.Absolute, out var u) && u.Host.StartsWith("localhost", StringComparison.OrdinalIgnoreCase);

    /// <summary>True when the URI reaches this machine (a socket, or a loopback address).</summary>
    internal static bool IsLocal(string uri) =>
        !System.Uri.TryCreate(uri, UriKind.Absolute, out var u) || string.IsNullOrEmpty(u.Host) || u.IsLoopback;
}
