namespace Reconciler.Engine;

/// <summary>What a rollback did.</summary>
/// <param name="Node">The node the domain is on.</param>
/// <param name="Snapshot">The snapshot restored, or null when none was found.</param>
/// <param name="Available">Reconciler's snapshots of the domain, oldest first.</param>
/// <param name="Error">Why nothing was restored, or null.</param>
public sealed record RollbackResult(string? Node, string? Snapshot, IReadOnlyList<string> Available, string? Error);

/// <summary>
/// <c>reconcile rollback NAME</c>: restores the newest (or a named) snapshot Reconciler took of an
/// owned domain before a restart or replace change. Only domains Reconciler owns, only its own
/// snapshots.
/// </summary>
public static class Rollback
{
    /// <summary>Finds <paramref name="domain"/> on the spec set's nodes and reverts it.</summary>
    public static RollbackResult Run(LoadedSpecs loaded, string domain, string? snapshot)
    {
        foreach (var target in loaded.Nodes)
        {
            using var session = NodeOpener.Open(target);
            var live = session.ReadDomain(domain);
            if (live is null) continue;
            if (live.Owner is null)
            {
                return new RollbackResult(target.Name, null, [], $"domain '{domain}' on node '{target.Name}' is not managed by Reconciler; it is left untouched");
            }
            using var handle = session.Connection.LookupDomainByName(domain)!;
            var ours = Snapshots.List(handle);
            var chosen = snapshot ?? ours.LastOrDefault();
            if (chosen is null || !ours.Contains(chosen))
            {
                return new RollbackResult(target.Name, null, ours, snapshot is null
                    ? $"domain '{domain}' has no snapshot taken by Reconciler (take one with `reconcile snapshot`, or set spec.snapshots.schedule or snapshotBeforeUpdate: true)"
                    : $"'{snapshot}' is not one of Reconciler's snapshots of '{domain}'");
            }
            if (ExternalSnapshots.Describe(handle, chosen) is not null)
            {
                return new RollbackResult(target.Name, null, ours,
                    $"'{chosen}' is an external (disk-only) snapshot of '{domain}': libvirt 9.0 cannot revert to an external snapshot (9.9 can), so nothing was changed; name an internal snapshot with --snapshot");
            }
            handle.RevertToSnapshot(chosen, SnapshotRevertFlags.None);
            session.Persist();
            return new RollbackResult(target.Name, chosen, ours, null);
        }
        return new RollbackResult(null, null, [], $"no domain named '{domain}' on {string.Join(", ", loaded.Nodes.Select(n => n.Name))}");
    }
}
