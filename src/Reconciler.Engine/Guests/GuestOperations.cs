namespace Reconciler.Engine.Guests;

/// <summary>
/// The guest use cases of the CLI: read every declared domain's guest directly on its node
/// (<c>status DIR</c>, <c>inventory DIR</c>) and wait until started guests are ready
/// (<c>apply --wait ready</c>). Each opens the nodes, finds the domains and closes them again.
/// </summary>
public static class GuestOperations
{
    /// <summary>Reads every declared domain's guest, in parallel, bounded by <paramref name="options"/>; sorted by name.</summary>
    public static Task<IReadOnlyList<GuestStatus>> StatusAsync(LoadedSpecs loaded, GuestReadOptions options, CancellationToken ct) =>
        WithTargetsAsync(loaded, targets => GuestReader.ReadAllAsync(targets, options, ct), ct);

    /// <summary>
    /// Waits until every domain whose spec says <c>state: running</c> is ready by its readiness, or
    /// <paramref name="timeout"/> passes; progress lines per domain go to <paramref name="progress"/>.
    /// Returns the last status of each waited-for domain, sorted by name.
    /// </summary>
    public static Task<IReadOnlyList<GuestStatus>> WaitReadyAsync(LoadedSpecs loaded, TimeSpan timeout, GuestReadOptions options,
        TextWriter progress, CancellationToken ct) =>
        WithTargetsAsync(loaded, targets => GuestWaiter.WaitAsync(
            targets.Where(t => t.Spec.State == PowerState.Running).ToList(), timeout, options, progress, ct), ct);

    private static async Task<IReadOnlyList<GuestStatus>> WithTargetsAsync(LoadedSpecs loaded,
        Func<IReadOnlyList<GuestTarget>, Task<IReadOnlyList<GuestStatus>>> use, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var (sessions, errors) = await Workspace.OpenAsync(loaded.Nodes, ct).ConfigureAwait(false);
        var targets = new List<GuestTarget>();
        try
        {
            foreach (var spec in loaded.Specs!.Domains.OrderBy(d => d.Name, StringComparer.Ordinal))
            {
                targets.Add(await Task.Run(() => Find(spec, sessions, errors), ct).ConfigureAwait(false));
            }
            var statuses = await use(targets).ConfigureAwait(false);
            return [.. statuses.OrderBy(s => s.Name, StringComparer.Ordinal)];
        }
        finally
        {
            foreach (var t in targets) t.Domain?.Dispose();
            Workspace.CloseAll(sessions.Values);
        }
    }

    /// <summary>The domain on its spec's node, or on the first node (by name) that has it when the spec names none (placement).</summary>
    internal static GuestTarget Find(DomainSpec spec, IReadOnlyDictionary<string, NodeSession> sessions, IReadOnlyDictionary<string, string> errors)
    {
        var names = spec.Node is { } node ? [node] : sessions.Keys.Concat(errors.Keys).Order(StringComparer.Ordinal).ToList();
        foreach (var name in names)
        {
            if (!sessions.TryGetValue(name, out var session)) continue;
            try
            {
                if (session.Connection.LookupDomainByName(spec.Name) is { } domain) return new GuestTarget(spec, name, domain);
            }
            catch (LibvirtException e)
            {
                return new GuestTarget(spec, name, null, e.Message);
            }
        }
        var failed = names.FirstOrDefault(errors.ContainsKey);
        return failed is null ? new GuestTarget(spec, spec.Node, null) : new GuestTarget(spec, failed, null, errors[failed]);
    }
}
