using System.Runtime.ExceptionServices;
using Reconciler.Specs;

namespace Reconciler.Engine;

/// <summary>Specs loaded from a directory and the nodes they target.</summary>
/// <param name="Specs">The validated specs, or null when there were errors.</param>
/// <param name="Nodes">The resolved nodes (empty when the specs did not load).</param>
/// <param name="Diagnostics">Everything found while loading and resolving.</param>
public sealed record LoadedSpecs(SpecSet? Specs, IReadOnlyList<NodeTarget> Nodes, IReadOnlyList<Diagnostic> Diagnostics)
{
    /// <summary>True when there is an error: nothing may be planned or applied.</summary>
    public bool HasErrors => Specs is null || Diagnostics.Any(d => d.Severity == Severity.Error);
}

/// <summary>
/// The pipeline shared by the CLI and the controller: load → resolve nodes → open → read → plan.
/// Each step is one call; what to do with the plan is the caller's business.
/// </summary>
public static class Workspace
{
    /// <summary>Loads and validates the specs under <paramref name="directory"/> and resolves their nodes.</summary>
    /// <param name="directory">The spec directory.</param>
    /// <param name="connect">The --connect override, or null.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="prefetch">
    /// When given, the nodes are opened (and read, if it was made to) as soon as the loader has
    /// found them, while the other files still load; pass it on to <see cref="OpenAsync"/> and
    /// <see cref="ReadAsync"/>, and dispose it when done.
    /// </param>
    public static LoadedSpecs Load(string directory, string? connect, CancellationToken ct, NodePrefetch? prefetch = null)
    {
        if (!Directory.Exists(directory))
        {
            return new LoadedSpecs(null, [], [Diagnostic.Error("no-such-directory", $"spec directory '{directory}' does not exist",
                SourceLocation.OfFile(directory), hint: "pass the directory that holds your *.yaml specs")]);
        }
        var environmentUri = Environment.GetEnvironmentVariable("LIBVIRT_DEFAULT_URI");
        Action<IReadOnlyList<NodeSpec>>? nodesRead = prefetch is null ? null
            : found => prefetch.Start(NodeResolver.Resolve(new SpecSet(directory, "", found, []), directory, connect, environmentUri).Nodes, ct);
        var result = SpecLoader.LoadDirectory(directory, ct, nodesRead: nodesRead);
        if (result.Specs is null)
        {
            prefetch?.Loaded(null);
            return new LoadedSpecs(null, [], result.Diagnostics);
        }
        // Prune is scoped to the source, so the source must not depend on how the path was typed.
        var specs = result.Specs with { Source = Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar) };
        prefetch?.Loaded(specs);
        var (nodes, resolveDiagnostics) = NodeResolver.Resolve(specs, directory, connect, environmentUri);
        return new LoadedSpecs(specs, nodes, [.. result.Diagnostics, .. resolveDiagnostics]);
    }

    /// <summary>
    /// Opens every node in parallel. A node that cannot be opened is returned as an error, not
    /// thrown: the other nodes go on. A remote node that refuses or drops the connection is tried
    /// <see cref="OpenRetries"/> more times after short delays (a daemon restarting); an
    /// authentication failure is not retried, nor is a node that did not answer within its
    /// connect timeout (<see cref="NodeOpener"/>). A target <paramref name="prefetch"/> already
    /// started takes that open (and keeps its read for <see cref="ReadAsync"/>); a node a reading
    /// prefetch has read and closed is in neither dictionary.
    /// </summary>
    internal static async Task<(Dictionary<string, NodeSession> Sessions, Dictionary<string, string> Errors)> OpenAsync(
        IReadOnlyList<NodeTarget> targets, CancellationToken ct, NodePrefetch? prefetch = null)
    {
        var tasks = targets.Select(async t =>
        {
            if (prefetch?.Take(t) is { } early)
            {
                var done = await early.ConfigureAwait(false);
                if (done.Live is not null) prefetch.KeepRead(t, done.Live);
                return (t, done.Session, done.Error, Read: done.Live is not null);
            }
            var (session, error) = await Task.Run(() => OpenOneAsync(t, ct), ct).ConfigureAwait(false);
            return (t, session, error, Read: false);
        }).ToList();
        var sessions = new Dictionary<string, NodeSession>(StringComparer.Ordinal);
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (target, session, error, read) in await Task.WhenAll(tasks).ConfigureAwait(false))
        {
            if (session is not null) sessions[target.Name] = session;
            else if (!read) errors[target.Name] = error ?? "unknown error";
            // A node read and closed by the prefetch has neither: ReadAsync takes its read.
        }
        return (sessions, errors);
    }

    /// <summary>Opens one node with <see cref="OpenAsync"/>'s retries; its error instead of a session when it cannot be opened.</summary>
    internal static async Task<(NodeSession? Session, string? Error)> OpenOneAsync(NodeTarget target, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return (await NodeOpener.OpenAsync(target, ct).ConfigureAwait(false), null);
            }
            catch (LibvirtException e) when (attempt < OpenRetries && IsTransient(target, e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250 * (1 << attempt) * (0.8 + (Random.Shared.NextDouble() * 0.4))), ct).ConfigureAwait(false);
            }
            catch (LibvirtException e)
            {
                return (null, e.Message);
            }
        }
    }

    /// <summary>Extra attempts to open a node for a one-shot command (after about 0.25 s and 0.5 s).</summary>
    internal const int OpenRetries = 2;

    /// <summary>Worth another try: a remote node that could not be reached, not one that refused the credentials.</summary>
    private static bool IsTransient(NodeTarget target, LibvirtException e) =>
        !NodeConnections.IsInProcess(target)
        && !NodeOpener.IsTimeout(e)
        && e.Code is not (LibvirtErrorCode.AuthFailed or LibvirtErrorCode.AuthCancelled or LibvirtErrorCode.AuthUnavailable or LibvirtErrorCode.InvalidArg or LibvirtErrorCode.NoSupport);

    /// <summary>
    /// Reads every open node in parallel; a node whose read fails becomes an error node. A node
    /// whose read <paramref name="prefetch"/> already made is not read again. With
    /// <paramref name="desired"/>, each node's hardware is read too, for what those specs need
    /// (<see cref="LiveNode.Hardware"/>). With <paramref name="reuse"/>, sessions that watch their
    /// domains' events reuse the definitions unchanged since their last read (<see cref="NodeSession.Read(bool)"/>).
    /// </summary>
    internal static async Task<IReadOnlyList<LiveNode>> ReadAsync(IReadOnlyList<NodeTarget> targets,
        IReadOnlyDictionary<string, NodeSession> sessions, IReadOnlyDictionary<string, string> openErrors, CancellationToken ct,
        NodePrefetch? prefetch = null, SpecSet? desired = null, bool reuse = false)
    {
        var tasks = targets.Select(t => prefetch?.ReadOf(t) is { } early ? Task.FromResult(early) : RunBlocking(t, () =>
            sessions.TryGetValue(t.Name, out var session)
                ? ReadOne(t, session, desired, reuse)
                : new LiveNode(t.Name, t.Uri, t.DomainType ?? "", [], openErrors.GetValueOrDefault(t.Name, "not connected")), ct));
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    /// <summary>
    /// Closes <paramref name="sessions"/> and returns when all are closed. A remote connection's
    /// close waits a round trip for the daemon's answer, so remote sessions close side by side,
    /// each on a thread of its own (50 nodes 100 ms away: one round trip, not 50 — 5 s of a plan's
    /// 10.7 s, docs/benchmarks.md run V); an in-process one (freeing its node, all CPU) closes on the calling thread.
    /// The first failure is rethrown once every session has been closed.
    /// </summary>
    internal static void CloseAll(IEnumerable<NodeSession> sessions) => CloseAll(sessions, s => NodeConnections.IsInProcess(s.Target));

    /// <summary><see cref="CloseAll(IEnumerable{NodeSession})"/> of any disposables, <paramref name="inProcess"/> saying which close on the calling thread.</summary>
    internal static void CloseAll<T>(IEnumerable<T> sessions, Func<T, bool> inProcess) where T : IDisposable
    {
        ExceptionDispatchInfo? failure = null;
        var closing = new List<Thread>();
        foreach (var session in sessions)
        {
            void Close()
            {
                try
                {
                    session.Dispose();
                }
                catch (Exception e)
                {
                    Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null);
                }
            }
            if (inProcess(session))
            {
                Close();
                continue;
            }
            var thread = new Thread(Close) { IsBackground = true, Name = "reconcile-close" };
            thread.Start();
            closing.Add(thread);
        }
        foreach (var thread in closing) thread.Join();
        failure?.Throw();
    }

    /// <summary>
    /// Runs a node's blocking libvirt work (a read): on the thread pool for an in-process node,
    /// whose work is all CPU; on a thread of its own for a remote node, whose calls wait on round
    /// trips. Every node is read at once, and a pool on 2 cores adds threads only about two a
    /// second once its few are blocked, so remote reads on it would start a few at a time.
    /// </summary>
    internal static Task<T> RunBlocking<T>(NodeTarget target, Func<T> work, CancellationToken ct) =>
        NodeConnections.IsInProcess(target)
            ? Task.Run(work, ct)
            : Task.Factory.StartNew(work, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>
    /// What <paramref name="desired"/> needs read from node <paramref name="node"/> for the
    /// checks: its domains' and every placed domain's (any node may be chosen for those).
    /// </summary>
    internal static HardwareQuery QueryFor(SpecSet desired, string node, string nodeType) =>
        HardwareQuery.For(desired.Domains.Where(d => d.Node is null || d.Node == node), nodeType) is var query
        && desired.Pools.Any(p => (p.Node is null || p.Node == node) && p.Type == StoragePoolType.Logical && p.Source is { Devices.Count: > 0 })
            ? query with { Devices = true }
            : query;

    /// <summary>Reads one open node (and, with <paramref name="desired"/>, its hardware); a failed read is a node with its error.</summary>
    internal static LiveNode ReadOne(NodeTarget target, NodeSession session, SpecSet? desired = null, bool reuse = false)
    {
        try
        {
            var live = session.Read(reuse);
            return desired is null ? live : live with { Hardware = session.ReadHardware(QueryFor(desired, target.Name, session.DomainType)) };
        }
        catch (LibvirtException e)
        {
            return new LiveNode(target.Name, target.Uri, session.DomainType, [], e.Message);
        }
    }

    /// <summary><paramref name="live"/> (read already) with its hardware for <paramref name="desired"/>; a failed read is the node with its error.</summary>
    internal static LiveNode WithHardware(NodeTarget target, NodeSession session, LiveNode live, SpecSet desired)
    {
        if (live.Error is not null) return live;
        try
        {
            return live with { Hardware = session.ReadHardware(QueryFor(desired, target.Name, session.DomainType)) };
        }
        catch (LibvirtException e)
        {
            return new LiveNode(target.Name, target.Uri, session.DomainType, [], e.Message);
        }
    }

    /// <summary>The planner's options for these targets; the clock is read here, at the edge, so the planner stays pure.</summary>
    public static PlanOptions Options(IReadOnlyList<NodeTarget> targets, bool adopt, Disruption? maxDisruption = null) =>
        new(adopt, targets.FirstOrDefault(t => t.IsSandbox)?.Name, maxDisruption, DateTimeOffset.UtcNow);
}
