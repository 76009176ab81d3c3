using System.Threading.Channels;

namespace Reconciler.Host;

/// <summary>What the requests coalesced into one pass asked for.</summary>
/// <param name="Reasons">Their reasons, for the log (empty: the timer).</param>
/// <param name="Broad">True when any request concerned more than named domains (a reconnect, an approval, "reconcile now", the timer): the pass must look at everything.</param>
/// <param name="Domains">The domains libvirt events named.</param>
internal sealed record PassRequest(IReadOnlyList<string> Reasons, bool Broad, IReadOnlySet<string> Domains);

/// <summary>
/// The one way to ask for a pass. Every trigger (file change, new revision, libvirt event, timer,
/// reconnect) only says "reconcile now"; requests made while a pass is pending coalesce into one.
/// A request also says how far it reaches (<see cref="PassRequest"/>): a domain event names its
/// domain, a new revision names nothing (the loop compares the specs), anything else is broad.
/// </summary>
internal sealed class ReconcileTrigger
{
    private readonly Channel<bool> _channel = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });
    private readonly Lock _gate = new();
    private readonly HashSet<string> _reasons = new(StringComparer.Ordinal);
    private readonly HashSet<string> _eventDomains = new(StringComparer.Ordinal);
    private bool _broad;

    /// <summary>Asks for a pass over everything; <paramref name="reason"/> is logged with it.</summary>
    public void Request(string reason) => Request(reason, broad: true, domain: null);

    /// <summary>Asks for a pass for a new revision: the loop tells from the specs what it reaches.</summary>
    public void RequestRevision(string reason) => Request(reason, broad: false, domain: null);

    private void Request(string reason, bool broad, string? domain)
    {
        lock (_gate)
        {
            if (_reasons.Count < 20) _reasons.Add(reason);
            _broad |= broad;
            if (domain is not null) _eventDomains.Add(domain);
        }
        _channel.Writer.TryWrite(true);
    }

    // Null until the first pass: before it, every domain event asks for a pass.
    private volatile HashSet<string>? _domains;

    /// <summary>
    /// Sets the domains whose libvirt events ask for a pass: those the specs name and those the
    /// last pass had something to say about (owned domains to prune, say). Events of any other
    /// domain (another tool's VMs on a shared node) are dropped: nothing Reconciler would do
    /// depends on them, and the periodic resync still reads everything.
    /// </summary>
    public void WatchDomains(IEnumerable<string> names) => _domains = names.ToHashSet(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="names"/> to the watched domains (after a targeted pass, which reports only its scope).</summary>
    public void WatchMore(IEnumerable<string> names)
    {
        if (_domains is not { } watched) return;
        var more = names.Where(n => !watched.Contains(n)).ToList();
        if (more.Count > 0) _domains = new HashSet<string>(watched.Concat(more), StringComparer.Ordinal);
    }

    /// <summary>A domain lifecycle event: asks for a pass when its domain is watched (see <see cref="WatchDomains"/>); returns whether it did.</summary>
    public bool Request(Libvirt.DomainLifecycleEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_domains is { } watched && !watched.Contains(e.DomainName)) return false;
        Request($"event {e.Type.ToString().ToLowerInvariant()} {e.DomainName}", broad: false, domain: e.DomainName);
        return true;
    }

    /// <summary>Waits for a request or <paramref name="timeout"/>; returns what every request since the last one asked for (broad, no reasons, on timeout).</summary>
    public async Task<PassRequest> TakeAsync(TimeSpan timeout, CancellationToken ct)
    {
        using var timer = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timer.CancelAfter(timeout);
        try
        {
            await _channel.Reader.ReadAsync(timer.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new PassRequest([], true, new HashSet<string>(StringComparer.Ordinal));
        }
        lock (_gate)
        {
            var request = new PassRequest(_reasons.ToList(), _broad, _eventDomains.ToHashSet(StringComparer.Ordinal));
            _reasons.Clear();
            _eventDomains.Clear();
            _broad = false;
            return request;
        }
    }
}

/// <summary>Exponential backoff with jitter: base·2^(n-1), capped, ±20%.</summary>
internal static class Backoff
{
    public static TimeSpan Delay(int failures, TimeSpan initial, TimeSpan max)
    {
        var exponent = Math.Min(Math.Max(failures - 1, 0), 30);
        var raw = Math.Min(initial.TotalMilliseconds * Math.Pow(2, exponent), max.TotalMilliseconds);
        var jitter = 0.8 + (Random.Shared.NextDouble() * 0.4);
        return TimeSpan.FromMilliseconds(raw * jitter);
    }
}
