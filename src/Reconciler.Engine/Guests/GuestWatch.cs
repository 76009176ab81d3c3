namespace Reconciler.Engine.Guests;

/// <summary>
/// Repeated guest reads for a long-running caller (the controller): reads remote nodes over the
/// controller's held connections (<see cref="NodeConnections.Held"/>: a node gets no second
/// connection, and a node that is down is not waited for) when given the pool, else over
/// connections of its own kept between rounds (in-process nodes always), and watches the console of each running
/// domain with a console readiness check for as long as it runs, so the console text is seen
/// whenever the guest prints it. With a <see cref="GuestBackoff"/>, a running guest whose reads
/// are complete and unchanged is read less often (see there). Not thread-safe: one round at a time.
/// </summary>
public sealed partial class GuestWatch(NodeConnections? pool = null, GuestBackoff? backoff = null) : IAsyncDisposable
{
    /// <summary>
    /// The longest wait between two reads of a settled guest, in rounds, from the next round on
    /// (the controller stretches it with its resync period); only with a backoff.
    /// </summary>
    public int MaxRounds
    {
        get => backoff?.MaxRounds ?? 1;
        set
        {
            if (backoff is not null && backoff.MaxRounds != value) backoff = backoff with { MaxRounds = Math.Max(1, value) };
        }
    }

    /// <summary>The connections this watch opened and owns (the pool's are borrowed per round).</summary>
    private readonly Dictionary<string, NodeSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Node, string Name), (string Text, LibvirtDomain Domain, ConsoleWatcher Watcher)> _watchers = [];

    /// <summary>Rounds so far.</summary>
    private long _round;

    /// <summary>Guest reads made (a state call and the address calls each), for tests and metrics.</summary>
    public long Reads { get; private set; }

    /// <summary>
    /// Reads every declared domain's guest on <paramref name="nodes"/>, in parallel and bounded by
    /// <paramref name="options"/>. A node that cannot be opened makes its domains "unreachable".
    /// With a backoff, a running guest that is not due is not read: its last status (the same
    /// instance, with its own <see cref="GuestStatus.CheckedAt"/>) is returned.
    /// </summary>
    /// <param name="specs">The declared domains.</param>
    /// <param name="nodes">The nodes.</param>
    /// <param name="options">The bounds of each read.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="tick">
    /// False for an extra round between two scheduled ones (woken by an event): it counts for no
    /// backoff, so it reads only what an event, a reconnect or a new readiness check made due.
    /// </param>
    public async Task<IReadOnlyList<GuestStatus>> ReadAsync(SpecSet specs, IReadOnlyList<NodeTarget> nodes, GuestReadOptions options, CancellationToken ct,
        bool tick = true)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(nodes);
        var round = tick ? ++_round : _round;
        var (borrowed, errors) = pool?.Held(nodes) ?? ([], new Dictionary<string, string>(StringComparer.Ordinal));
        var own = pool is null ? nodes : nodes.Where(NodeConnections.IsInProcess).ToList();
        foreach (var stale in _sessions.Keys.Where(k => own.All(n => n.Name != k) || !Alive(_sessions[k])).ToList())
        {
            _sessions[stale].Dispose();
            _sessions.Remove(stale);
        }
        var opened = await Task.WhenAll(own.Where(n => !_sessions.ContainsKey(n.Name))
            .Select(async n => (n.Name, Result: await OpenOwnAsync(n, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        foreach (var (name, (session, error)) in opened)
        {
            if (session is not null) _sessions[name] = session;
            else errors[name] = error ?? "not connected";
        }

        var sessions = new Dictionary<string, NodeSession>(_sessions, StringComparer.Ordinal);
        foreach (var (name, session) in borrowed) sessions[name] = session;
        var targets = new List<GuestTarget>();
        var listings = await Task.Run(() => ListAll(sessions), ct).ConfigureAwait(false);
        try
        {
            var fresh = new List<(GuestTarget Target, NodeSession Session, string Uuid, long Changes, long Faults, Task<GuestStatus> Read)>();
            var pending = new List<Task<GuestStatus>>();
            await Task.Run(() =>
            {
                foreach (var spec in Ordered(specs))
                {
                    pending.Add(Plan(spec, sessions, listings, errors, round, tick, options, targets, fresh, ct));
                }
            }, ct).ConfigureAwait(false);
            var statuses = await Task.WhenAll(pending).ConfigureAwait(false);
            Reads += backoff is null ? statuses.Count(s => s.State == "running") : fresh.Count;
            if (backoff is not null) Keep(backoff, round, fresh.Select(f => (f.Target, f.Session, f.Uuid, f.Changes, f.Faults, f.Read.Result)), statuses);
            Forget(_stopped, statuses, "stopped");
            // A console watch ends when its domain stops or leaves the specs; the next start is watched afresh.
            if (_watchers.Count > 0)
            {
                var running = statuses.Where(s => s.State == "running" && s.Node is not null).Select(s => (s.Node!, s.Name)).ToHashSet();
                foreach (var key in _watchers.Keys.Where(k => !running.Contains(k)).ToList())
                {
                    await StopAsync(_watchers[key]).ConfigureAwait(false);
                    _watchers.Remove(key);
                }
            }
            return statuses;
        }
        finally
        {
            // The handles the kept reads hold stay open for their next read.
            var held = targets.Count == 0 || _kept.Count == 0 ? null : _kept.Values.Select(k => k.Handle).ToHashSet(ReferenceEqualityComparer.Instance);
            foreach (var t in targets)
            {
                if (t.Domain is { } d && held?.Contains(d) != true) d.Dispose();
            }
            foreach (var listing in listings.Values) listing.Dispose();
        }
    }

    /// <summary>
    /// One declared domain's status this round: missing, stopped (from the listing), the kept read
    /// of a settled guest that is not due (<see cref="NotDue"/>: no libvirt call at all), or a read
    /// (its domain handle added to <paramref name="targets"/> for disposal, and with a backoff to
    /// <paramref name="fresh"/>).
    /// </summary>
    private Task<GuestStatus> Plan(DomainSpec spec, Dictionary<string, NodeSession> sessions, Dictionary<string, NodeListing> listings,
        Dictionary<string, string> errors, long round, bool tick, GuestReadOptions options, List<GuestTarget> targets,
        List<(GuestTarget Target, NodeSession Session, string Uuid, long Changes, long Faults, Task<GuestStatus> Read)> fresh, CancellationToken ct)
    {
        var readiness = spec.Readiness ?? Readiness.Default;
        GuestTarget t;
        // The common case first (a domain placed on a node that was listed, and in the listing): no list of candidate nodes.
        if (spec.Node is { } placed && listings.TryGetValue(placed, out var direct) && direct.All.Contains(spec.Name))
        {
            if (Listed(spec, placed, direct, readiness, sessions, round, tick) is { } known) return known;
            t = new GuestTarget(spec, placed, Settled(placed, spec.Name, readiness, sessions[placed])?.Handle ?? direct.Take(spec.Name));
        }
        else
        {
            var names = spec.Node is { } node ? [node] : sessions.Keys.Concat(errors.Keys).Order(StringComparer.Ordinal).ToList();
            if (names.Any(n => sessions.ContainsKey(n) && !listings.ContainsKey(n)))
            {
                // A node that could not be listed: looked up domain by domain, as before the listings.
                t = GuestOperations.Find(spec, sessions, errors);
            }
            else if (names.FirstOrDefault(n => listings.TryGetValue(n, out var l) && l.All.Contains(spec.Name)) is { } on)
            {
                var listing = listings[on];
                if (Listed(spec, on, listing, readiness, sessions, round, tick) is { } known) return known;
                t = new GuestTarget(spec, on, Settled(on, spec.Name, readiness, sessions[on])?.Handle ?? listing.Take(spec.Name));
            }
            else
            {
                var failed = names.FirstOrDefault(errors.ContainsKey);
                t = failed is null ? new GuestTarget(spec, spec.Node, null) : new GuestTarget(spec, failed, null, errors[failed]);
            }
        }
        if (t.Domain is null) return Task.FromResult(t.Missing(DateTimeOffset.UtcNow));
        targets.Add(t);
        var session = sessions[t.Node!];
        if (backoff is null) return GuestReader.ReadAsync(t.Domain, t.Node!, t.Readiness, options, Watch(t, sessions, ct)?.Seen, ct);
        if (NotDue(t.Node!, spec.Name, readiness, session, round, tick) is { } again) return Task.FromResult(again);
        // A settled guest due by its backoff alone runs still (no lifecycle event since it was read running): its state is not asked for.
        var knownRunning = Settled(t.Node!, spec.Name, readiness, session) is { } settled && ReferenceEquals(settled.Handle, t.Domain);
        // The count before the read: an event during the read makes the next round read again.
        var (uuid, changes, faults) = Identify(t.Domain, session);
        var read = GuestReader.ReadAsync(t.Domain, t.Node!, t.Readiness, options, Watch(t, sessions, ct)?.Seen, ct, knownRunning);
        fresh.Add((t, session, uuid, changes, faults, read));
        return read;
    }

    private (SpecSet Specs, DomainSpec[] Domains)? _ordered;

    /// <summary>The declared domains by name, sorted once per spec set (a round runs every few seconds over the same set).</summary>
    private DomainSpec[] Ordered(SpecSet specs)
    {
        if (_ordered is { } o && ReferenceEquals(o.Specs, specs)) return o.Domains;
        var domains = specs.Domains.OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        _ordered = (specs, domains);
        return domains;
    }

    /// <summary>A listed domain's status without a read: stopped by the listing, or a settled guest not due; null: read it.</summary>
    private Task<GuestStatus>? Listed(DomainSpec spec, string node, NodeListing listing, Readiness readiness, Dictionary<string, NodeSession> sessions, long round, bool tick)
    {
        if (!listing.Active.Contains(spec.Name)) return Stopped(spec.Name, node, readiness, listing.Kept);
        return backoff is not null && NotDue(node, spec.Name, readiness, sessions[node], round, tick) is { } kept ? Task.FromResult(kept) : null;
    }

    /// <summary>A node's last listing (names only), kept while its connection has seen no lifecycle event at all.</summary>
    private sealed record KeptListing(NodeSession Session, long Changes, long Faults, HashSet<string> All, HashSet<string> Active);

    private readonly Dictionary<string, KeptListing> _listings = new(StringComparer.Ordinal);

    /// <summary>
    /// Every session's node listing. With a backoff, a node whose connection has seen no lifecycle
    /// event since its last listing (no define, undefine, start, stop, pause, resume…: nothing that
    /// changes which domains exist or run) is not listed again: its names are kept, and the few
    /// domains due for a read are looked up by name.
    /// </summary>
    private Dictionary<string, NodeListing> ListAll(IReadOnlyDictionary<string, NodeSession> sessions)
    {
        var listings = new Dictionary<string, NodeListing>(StringComparer.Ordinal);
        foreach (var stale in _listings.Keys.Where(k => !sessions.ContainsKey(k)).ToList()) _listings.Remove(stale);
        foreach (var (node, session) in sessions)
        {
            if (backoff is not null && _listings.TryGetValue(node, out var kept) && ReferenceEquals(kept.Session, session)
                && session.EventsCompleteSince(kept.Faults) && session.AllChanges == kept.Changes)
            {
                listings[node] = NodeListing.Names(kept.All, kept.Active, session);
                continue;
            }
            var (changes, faults) = (session.AllChanges, LibvirtEventLoop.Faults);
            if (NodeListing.Read(session) is not { } listing)
            {
                _listings.Remove(node);
                continue;
            }
            listings[node] = listing;
            if (backoff is not null && session.WatchesChanges) _listings[node] = new KeptListing(session, changes, faults, listing.All, listing.Active);
            else _listings.Remove(node);
        }
        return listings;
    }

    /// <summary>
    /// Opens a node for this watch alone; with a backoff, an in-process node's connection is wired
    /// to libvirt's event loop and its lifecycle events are watched (so an event makes its guest
    /// read again). A node whose events cannot be watched has its guests read every round.
    /// </summary>
    private async Task<(NodeSession? Session, string? Error)> OpenOwnAsync(NodeTarget target, CancellationToken ct)
    {
        (NodeSession? Session, string? Error) opened;
        if (backoff is not null && NodeConnections.IsInProcess(target))
        {
            try
            {
                opened = (await Task.Run(() => NodeSession.Open(target, events: true), ct).ConfigureAwait(false), null);
            }
            catch (LibvirtException e)
            {
                opened = (null, e.Message);
            }
        }
        else
        {
            opened = await Workspace.OpenOneAsync(target, ct).ConfigureAwait(false);
        }
        if (backoff is not null) opened.Session?.WatchChanges();
        return opened;
    }

    /// <summary>The console watcher of a running domain with a console check, started on first sight.</summary>
    private ConsoleWatcher? Watch(GuestTarget target, IReadOnlyDictionary<string, NodeSession> sessions, CancellationToken ct)
    {
        if (target.Readiness is not { Kind: ReadinessKind.Console, ConsoleText: { } text }) return null;
        var key = (target.Node!, target.Spec.Name);
        if (_watchers.TryGetValue(key, out var existing) && existing.Text == text) return existing.Watcher;
        try
        {
            if (sessions[target.Node!].Connection.LookupDomainByName(target.Spec.Name) is not { } domain) return null;
            if (!domain.IsActive)
            {
                domain.Dispose();
                return null;
            }
            var watcher = ConsoleWatcher.Start(domain, text, ct);
            _watchers[key] = (text, domain, watcher);
            return watcher;
        }
        catch (LibvirtException)
        {
            return null;
        }
    }

    private static async Task StopAsync((string Text, LibvirtDomain Domain, ConsoleWatcher Watcher) w)
    {
        await w.Watcher.DisposeAsync().ConfigureAwait(false);
        w.Domain.Dispose();
    }

    private static bool Alive(NodeSession session)
    {
        try
        {
            return session.Connection.IsAlive;
        }
        catch (LibvirtException)
        {
            return false;
        }
    }

    /// <summary>Stops every console watch and closes the connections.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var w in _watchers.Values) await StopAsync(w).ConfigureAwait(false);
        _watchers.Clear();
        foreach (var k in _kept.Values) k.Handle.Dispose();
        _kept.Clear();
        _listings.Clear();
        _stopped.Clear();
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
