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
        try
        {
            foreach (var spec in specs.Domains.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                targets.Add(await Task.Run(() => GuestOperations.Find(spec, sessions, errors), ct).ConfigureAwait(false));
            }
            var statuses = await Task.WhenAll(targets.Select(t => t.Domain is null
                ? Task.FromResult(t.Missing(DateTimeOffset.UtcNow))
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
