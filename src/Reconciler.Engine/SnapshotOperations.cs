namespace Reconciler.Engine;

/// <summary>One domain's snapshots as <c>reconcile snapshots</c> and <c>/status</c> show them.</summary>
/// <param name="Node">The node it is on.</param>
/// <param name="Domain">The domain.</param>
/// <param name="Schedule">Its <c>spec.snapshots.schedule</c>, or null.</param>
/// <param name="Keep">Its <c>spec.snapshotsToKeep</c>.</param>
/// <param name="Snapshots">Reconciler's snapshots of it, oldest first.</param>
/// <param name="Others">How many snapshots of it anyone else made (never touched).</param>
/// <param name="Error">Why it could not be read, or null.</param>
public sealed record DomainSnapshots(string? Node, string Domain, string? Schedule, int Keep, IReadOnlyList<SnapshotInfo> Snapshots, int Others, string? Error);

/// <summary>What <c>reconcile snapshot NAME</c> did.</summary>
/// <param name="Node">The node the domain is on, or null when it was not found.</param>
/// <param name="Taken">What was taken and pruned, or null on error.</param>
/// <param name="Error">Why nothing was taken, or null.</param>
public sealed record SnapshotNowResult(string? Node, SnapshotTaken? Taken, string? Error);

/// <summary>
/// <c>reconcile snapshot NAME DIR</c> and <c>reconcile snapshots DIR</c>: a snapshot of a declared,
/// owned domain now (its spec's kind, freeze and retention), and the list of Reconciler's snapshots
/// of each declared domain. Domains Reconciler does not own are never touched.
/// </summary>
public static class SnapshotOperations
{
    /// <summary>Takes a snapshot of <paramref name="domain"/> now, by hand, then prunes to its spec's snapshotsToKeep.</summary>
    public static SnapshotNowResult TakeNow(LoadedSpecs loaded, string domain, string? label, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var spec = loaded.Specs?.Domains.FirstOrDefault(d => d.Name == domain);
        if (spec is null)
        {
            return new SnapshotNowResult(null, null, $"no Domain named '{domain}' in the specs");
        }
        foreach (var target in Candidates(loaded.Nodes, spec))
        {
            using var session = NodeOpener.Open(target);
            using var handle = session.Connection.LookupDomainByName(domain);
            if (handle is null) continue;
            if (!IsOwned(handle))
            {
                return new SnapshotNowResult(target.Name, null, $"domain '{domain}' on node '{target.Name}' is not managed by Reconciler; it is left untouched");
            }
            var taken = Snapshots.Take(handle, spec.Snapshots ?? SnapshotPolicy.Default, spec.SnapshotsToKeep, SnapshotOrigin.Hand,
                loaded.Specs!.Revision, now, label);
            return new SnapshotNowResult(target.Name, taken, taken.Skipped);
        }
        return new SnapshotNowResult(null, null, $"domain '{domain}' is not defined on {string.Join(", ", Candidates(loaded.Nodes, spec).Select(n => n.Name))} (apply the specs first)");
    }

    /// <summary>Reconciler's snapshots of every declared domain, by domain name.</summary>
    public static IReadOnlyList<DomainSnapshots> List(LoadedSpecs loaded)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var result = new List<DomainSnapshots>();
        var sessions = new Dictionary<string, NodeSession>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            foreach (var target in loaded.Nodes)
            {
                try
                {
                    sessions[target.Name] = NodeOpener.Open(target);
                }
                catch (LibvirtException e)
                {
                    errors[target.Name] = e.Message;
                }
            }
            foreach (var spec in (loaded.Specs?.Domains ?? []).OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                result.Add(Read(spec, sessions, errors));
            }
        }
        finally
        {
            Workspace.CloseAll(sessions.Values);
        }
        return result;
    }

    /// <summary>One declared domain's snapshots, read over the sessions given (a node in <paramref name="errors"/> is unreachable).</summary>
    internal static DomainSnapshots Read(DomainSpec spec, IReadOnlyDictionary<string, NodeSession> sessions, IReadOnlyDictionary<string, string> errors)
    {
        var schedule = spec.Snapshots?.Schedule;
        foreach (var node in spec.Node is { } n ? new[] { n } : [.. sessions.Keys.Order(StringComparer.Ordinal)])
        {
            if (!sessions.TryGetValue(node, out var session))
            {
                return new DomainSnapshots(node, spec.Name, schedule, spec.SnapshotsToKeep, [], 0, errors.GetValueOrDefault(node, "node not connected"));
            }
            try
            {
                using var handle = session.Connection.LookupDomainByName(spec.Name);
                if (handle is null) continue;
                if (!IsOwned(handle)) return new DomainSnapshots(node, spec.Name, schedule, spec.SnapshotsToKeep, [], 0, "not managed by Reconciler");
                var ours = Snapshots.Read(handle);
                var others = handle.ListSnapshotNames().Count - ours.Count;
                return new DomainSnapshots(node, spec.Name, schedule, spec.SnapshotsToKeep, ours, others, null);
            }
            catch (LibvirtException e)
            {
                return new DomainSnapshots(node, spec.Name, schedule, spec.SnapshotsToKeep, [], 0, e.Message);
            }
        }
        return new DomainSnapshots(spec.Node, spec.Name, schedule, spec.SnapshotsToKeep, [], 0, "not defined yet");
    }

    /// <summary>True when the domain carries Reconciler's owner record.</summary>
    internal static bool IsOwned(LibvirtDomain domain) => domain.GetMetadata(OwnerRecord.Namespace, DomainModificationImpact.Config) is not null;

    private static IEnumerable<NodeTarget> Candidates(IReadOnlyList<NodeTarget> nodes, DomainSpec spec) =>
        spec.Node is { } node ? nodes.Where(n => n.Name == node) : nodes;
}
