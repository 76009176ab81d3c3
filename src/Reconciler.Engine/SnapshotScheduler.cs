namespace Reconciler.Engine;

/// <summary>What became of a snapshot a schedule made due.</summary>
public enum SnapshotOutcome
{
    /// <summary>Taken (and older ones pruned).</summary>
    Taken,

    /// <summary>Not taken: the freeze failed and the domain's policy says skip.</summary>
    Skipped,

    /// <summary>libvirt refused it (or a deletion after it).</summary>
    Failed,
}

/// <summary>One due snapshot and what became of it.</summary>
/// <param name="Node">The node the domain is on.</param>
/// <param name="Domain">The domain.</param>
/// <param name="Outcome">Taken, skipped or failed.</param>
/// <param name="Snapshot">The snapshot taken, or null.</param>
/// <param name="Pruned">Reconciler's older snapshots deleted after it.</param>
/// <param name="Message">Why it was skipped or failed; for a snapshot taken unfrozen (onQuiesceFailure: proceed), the agent's error.</param>
public sealed record ScheduledSnapshot(string? Node, string Domain, SnapshotOutcome Outcome, string? Snapshot, IReadOnlyList<string> Pruned, string? Message);

/// <summary>One round of the schedule.</summary>
/// <param name="At">The time the round was run for.</param>
/// <param name="Events">The snapshots that were due, and what became of them.</param>
/// <param name="Domains">Every scheduled or snapshotted declared domain's snapshots after the round, by name.</param>
/// <param name="NextDue">The earliest next slot of any schedule, or null when no domain has one.</param>
public sealed record SnapshotRound(DateTimeOffset At, IReadOnlyList<ScheduledSnapshot> Events, IReadOnlyList<DomainSnapshots> Domains, DateTimeOffset? NextDue);

/// <summary>
/// The snapshot schedule of the controller. A round at <c>now</c> takes one snapshot of each
/// declared, owned domain whose <c>spec.snapshots.schedule</c> has a slot at or before <c>now</c>
/// later than its newest scheduled snapshot on the node — the time recorded in that snapshot's name,
/// so nothing is remembered between rounds or restarts and however many slots were missed, one
/// snapshot catches up. The time is the caller's (an injected clock). Remote nodes are reached over
/// the controller's held connections when given the pool (a node that is down is skipped this
/// round); in-process nodes, and every node without a pool, over connections opened per round.
/// </summary>
public sealed class SnapshotScheduler(NodeConnections? pool = null)
{
    /// <summary>Runs one round at <paramref name="now"/>.</summary>
    public async Task<SnapshotRound> RunAsync(SpecSet specs, IReadOnlyList<NodeTarget> nodes, DateTimeOffset now, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(nodes);
        // Nothing to read for a set without snapshot policies: no connection is opened or borrowed.
        if (!specs.Domains.Any(d => d.Snapshots is not null || d.SnapshotBeforeUpdate)) return new SnapshotRound(now, [], [], null);
        var (borrowed, errors) = pool?.Held(nodes) ?? ([], new Dictionary<string, string>(StringComparer.Ordinal));
        var own = pool is null ? nodes : nodes.Where(NodeConnections.IsInProcess).ToList();
        var (opened, openErrors) = await Workspace.OpenAsync(own, ct).ConfigureAwait(false);
        foreach (var (k, v) in openErrors) errors[k] = v;
        var sessions = new Dictionary<string, NodeSession>(opened, StringComparer.Ordinal);
        foreach (var (name, session) in borrowed) sessions[name] = session;
        try
        {
            return await Task.Run(() => Round(specs, sessions, errors, now, ct), ct).ConfigureAwait(false);
        }
        finally
        {
            foreach (var s in opened.Values) s.Dispose();
        }
    }

    private static SnapshotRound Round(SpecSet specs, Dictionary<string, NodeSession> sessions, Dictionary<string, string> errors, DateTimeOffset now, CancellationToken ct)
    {
        var events = new List<ScheduledSnapshot>();
        var domains = new List<DomainSnapshots>();
        DateTimeOffset? next = null;
        foreach (var spec in specs.Domains.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            ct.ThrowIfCancellationRequested();
            var policy = spec.Snapshots;
            SnapshotSchedule? schedule = null;
            if (policy?.Schedule is { } text && SnapshotSchedule.TryParse(text, out var parsed, out _)) schedule = parsed;
            if (schedule is null && policy is null && !spec.SnapshotBeforeUpdate) continue;
            var read = SnapshotOperations.Read(spec, sessions, errors);
            if (schedule is not null)
            {
                var upcoming = schedule.Next(now);
                if (next is null || upcoming < next) next = upcoming;
                var last = read.Snapshots.Where(s => s.Origin == SnapshotOrigin.Schedule).Select(s => (DateTimeOffset?)s.TakenAt).Max();
                if (read.Error is null && read.Node is { } node && schedule.IsDue(now, last))
                {
                    events.Add(Take(spec, policy!, sessions[node], node, specs.Revision, now));
                    read = SnapshotOperations.Read(spec, sessions, errors);
                }
            }
            domains.Add(read);
        }
        return new SnapshotRound(now, events, domains, next);
    }

    private static ScheduledSnapshot Take(DomainSpec spec, SnapshotPolicy policy, NodeSession session, string node, string revision, DateTimeOffset now)
    {
        try
        {
            using var handle = session.Connection.LookupDomainByName(spec.Name);
            if (handle is null) return new ScheduledSnapshot(node, spec.Name, SnapshotOutcome.Failed, null, [], "the domain disappeared");
            var taken = Snapshots.Take(handle, policy, spec.SnapshotsToKeep, SnapshotOrigin.Schedule, revision, now);
            return taken.Name is null
                ? new ScheduledSnapshot(node, spec.Name, SnapshotOutcome.Skipped, null, [], taken.Skipped)
                : new ScheduledSnapshot(node, spec.Name, SnapshotOutcome.Taken, taken.Name, taken.Pruned,
                    Message(taken));
        }
        catch (LibvirtException e)
        {
            return new ScheduledSnapshot(node, spec.Name, SnapshotOutcome.Failed, null, [], e.Message);
        }
    }

    /// <summary>What a taken snapshot's record says beyond its name: an unfrozen freeze, and older ones kept past the retention.</summary>
    private static string? Message(SnapshotTaken taken)
    {
        var parts = new List<string>();
        if (taken.QuiesceError is { } why) parts.Add($"taken without freezing the guest's filesystems (onQuiesceFailure: proceed): {why}");
        parts.AddRange(taken.Kept);
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }
}
