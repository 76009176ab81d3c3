namespace Reconciler.Engine;

/// <summary>What an apply run did.</summary>
/// <param name="Plan">The plan that was (or would have been) applied.</param>
/// <param name="Result">Step outcomes, or null when nothing was attempted (empty plan, not confirmed).</param>
/// <param name="Confirmed">False when the user declined.</param>
public sealed record ApplyReport(Plan Plan, ApplyResult? Result, bool Confirmed);

/// <summary>One rendered domain definition.</summary>
/// <param name="Node">The node it is for.</param>
/// <param name="Name">The domain name.</param>
/// <param name="Xml">The XML Reconciler would define.</param>
public sealed record RenderedDomain(string Node, string Name, string Xml);

/// <summary>
/// The use cases shared by the CLI and the controller. Each opens the nodes it needs, does its
/// job and closes them; none prints anything but progress to the writer it is given.
/// </summary>
public static class Operations
{
    /// <summary>Reads every node and plans. Nothing is changed.</summary>
    /// <param name="loaded">The specs and their nodes.</param>
    /// <param name="adopt">Take over unmanaged domains with a spec's name.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="maxDisruption">The disruption gate, or null for none.</param>
    /// <param name="prefetch">The nodes <see cref="Workspace.Load"/> started opening and reading, or null.</param>
    /// <param name="massPrune">The mass-removal guard (<see cref="PruneGuard"/>); null: <see cref="PruneLimits.Default"/>; <see cref="PruneLimits.Unlimited"/> holds nothing.</param>
    public static async Task<Plan> PlanAsync(LoadedSpecs loaded, bool adopt, CancellationToken ct, Disruption? maxDisruption = null,
        NodePrefetch? prefetch = null, PruneLimits? massPrune = null)
    {
        var (sessions, errors) = await Workspace.OpenAsync(loaded.Nodes, ct, prefetch).ConfigureAwait(false);
        Task? closing = null;
        try
        {
            var read = await Workspace.ReadAsync(loaded.Nodes, sessions, errors, ct, prefetch, loaded.Specs).ConfigureAwait(false);
            // Every node is read: the pages libvirt's reads freed in the C heap (kept for reuse, see
            // NativeHeap.PreferThroughput) go back to the system before the plan's own peak.
            NativeHeap.Trim();
            // The snapshots of the domains a first plan moves or prunes are read, then it is planned again (SnapshotReads).
            var (plan, _) = SnapshotReads.Plan(live => PruneGuard.Apply(Planner.Compute(loaded.Specs!, live, Workspace.Options(loaded.Nodes, adopt, maxDisruption)),
                live, massPrune ?? PruneLimits.Default), read, sessions, loaded.Nodes);
            // Nothing below talks to a node.
            closing = Task.Run(() => Workspace.CloseAll(sessions.Values), CancellationToken.None);
            return plan;
        }
        finally
        {
            if (closing is null) Workspace.CloseAll(sessions.Values);
            else await closing.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Locks every node, plans under the locks, asks <paramref name="confirm"/>, and applies.
    /// </summary>
    /// <param name="loaded">The specs and their nodes.</param>
    /// <param name="adopt">Take over unmanaged domains with a spec's name.</param>
    /// <param name="options">How to apply.</param>
    /// <param name="lockWait">How long to wait for another apply's node lock.</param>
    /// <param name="confirm">Asked with the plan; false cancels.</param>
    /// <param name="progress">Where progress lines go.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="maxDisruption">The disruption gate, or null for none.</param>
    /// <param name="prefetch">
    /// Connections <see cref="Workspace.Load"/> started opening, or null. Only connections: the
    /// nodes are read after the locks are held, never from a prefetched read.
    /// </param>
    /// <param name="massPrune">The mass-removal guard: held removals are left out of what is applied (and named in the plan's diagnostics); null: <see cref="PruneLimits.Default"/>.</param>
    public static async Task<ApplyReport> PlanAndApplyAsync(LoadedSpecs loaded, bool adopt, ApplyOptions options,
        TimeSpan lockWait, Func<Plan, bool> confirm, TextWriter progress, CancellationToken ct, Disruption? maxDisruption = null,
        NodePrefetch? prefetch = null, PruneLimits? massPrune = null)
    {
        if (prefetch is { ReadsNodes: true }) throw new ArgumentException("apply reads the nodes under its locks: prefetch connections only", nameof(prefetch));
        using var locks = await LockAllAsync(loaded.Nodes.Select(n => n.Uri), lockWait, ct).ConfigureAwait(false);
        var (sessions, errors) = await Workspace.OpenAsync(loaded.Nodes, ct, prefetch).ConfigureAwait(false);
        try
        {
            var read = await Workspace.ReadAsync(loaded.Nodes, sessions, errors, ct, desired: loaded.Specs).ConfigureAwait(false);
            var (plan, _) = SnapshotReads.Plan(live => PruneGuard.Apply(Planner.Compute(loaded.Specs!, live, Workspace.Options(loaded.Nodes, adopt, maxDisruption)),
                live, massPrune ?? PruneLimits.Default), read, sessions, loaded.Nodes);
            if (plan.IsEmpty) return new ApplyReport(plan, null, Confirmed: true);
            if (!confirm(plan)) return new ApplyReport(plan, null, Confirmed: false);
            var result = new Applier(sessions, options with { VerifyLive = false }, progress).Apply(plan, ct);
            return new ApplyReport(plan, result, Confirmed: true);
        }
        finally
        {
            Workspace.CloseAll(sessions.Values);
        }
    }

    /// <summary>
    /// Applies a saved plan exactly; refuses the whole plan when anything it touches changed since.
    /// </summary>
    public static async Task<ApplyReport> ApplySavedAsync(Plan plan, ApplyOptions options, TimeSpan lockWait,
        TextWriter progress, CancellationToken ct)
    {
        var targets = plan.Nodes.Select(n => n.Sandbox
            ? SandboxNode.Target(Path.GetDirectoryName(n.Uri["test://".Length..])!)
            : new NodeTarget(n.Name, n.Uri)).ToList();
        using var locks = await LockAllAsync(targets.Select(t => t.Uri), lockWait, ct).ConfigureAwait(false);
        var (sessions, _) = await Workspace.OpenAsync(targets, ct).ConfigureAwait(false);
        try
        {
            var result = new Applier(sessions, options with { VerifyLive = true }, progress).Apply(plan, ct);
            return new ApplyReport(plan, result, Confirmed: true);
        }
        finally
        {
            Workspace.CloseAll(sessions.Values);
        }
    }

    /// <summary>Renders the XML of each domain (or just <paramref name="name"/>) for the node it is placed on.</summary>
    /// <exception cref="LibvirtException">The node could not be read.</exception>
    /// <exception cref="RenderException">A spec could not be rendered (e.g. an xml patch selects nothing).</exception>
    /// <param name="loaded">The specs and their nodes.</param>
    /// <param name="name">Only this domain, or null for all.</param>
    /// <param name="domainType">Render for this domain type without reading any node, or null to ask each node.</param>
    public static IReadOnlyList<RenderedDomain> Render(LoadedSpecs loaded, string? name, string? domainType = null)
    {
        var specs = loaded.Specs!;
        var rendered = new List<RenderedDomain>();
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        // Volume disks name their pool and format as the planner resolves them from the specs; a
        // plan against empty nodes does exactly that, with no I/O.
        var empty = loaded.Nodes.Select(n => new LiveNode(n.Name, n.Uri, n.DomainType ?? "kvm", [])).ToList();
        var resolved = Planner.Compute(specs, empty, new PlanOptions()).Changes
            .OfType<DesiredDomainChange>()
            .ToDictionary(c => c.Name, c => c.Desired, StringComparer.Ordinal);
        foreach (var spec in specs.Domains.Where(d => name is null || d.Name == name))
        {
            var domain = resolved.GetValueOrDefault(spec.Name) ?? spec;
            var nodeName = domain.Node ?? loaded.Nodes.FirstOrDefault()?.Name ?? NodeResolver.DefaultNodeName;
            var type = domain.DomainType ?? domainType;
            if (type is null && !types.TryGetValue(nodeName, out type))
            {
                var target = loaded.Nodes.FirstOrDefault(n => n.Name == nodeName);
                type = target?.DomainType;
                if (type is null && target is not null)
                {
                    using var session = NodeOpener.Open(target);
                    type = session.DomainType;
                }
                types[nodeName] = type ??= "kvm";
            }
            var owner = new OwnerRecord(domain.Name, SpecHash.Compute(domain), specs.Source, specs.Revision, domain.Protect);
            rendered.Add(new RenderedDomain(nodeName, domain.Name, DomainRenderer.Render(domain, new RenderOptions(type, owner))));
        }
        return rendered;
    }

    private static async Task<CompositeDisposable> LockAllAsync(IEnumerable<string> uris, TimeSpan wait, CancellationToken ct)
    {
        var held = new CompositeDisposable();
        try
        {
            // A fixed order, so two applies over overlapping nodes cannot deadlock.
            foreach (var uri in uris.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
            {
                held.Add(await NodeLock.AcquireAsync(uri, "reconcile apply", wait, ct).ConfigureAwait(false));
            }
            return held;
        }
        catch
        {
            held.Dispose();
            throw;
        }
    }

    private sealed class CompositeDisposable : IDisposable
    {
        private readonly List<IDisposable> _items = [];
        public void Add(IDisposable item) => _items.Add(item);
        public void Dispose()
        {
            foreach (var item in _items) item.Dispose();
        }
    }
}
