using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace Reconciler.Engine.Nodes;

/// <summary>
/// One open connection to one node for the length of a command: reads the live state and carries
/// out apply steps. For the sandbox, the state is loaded from and saved back to its node file.
/// </summary>
internal sealed partial class NodeSession : IDisposable
{
    private NodeSession(NodeTarget target, LibvirtConnection connection, string domainType)
    {
        Target = target;
        Connection = connection;
        DomainType = domainType;
    }

    /// <summary>The node this session talks to.</summary>
    public NodeTarget Target { get; }

    /// <summary>The open connection.</summary>
    public LibvirtConnection Connection { get; }

    /// <summary>The domain type new domains get on this node (kvm, qemu or test).</summary>
    public string DomainType { get; }

    /// <summary>Opens <paramref name="target"/>; throws <see cref="LibvirtException"/> when it cannot be reached.</summary>
    /// <param name="target">The node.</param>
    /// <param name="events">Wire the connection to libvirt's event loop even without keep-alive (so <see cref="WatchChanges"/> can register).</param>
    public static NodeSession Open(NodeTarget target, bool events = false)
    {
        if (target.SandboxDirectory is { } dir) SandboxNode.EnsureExists(dir);
        var connection = Connect(target, events: events || target.KeepAliveInterval is not null);
        try
        {
            // A dropped node is noticed after interval × count seconds instead of a TCP timeout.
            if (target.KeepAliveInterval is { } interval) EnableKeepAlive(connection, interval, target.KeepAliveCount);
            if (target.SandboxDirectory is { } sandbox) SandboxNode.RestoreAutostart(sandbox, connection);
            var type = target.DomainType ?? PickDomainType(connection.GetCapabilities());
            return new NodeSession(target, connection, type);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Opens the connection; with <see cref="NodeTarget.Credentials"/>, through libvirt's
    /// authentication callback answered by <see cref="NodeAuth"/>. Failures are
    /// <see cref="LibvirtConnectionException"/>s whose message never contains the password.
    /// </summary>
    internal static LibvirtConnection Connect(NodeTarget target, bool events)
    {
        if (target.Credentials is not { } credentials)
        {
            return LibvirtConnection.Open(target.Uri, new LibvirtConnectOptions { EnableEvents = events });
        }
        var auth = NodeAuth.Read(credentials, target.CredentialsLocation ?? "");
        try
        {
            return LibvirtConnection.Open(target.Uri, new LibvirtConnectOptions { EnableEvents = events, Credentials = auth.Answer });
        }
        catch (LibvirtException e)
        {
            throw auth.Explain(e, target.CredentialsLocation ?? "");
        }
    }

    /// <summary>Keep-alive on a remote connection; in-process drivers (test:///) have none and need none.</summary>
    private static void EnableKeepAlive(LibvirtConnection connection, int interval, int count)
    {
        try
        {
            connection.SetKeepAlive(interval, (uint)Math.Max(1, count));
        }
        catch (LibvirtUnsupportedException)
        {
            // Nothing to drop: the driver runs in this process.
        }
    }

    /// <summary>kvm when the node offers it for hvm guests, else qemu, else whatever it offers (test).</summary>
    internal static string PickDomainType(string capabilitiesXml)
    {
        var types = XDocument.Parse(capabilitiesXml).Descendants("guest")
            .Where(g => (string?)g.Element("os_type") == "hvm")
            .SelectMany(g => g.Descendants("domain"))
            .Select(d => (string?)d.Attribute("type"))
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        if (types.Contains("kvm")) return "kvm";
        if (types.Contains("qemu")) return "qemu";
        return types.FirstOrDefault() ?? "qemu";
    }

    /// <summary>Domains whose definitions an in-process driver (test driver, sandbox) fetches and parses side by side (see <see cref="Read"/>).</summary>
    internal const int ReadParallelism = 4;

    /// <summary>
    /// Calls a remote node's read keeps in flight on its one connection when its spec sets no
    /// <c>readConcurrency</c>. libvirt's client sends the calls of concurrent threads without waiting
    /// for earlier answers, so a read of N calls costs about N ÷ this round trips; libvirtd processes
    /// up to its <c>max_client_requests</c> (default 5) of them at a time and keeps the rest in its
    /// socket buffer, which costs no round trip (docs/benchmarks.md, "Nodes far away").
    /// </summary>
    public const int DefaultRemoteReadConcurrency = 32;

    /// <summary>In-process nodes (test driver, sandbox) being read right now in this process, by any session.</summary>
    private static int s_readingInProcess;

    /// <summary>
    /// Reads every domain on the node into the model, in listing order. Run state, persistence and
    /// autostart come from a few filtered listings (one call each instead of three calls per domain);
    /// the definitions are fetched and parsed by several threads sharing this connection (libvirt
    /// connections are thread-safe). A remote node's read waits on round trips: the listings, the
    /// pools, networks and capacity are asked for all at once, and the definitions by
    /// <see cref="NodeTarget.ReadConcurrency"/> threads, so a node costs about
    /// 2 + calls ÷ concurrency round trips after the open. An in-process driver's read is all CPU,
    /// so while several are read at once they share about two threads per core instead of taking
    /// <see cref="ReadParallelism"/> each.
    /// With <paramref name="reuse"/>, a definition unchanged by libvirt's lifecycle events since the
    /// last read is not fetched again (see NodeSession.Reuse.cs); without it every definition is fetched.
    /// </summary>
    public LiveNode Read(bool reuse = false)
    {
        reuse = MayReuse(reuse);
        if (!NodeConnections.IsInProcess(Target)) return ReadAll(Target.ReadConcurrency ?? DefaultRemoteReadConcurrency, remote: true, reuse);
        var reading = Interlocked.Increment(ref s_readingInProcess);
        try
        {
            return ReadAll(Math.Clamp(2 * Environment.ProcessorCount / reading, 1, ReadParallelism), remote: false, reuse);
        }
        finally
        {
            Interlocked.Decrement(ref s_readingInProcess);
        }
    }

    private LiveNode ReadAll(int parallelism, bool remote, bool reuse)
    {
        // Remote: what does not depend on the domain listing goes out at once, beside it.
        var side = remote ? Task.Factory.StartNew(ReadNodeSide, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default) : null;
        LiveNode live;
        try
        {
            var states = remote ? Task.Factory.StartNew(() => ListStateSets(Connection, concurrent: true), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default) : null;
            IReadOnlyList<LibvirtDomain> listed;
            try
            {
                listed = Connection.ListAllDomains();
            }
            finally
            {
                Settle(states);
            }
            var read = new LiveDomain?[listed.Count];
            try
            {
                var known = MatchStates(listed, states is null ? ListStateSets(Connection, concurrent: false) : states.GetAwaiter().GetResult());
                ForEachParallel(listed.Count, parallelism, remote ? 1 : 8, i =>
                {
                    try
                    {
                        read[i] = ReadDomain(listed[i], known[i], reuse);
                    }
                    catch (LibvirtNotFoundException)
                    {
                        // Undefined between the listing and the read: it is simply not there any more.
                    }
                });
            }
            finally
            {
                foreach (var domain in listed) domain.Dispose();
            }
            if (_parsed.Count > 0)
            {
                var seen = read.Where(d => d is not null).Select(d => d!.Uuid).ToHashSet(StringComparer.Ordinal);
                foreach (var uuid in _parsed.Keys)
                {
                    if (!seen.Contains(uuid)) _parsed.TryRemove(uuid, out _);
                }
            }
            var domains = new List<LiveDomain>(read.Length);
            foreach (var domain in read)
            {
                if (domain is not null) domains.Add(domain);
            }
            live = new LiveNode(Target.Name, Target.Uri, DomainType, domains);
        }
        finally
        {
            Settle(side);
        }
        var (pools, networks, capacity) = side is null ? ReadNodeSide() : side.GetAwaiter().GetResult();
        return live with { Pools = pools, Networks = networks, Capacity = capacity };
    }

    /// <summary>Waits for <paramref name="task"/> without throwing: its outcome is taken (and thrown) where it is used, or dropped when an earlier failure is thrown.</summary>
    private static void Settle(Task? task)
    {
        try
        {
            task?.Wait();
        }
        catch (AggregateException)
        {
        }
    }

    /// <summary>The node's pools, networks and capacity: independent of its domains.</summary>
    private (IReadOnlyList<LivePool> Pools, IReadOnlyList<LiveNetwork> Networks, NodeCapacity? Capacity) ReadNodeSide() =>
        (StorageReader.ReadPools(this), StorageReader.ReadNetworks(Connection), ReadCapacity(Connection));

    /// <summary>
    /// The node's CPUs and memory (<c>virNodeGetInfo</c>) and free memory (<c>virNodeGetFreeMemory</c>),
    /// for placement. A driver that refuses free memory, or reports 0 (the test driver with a node
    /// file has no NUMA cells to count), gives none; a node whose size cannot be read gives null.
    /// </summary>
    internal static NodeCapacity? ReadCapacity(LibvirtConnection connection)
    {
        NodeInfo info;
        try
        {
            info = connection.GetNodeInfo();
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
            return null;
        }
        ulong? free;
        try
        {
            free = connection.GetFreeMemory();
        }
        catch (LibvirtException e) when (e is not LibvirtConnectionException)
        {
            free = null;
        }
        return new NodeCapacity((int)info.Cpus, info.MemoryKiB * 1024, free is 0 ? null : free);
    }

    /// <summary>Reads one domain by name, or null when it does not exist.</summary>
    public LiveDomain? ReadDomain(string name)
    {
        using var domain = Connection.LookupDomainByName(name);
        try
        {
            return domain is null ? null : ReadDomain(domain);
        }
        catch (LibvirtNotFoundException)
        {
            return null;
        }
    }

    /// <summary>What the last read parsed from one domain's XML, reused while the text is the same.</summary>
    /// <param name="ConfigDigest">Digest of the definition's XML text.</param>
    /// <param name="Config">Its parse, or null when it could not be parsed.</param>
    /// <param name="LiveDigest">Digest of the running instance's XML text, or null when it was not read.</param>
    /// <param name="Running">Its parse.</param>
    /// <param name="FreeSlots">Its free hotplug slots.</param>
    /// <param name="ForeignXml">The definition's text when Reconciler does not own the domain (for adoption), else null.</param>
    /// <param name="Name">The domain's name when read.</param>
    /// <param name="Changes">Lifecycle events seen for the domain before its texts were fetched (see NodeSession.Reuse.cs).</param>
    /// <param name="RunState">Its run state when read.</param>
    /// <param name="Persistent">Whether it was persistent when read.</param>
    private sealed record Parsed(string ConfigDigest, ParsedDomain? Config, string? LiveDigest, DomainSpec? Running, int FreeSlots, string? ForeignXml,
        string Name, long Changes, LiveRunState RunState, bool Persistent);

    /// <summary>
    /// Parses by domain UUID, so that a session kept open across passes (the controller's) fetches
    /// every definition afresh but parses only the ones whose text changed. Parsing is a pure
    /// function of the text, so a hit gives exactly what parsing would. Pruned to the listed domains
    /// after every <see cref="Read"/>.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Parsed> _parsed = new(StringComparer.Ordinal);

    private LiveDomain ReadDomain(LibvirtDomain domain, Listed? known = null) => ReadDomain(domain, known, reuse: false);

    private LiveDomain ReadDomain(LibvirtDomain domain, Listed? known, bool reuse)
    {
        var runState = known?.RunState ?? RunState(domain);
        var persistent = known?.Persistent ?? domain.IsPersistent;
        var autostart = persistent && (known?.Autostart ?? domain.Autostart);
        var uuid = domain.Uuid;
        var name = domain.Name;
        // Counted before the fetch: an event during it makes the next reusing read fetch again.
        var changes = ChangesOf(uuid);
        _parsed.TryGetValue(uuid, out var cached);
        if (reuse && cached is not null && cached.Changes == changes && cached.RunState == runState && cached.Persistent == persistent && cached.Name == name)
        {
            return new LiveDomain(name, uuid, runState, autostart, persistent, cached.Config?.Owner, cached.Config?.Spec, cached.Running,
                FingerprintOfDigest(cached.ConfigDigest, runState, autostart))
            {
                FreeHotplugSlots = cached.FreeSlots,
                ForeignXml = cached.ForeignXml,
            };
        }
        // The texts are hashed and parsed as the UTF-8 bytes libvirt returns, never decoded into strings.
        var (configDigest, config, reused, foreignXml) = domain.ReadXmlDesc(persistent ? DomainXmlFlags.Inactive : DomainXmlFlags.None, utf8 =>
        {
            var digest = Digest(utf8);
            if (cached is not null && cached.ConfigDigest == digest) return (digest, cached.Config, true, cached.ForeignXml);
            try
            {
                var parsed = DomainXmlParser.Parse(utf8);
                return (digest, parsed, false, parsed.Owner is null && persistent ? Encoding.UTF8.GetString(utf8) : null);
            }
            catch (RenderException)
            {
                // Unparseable definitions stay null; the planner reports them and never touches them.
                return (digest, (ParsedDomain?)null, false, (string?)null);
            }
        });
        var before = reused ? cached : null;
        DomainSpec? running = null;
        string? liveDigest = null;
        var freeSlots = 0;
        if (runState != LiveRunState.Stopped && persistent && config?.Owner is not null)
        {
            (liveDigest, running, freeSlots) = domain.ReadXmlDesc(DomainXmlFlags.None, utf8 =>
            {
                var digest = Digest(utf8);
                if (before is not null && before.LiveDigest == digest) return (digest, before.Running, before.FreeSlots);
                try
                {
                    var liveXml = DomainXmlParser.Load(utf8);
                    var instance = DomainXmlParser.Parse(liveXml);
                    // Adopted while running: the instance has no owner record, yet it holds the patches it already had.
                    var runningSpec = instance.Owner is null ? AdoptedPatches.Recorded(config.Spec, instance.Spec, liveXml) : instance.Spec;
                    return (digest, runningSpec, HotplugSlots.CountFree(liveXml));
                }
                catch (RenderException)
                {
                    return (digest, (DomainSpec?)null, 0);
                }
            });
        }
        _parsed[uuid] = new Parsed(configDigest, config, liveDigest, running, freeSlots, foreignXml, name, changes, runState, persistent);
        var fingerprint = FingerprintOfDigest(configDigest, runState, autostart);
        return new LiveDomain(name, uuid, runState, autostart, persistent, config?.Owner, config?.Spec, running, fingerprint)
        {
            FreeHotplugSlots = freeSlots,
            ForeignXml = foreignXml,
        };
    }

    private static LiveRunState RunState(LibvirtDomain domain) => domain.GetState().State switch
    {
        DomainRunState.Running or DomainRunState.Blocked => LiveRunState.Running,
        DomainRunState.Paused or DomainRunState.PmSuspended => LiveRunState.Paused,
        DomainRunState.Shutdown => LiveRunState.ShuttingDown,
        DomainRunState.Shutoff => LiveRunState.Stopped,
        _ => LiveRunState.Other,
    };

    /// <summary>A digest of what a saved plan depends on: the persistent definition, run state and autostart.</summary>
    internal static string Fingerprint(string inactiveXml, LiveRunState state, bool autostart) => FingerprintOfDigest(Digest(inactiveXml), state, autostart);

    private static string FingerprintOfDigest(string configDigest, LiveRunState state, bool autostart) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{state}|{autostart}|{configDigest}")))[..24];

    /// <summary>SHA-256 of a text's UTF-8 bytes, lower-case hex.</summary>
    private static string Digest(string text) => Digest(Encoding.UTF8.GetBytes(text));

    /// <summary>SHA-256 of UTF-8 bytes, lower-case hex.</summary>
    private static string Digest(ReadOnlySpan<byte> utf8)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(utf8, digest);
        return Convert.ToHexStringLower(digest);
    }

    /// <summary>Writes the sandbox's state back to its file; a no-op for real nodes.</summary>
    public void Persist()
    {
        if (Target.SandboxDirectory is { } dir) SandboxNode.Save(dir, Connection);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        DisposeWatch();
        Connection.Dispose();
    }
}
