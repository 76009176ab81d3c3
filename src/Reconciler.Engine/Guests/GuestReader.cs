using System.Diagnostics;
using System.Net.Sockets;

namespace Reconciler.Engine.Guests;

/// <summary>
/// Reads what libvirt knows about the guests of running domains: addresses from the network's
/// DHCP leases, the guest agent and the host's ARP table (in that order of trust), whether the
/// agent answers, and whether the guest is ready by its <see cref="Readiness"/>. A source that
/// errors is skipped and named, never fatal. Bounded: every libvirt call runs off the caller's
/// thread under <see cref="GuestReadOptions.Timeout"/>; the sources of one guest are read at the
/// same time, and guests are read in parallel.
/// </summary>
public static class GuestReader
{
    /// <summary>The sources in order of trust.</summary>
    public static readonly IReadOnlyList<AddressSource> Sources = [AddressSource.Lease, AddressSource.Agent, AddressSource.Arp];

    /// <summary>The name a source is shown with: lease, agent, arp.</summary>
    public static string SourceName(AddressSource source) => source switch
    {
        AddressSource.Lease => "lease",
        AddressSource.Agent => "agent",
        _ => "arp",
    };

    /// <summary>The state word for a libvirt run state.</summary>
    public static string StateName(DomainRunState state) => state switch
    {
        DomainRunState.Running or DomainRunState.Blocked => "running",
        DomainRunState.Paused or DomainRunState.PmSuspended => "paused",
        DomainRunState.Shutdown => "stopping",
        DomainRunState.Crashed => "crashed",
        _ => "stopped",
    };

    /// <summary>The guest of a domain that is not running (<paramref name="stateName"/> as <see cref="StateName"/> gives it): not ready, no addresses.</summary>
    public static GuestStatus NotRunning(string name, string node, string stateName, Readiness readiness, DateTimeOffset now) =>
        new(name, node, stateName, readiness, false, $"the domain is {stateName}", [], [], now);

    /// <summary>
    /// Reads one domain's guest. <paramref name="consoleSeen"/> answers a console check (null: not
    /// watched, so the result is "unknown" for such a check).
    /// </summary>
    /// <param name="domain">The domain (on its node).</param>
    /// <param name="node">The node's name.</param>
    /// <param name="readiness">The check.</param>
    /// <param name="options">The bounds.</param>
    /// <param name="consoleSeen">Whether the console text was seen by a watcher, or null when none watches.</param>
    /// <param name="ct">Cancellation.</param>
    /// <param name="knownRunning">
    /// The caller knows the domain runs (a read found it running and libvirt has sent no lifecycle
    /// event for it since, on a connection whose events are complete): its state is not asked for.
    /// </param>
    public static async Task<GuestStatus> ReadAsync(LibvirtDomain domain, string node, Readiness readiness, GuestReadOptions options,
        bool? consoleSeen, CancellationToken ct, bool knownRunning = false)
    {
        ArgumentNullException.ThrowIfNull(domain);
        ArgumentNullException.ThrowIfNull(readiness);
        ArgumentNullException.ThrowIfNull(options);
        var now = DateTimeOffset.UtcNow;
        var name = domain.Name;
        DomainRunState state;
        try
        {
            state = knownRunning ? DomainRunState.Running : await Bounded(() => domain.GetState().State, options.Timeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is LibvirtException or TimeoutException)
        {
            return new GuestStatus(name, node, "unreachable", readiness, false, $"its state could not be read: {e.Message}", [], [], now);
        }
        var stateName = StateName(state);
        if (stateName != "running") return NotRunning(name, node, stateName, readiness, now);

        // Every source (and the agent probe) at once: one slow agent costs one timeout, not several.
        var reads = Sources.Select(s => Bounded(() => domain.GetInterfaceAddresses(s), options.Timeout, ct)).ToList();
        var probe = readiness.Kind == ReadinessKind.Agent ? Bounded(domain.GetGuestTime, options.Timeout, ct) : null;
        var addresses = new List<GuestAddress>();
        var skipped = new List<GuestSkip>();
        for (var i = 0; i < Sources.Count; i++)
        {
            var source = SourceName(Sources[i]);
            try
            {
                foreach (var iface in await reads[i].ConfigureAwait(false))
                {
                    foreach (var a in iface.Addresses)
                    {
                        if (IsLoopback(a.Address)) continue;
                        addresses.Add(new GuestAddress(a.Address, (int)a.Prefix, source, iface.Mac, iface.Name));
                    }
                }
            }
            catch (Exception e) when (e is LibvirtException or TimeoutException)
            {
                skipped.Add(new GuestSkip(source, Message(e, options)));
            }
        }

        var (ready, reason) = readiness.Kind switch
        {
            ReadinessKind.Running => (true, "the domain is running"),
            ReadinessKind.Address => addresses.Count > 0
                ? (true, $"address {Describe(Primary(addresses))}")
                : (false, "no address yet"),
            ReadinessKind.Agent => await AgentAsync(probe!, options).ConfigureAwait(false),
            ReadinessKind.Tcp => await TcpAsync(Primary(addresses), readiness.Port!.Value, options, ct).ConfigureAwait(false),
            _ => consoleSeen switch
            {
                true => (true, $"console printed \"{readiness.ConsoleText}\""),
                false => (false, $"no console line with \"{readiness.ConsoleText}\" yet"),
                null => ((bool?)null, $"console \"{readiness.ConsoleText}\" is only seen while watched (apply --wait ready, or the controller)"),
            },
        };
        return new GuestStatus(name, node, "running", readiness, ready, reason, addresses, skipped, now);
    }

    /// <summary>
    /// Reads many guests in parallel (each bounded by <see cref="GuestReadOptions.Timeout"/>); a
    /// domain that cannot be read becomes a status with its error.
    /// </summary>
    public static async Task<IReadOnlyList<GuestStatus>> ReadAllAsync(IEnumerable<GuestTarget> targets, GuestReadOptions options, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var tasks = targets.Select(t => t.Domain is null
            ? Task.FromResult(t.Missing(DateTimeOffset.UtcNow))
            : ReadAsync(t.Domain, t.Node!, t.Readiness, options, null, ct));
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    private static async Task<(bool?, string)> AgentAsync(Task<DateTimeOffset> probe, GuestReadOptions options)
    {
        try
        {
            await probe.ConfigureAwait(false);
            return (true, "the guest agent answers");
        }
        catch (Exception e) when (e is LibvirtException or TimeoutException)
        {
            return (false, $"the guest agent does not answer: {Message(e, options)}");
        }
    }

    /// <summary>The tcp check: a connect to <paramref name="address"/>:<paramref name="port"/> within the timeout.</summary>
    internal static async Task<(bool? Ready, string Reason)> TcpAsync(GuestAddress? address, int port, GuestReadOptions options, CancellationToken ct)
    {
        if (address is null) return (false, $"no address yet to connect to port {port}");
        using var client = new TcpClient(address.IsIpv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.Timeout);
        try
        {
            await client.ConnectAsync(address.Address, port, timeout.Token).ConfigureAwait(false);
            return (true, $"tcp {address.Address}:{port} accepts connections");
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return (false, $"tcp {address.Address}:{port} did not answer within {options.Timeout.TotalSeconds:0} s");
        }
        catch (SocketException e)
        {
            return (false, $"tcp {address.Address}:{port}: {e.Message}");
        }
    }

    private static GuestAddress Primary(List<GuestAddress> addresses) =>
        new GuestStatus("", null, "", Readiness.Default, null, "", addresses, [], default).Primary ?? addresses[0];

    /// <summary>e.g. <c>198.18.9.101 (lease, 52:54:00:aa:bb:cc)</c>.</summary>
    public static string Describe(GuestAddress a) => $"{a.Address} ({a.Source}{(a.Mac is null ? "" : ", " + a.Mac)})";

    private static bool IsLoopback(string address) => address.StartsWith("127.", StringComparison.Ordinal) || address == "::1";

    private static string Message(Exception e, GuestReadOptions options) =>
        e is TimeoutException ? $"no answer within {options.Timeout.TotalSeconds:0} s" : e.Message;

    /// <summary>
    /// Runs a blocking libvirt call on the thread pool and waits for it at most
    /// <paramref name="timeout"/>; a call that overruns finishes (and is forgotten) on its own.
    /// </summary>
    internal static async Task<T> Bounded<T>(Func<T> call, TimeSpan timeout, CancellationToken ct)
    {
        var task = Task.Run(call, CancellationToken.None);
        try
        {
            return await task.WaitAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Observe the late result so that a late failure is not an unobserved exception.
            _ = task.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            Trace.WriteLineIf(e is TimeoutException, "guest read timed out");
            throw;
        }
    }
}

/// <summary>A declared domain to read, and where it was found.</summary>
/// <param name="Spec">Its spec.</param>
/// <param name="Node">The node it is on, or null.</param>
/// <param name="Domain">The domain, or null when it is on no node (or its node could not be read).</param>
/// <param name="NodeError">Why its node could not be read, or null.</param>
public sealed record GuestTarget(DomainSpec Spec, string? Node, LibvirtDomain? Domain, string? NodeError = null)
{
    /// <summary>The readiness in force.</summary>
    public Readiness Readiness => Spec.Readiness ?? Readiness.Default;

    /// <summary>The status of a target with no domain.</summary>
    public GuestStatus Missing(DateTimeOffset now) => NodeError is null
        ? new GuestStatus(Spec.Name, Node, "missing", Readiness, false, "the domain is not defined on any node", [], [], now)
        : new GuestStatus(Spec.Name, Node, "unreachable", Readiness, false, $"node {Node}: {NodeError}", [], [], now);
}
