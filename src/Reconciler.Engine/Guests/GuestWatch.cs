namespace Reconciler.Engine.Guests;

/// <summary>
/// Repeated guest reads for a long-running caller (the controller): reads remote nodes over the
/// controller's held connections (<see cref="NodeConnections.Held"/>: a node gets no second
/// connection, and a node that is down is not waited for) when given the pool, else over
/// connections of its own kept between rounds (in-process nodes always), and watches the console of each running
/// domain with a console readiness check for as long as it runs, so the console text is seen
/// whenever the guest prints it. Not thread-safe: one round at a time.
/// </summary>
public sealed class GuestWatch(NodeConnections? pool = null) : IAsyncDisposable
{
    /// <summary>The connections this watch opened and owns (the pool's are borrowed per round).</summary>
    private readonly Dictionary<string, NodeSession> _sessions = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Node, string Name), (string Text, LibvirtDomain Domain, ConsoleWatcher Watcher)> _watchers = [];

    /// <summary>
    /// Reads every declared domain's guest on <paramref name="nodes"/>, in parallel and bounded by
    /// <paramref name="options"/>. A node that cannot be opened makes its domains "unreachable".
    /// </summary>
    public async Task<IReadOnlyList<GuestStatus>> ReadAsync(SpecSet specs, IReadOnlyList<NodeTarget> nodes, GuestReadOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(specs);
        ArgumentNullException.ThrowIfNull(nodes);
        var (borrowed, errors) = pool?.Held(nodes) ?? ([], new Dictionary<string, string>(StringComparer.Ordinal));
        var own = pool is null ? nodes : nodes.Where(NodeConnections.IsInProcess).ToList();
        foreach (var stale in _sessions.Keys.Where(k => own.All(n => n.Name != k) || !Alive(_sessions[k])).ToList())
        {
            _sessions[stale].Dispose();
            _sessions.Remove(stale);
        }
        var opened = await Task.WhenAll(own.Where(n => !_sessions.ContainsKey(n.Name))
            .Select(async n => (n.Name, Result: await Workspace.OpenOneAsync(n, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        foreach (var (name, (session, error)) in opened)
        {
            if (session is not null) _sessions[name] = session;
            else errors[name] = error ?? "not connected";
        }

        var sessions = new Dictionary<string, NodeSession>(_sessions, StringComparer.Ordinal);
        foreach (var (name, session) in borrowed) sessions[name] = session;
        var targets = new List<GuestTarget>();
        var listings = await Task.Run(() => NodeListing.ReadAll(sessions), ct).ConfigureAwait(false);
        try
        {
            await Task.Run(() =>
            {
                foreach (var spec in specs.Domains.OrderBy(d => d.Name, StringComparer.Ordinal)) targets.Add(Find(spec, sessions, listings, errors));
            }, ct).ConfigureAwait(false);
            var statuses = await Task.WhenAll(targets.Select(t => t.Domain is null
                ? Task.FromResult(t.Missing(DateTimeOffset.UtcNow))
                : listings.TryGetValue(t.Node!, out var listing) && !listing.Active.Contains(t.Spec.Name)
                    ? Task.FromResult(GuestReader.NotRunning(t.Spec.Name, t.Node!, "stopped", t.Readiness, DateTimeOffset.UtcNow))
                    : GuestReader.ReadAsync(t.Domain, t.Node!, t.Readiness, options, Watch(t, sessions, ct)?.Seen, ct))).ConfigureAwait(false);
            // A console watch ends when its domain stops or leaves the specs; the next start is watched afresh.
            foreach (var key in _watchers.Keys.Where(k => !statuses.Any(s => s.Node == k.Node && s.Name == k.Name && s.State == "running")).ToList())
            {
                await StopAsync(_watchers[key]).ConfigureAwait(false);
                _watchers.Remove(key);
            }
            return statuses;
        }
        finally
        {
            foreach (var t in targets) t.Domain?.Dispose();
            foreach (var listing in listings.Values) listing.Dispose();
        }
    }

    /// <summary>
    /// <see cref="GuestOperations.Find"/> from the nodes' listings (no lookup per domain); a node
    /// that could not be listed is looked up domain by domain as before.
    /// </summary>
    private static GuestTarget Find(DomainSpec spec, IReadOnlyDictionary<string, NodeSession> sessions, IReadOnlyDictionary<string, NodeListing> listings,
        IReadOnlyDictionary<string, string> errors)
    {
        var names = spec.Node is { } node ? [node] : sessions.Keys.Concat(errors.Keys).Order(StringComparer.Ordinal).ToList();
        if (names.Any(n => sessions.ContainsKey(n) && !listings.ContainsKey(n))) return GuestOperations.Find(spec, sessions, errors);
        foreach (var name in names)
        {
            if (listings.TryGetValue(name, out var listing) && listing.Take(spec.Name) is { } domain) return new GuestTarget(spec, name, domain);
        }
        var failed = names.FirstOrDefault(errors.ContainsKey);
        return failed is null ? new GuestTarget(spec, spec.Node, null) : new GuestTarget(spec, failed, null, errors[failed]);
    }

    /// <summary>
    /// One node's domains from two listings (all, and the active ones) instead of a lookup and a
    /// state call per domain every round: at thousands of mostly stopped domains those calls were
    /// the controller's whole idle CPU. A stopped domain's guest needs nothing more.
    /// </summary>
    private sealed class NodeListing : IDisposable
    {
        private readonly Dictionary<string, LibvirtDomain> _byName = new(StringComparer.Ordinal);

        /// <summary>Names of the domains that were active (running or paused) when listed.</summary>
        public HashSet<string> Active { get; } = new(StringComparer.Ordinal);

        /// <summary>Lists every session's node; a node whose listing fails is left out (its domains are looked up one by one).</summary>
        public static Dictionary<string, NodeListing> ReadAll(IReadOnlyDictionary<string, NodeSession> sessions)
        {
            var listings = new Dictionary<string, NodeListing>(StringComparer.Ordinal);
            foreach (var (node, session) in sessions)
            {
                var listing = new NodeListing();
                try
                {
                    foreach (var domain in session.Connection.ListAllDomains(DomainListFlags.Active))
                    {
                        using (domain) listing.Active.Add(domain.Name);
                    }
                    foreach (var domain in session.Connection.ListAllDomains()) listing._byName[domain.Name] = domain;
                    listings[node] = listing;
                }
                catch (LibvirtException)
                {
                    listing.Dispose();
                }
            }
            return listings;
        }

        /// <summary>The listed domain of that name, now the caller's to dispose; null when not listed.</summary>
        public LibvirtDomain? Take(string name) => _byName.Remove(name, out var domain) ? domain : null;

        public void Dispose()
        {
            foreach (var domain in _byName.Values) domain.Dispose();
            _byName.Clear();
        }
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
        foreach (var s in _sessions.Values) s.Dispose();
        _sessions.Clear();
    }
}
