namespace Reconciler.Engine.Guests;

/// <summary>What the watch keeps between rounds to read a guest only when something may have changed (<see cref="GuestBackoff"/>).</summary>
public sealed partial class GuestWatch
{
    /// <summary>The last read of each running guest, kept to decide when it is read again (only with a backoff).</summary>
    private readonly Dictionary<(string Node, string Name), Kept> _kept = [];

    /// <param name="Status">The read.</param>
    /// <param name="Session">The connection it was read over: a reconnect is a new one, which reads again.</param>
    /// <param name="Uuid">The domain's UUID.</param>
    /// <param name="Changes">The session's lifecycle-event count of the domain, taken before the read.</param>
    /// <param name="Faults">libvirt's event-loop faults when it was read (a fault may have lost events).</param>
    /// <param name="Streak">Reads in a row that were complete and the same as the one before.</param>
    /// <param name="Due">The round in which it is read again at the latest.</param>
    /// <param name="Handle">The domain it was read through, kept (and owned) for the next read of a settled guest: no lookup by name then.</param>
    private sealed record Kept(GuestStatus Status, NodeSession Session, string Uuid, long Changes, long Faults, int Streak, long Due, LibvirtDomain Handle);

    /// <summary>The status given to each stopped domain, handed out again while its node's listing is kept.</summary>
    private readonly Dictionary<(string Node, string Name), Task<GuestStatus>> _stopped = [];

    /// <summary>
    /// A stopped domain's status. From a kept listing (its node saw no lifecycle event since it was
    /// listed) it is the instance given before, with the same readiness check: nothing was read, as
    /// for a settled guest not due, and the status store keeps what it made of it without rebuilding
    /// it (at 10,000 mostly stopped domains, a new status each for every round was most of a
    /// round's allocation).
    /// </summary>
    private Task<GuestStatus> Stopped(string name, string node, Readiness readiness, bool keptListing)
    {
        if (keptListing && _stopped.TryGetValue((node, name), out var same) && same.Result.Readiness == readiness) return same;
        var status = Task.FromResult(GuestReader.NotRunning(name, node, "stopped", readiness, DateTimeOffset.UtcNow));
        _stopped[(node, name)] = status;
        return status;
    }

    /// <summary>
    /// The kept status of a running guest that need not be read this round: its last read was
    /// complete (<see cref="Complete"/>) and it is not due yet, or this is a woken round (not a
    /// <c>tick</c>) and nothing made it due; and it was read over this same connection
    /// with the same readiness check, and the connection has seen no lifecycle event of the domain
    /// since (nor a fault of the event loop; an undefine and a define under the same name are
    /// events too). Null: read it.
    /// </summary>
    private GuestStatus? NotDue(string node, string name, Readiness readiness, NodeSession session, long round, bool tick)
    {
        if (Unchanged(node, name, readiness, session) is not { } kept) return null;
        // A guest not settled is read in every scheduled round; a woken round reads only what an event made due.
        if (!Complete(kept.Status)) return tick ? null : kept.Status;
        return round < kept.Due ? kept.Status : null;
    }

    /// <summary>
    /// The kept read of a guest that nothing can have changed since, as far as libvirt tells: read
    /// over this same connection with the same readiness check, and the connection has seen no
    /// lifecycle event of the domain since (nor a fault of the event loop). Null otherwise.
    /// </summary>
    private Kept? Unchanged(string node, string name, Readiness readiness, NodeSession session)
    {
        if (!_kept.TryGetValue((node, name), out var kept)) return null;
        if (!ReferenceEquals(kept.Session, session) || kept.Status.Readiness != readiness || !session.EventsCompleteSince(kept.Faults)) return null;
        return session.ChangesOf(kept.Uuid) == kept.Changes ? kept : null;
    }

    /// <summary>An <see cref="Unchanged"/> kept read that was complete (the guest ran and was ready): read again only because its backoff came due.</summary>
    private Kept? Settled(string node, string name, Readiness readiness, NodeSession session) =>
        Unchanged(node, name, readiness, session) is { } kept && Complete(kept.Status) ? kept : null;

    private static (string Uuid, long Changes, long Faults) Identify(LibvirtDomain domain, NodeSession session)
    {
        var faults = LibvirtEventLoop.Faults;
        try
        {
            var uuid = domain.Uuid;
            return (uuid, session.ChangesOf(uuid), faults);
        }
        catch (LibvirtException)
        {
            return ("", -1, faults);
        }
    }

    /// <summary>
    /// Records this round's reads and when each guest is due again: the next round for a read that
    /// is not complete, differs from the one before or follows a lifecycle event (the fast
    /// cadence), else 2^streak rounds later, at most <see cref="GuestBackoff.MaxRounds"/>. Guests
    /// not running (or no longer declared) are forgotten (<see cref="Forget"/>).
    /// </summary>
    private void Keep(GuestBackoff policy, long round, IEnumerable<(GuestTarget Target, NodeSession Session, string Uuid, long Changes, long Faults, GuestStatus Status)> reads,
        IReadOnlyList<GuestStatus> statuses)
    {
        foreach (var (t, session, uuid, changes, faults, status) in reads)
        {
            var key = (t.Node!, t.Spec.Name);
            // After an event (or a fault of the event loop) it starts over at every round, whatever the read gave.
            var streak = _kept.TryGetValue(key, out var before) && ReferenceEquals(before.Session, session) && before.Uuid == uuid
                && before.Changes == changes && before.Faults == faults
                && Complete(before.Status) && Complete(status) && Same(before.Status, status)
                ? before.Streak + 1
                : 0;
            var every = (int)Math.Min(1L << Math.Min(streak, 30), Math.Max(1, policy.MaxRounds));
            if (uuid.Length == 0 || !Complete(status)) every = 1;
            if (before is not null && !ReferenceEquals(before.Handle, t.Domain)) before.Handle.Dispose();
            _kept[key] = new Kept(status, session, uuid, changes, faults, streak, round + every, t.Domain!);
        }
        Forget(_kept, statuses, "running", k => k.Handle.Dispose());
    }

    /// <summary>
    /// Drops the entries of <paramref name="kept"/> whose domain is not in state
    /// <paramref name="state"/> this round (no longer so, or no longer declared), each through
    /// <paramref name="drop"/>; only when there are more entries than such domains. A leftover
    /// entry is never handed out (<see cref="Stopped"/> wants a kept listing, <see cref="Unchanged"/>
    /// no lifecycle event since: a domain that changed state sent one), so the per-round set is
    /// built only when something is surely gone.
    /// </summary>
    private static void Forget<T>(Dictionary<(string Node, string Name), T> kept, IReadOnlyList<GuestStatus> statuses, string state, Action<T>? drop = null)
    {
        if (kept.Count <= statuses.Count(s => s.State == state)) return;
        var current = statuses.Where(s => s.State == state && s.Node is not null).Select(s => (s.Node!, s.Name)).ToHashSet();
        foreach (var key in kept.Keys.Where(k => !current.Contains(k)).ToList())
        {
            kept.Remove(key, out var gone);
            drop?.Invoke(gone!);
        }
    }

    /// <summary>A read that needs no repeat soon: the guest runs and is ready by its check.</summary>
    private static bool Complete(GuestStatus s) => s.State == "running" && s.Ready == true;

    /// <summary>The same read apart from when it was made.</summary>
    private static bool Same(GuestStatus a, GuestStatus b) =>
        a.State == b.State && a.Ready == b.Ready && a.Reason == b.Reason && a.Readiness == b.Readiness
        && a.Addresses.SequenceEqual(b.Addresses) && a.Skipped.SequenceEqual(b.Skipped);
}
